// The package entry: oclif's explicit command map, plus the types plugins build on.
import AgentDeploy from './commands/agent/deploy.js'
import McpDeploy from './commands/mcp/deploy.js'
import ModelapiDeploy from './commands/modelapi/deploy.js'
import SystemRuntimes from './commands/system/runtimes.js'

export const COMMANDS = {
  'agent:deploy': AgentDeploy,
  'mcp:deploy': McpDeploy,
  'modelapi:deploy': ModelapiDeploy,
  'system:runtimes': SystemRuntimes,
}

// kaos's own copy of oclif's Args and Flags, so plugins need no @oclif/core dependency of their own.
export {Args, Flags} from '@oclif/core'
export {KaosCommand, type KaosFlags, type KaosArgs} from './base-command.js'
export {EXIT_CODES, ExitCode, KaosError, exitCodeTable} from './lib/errors.js'
export type {Runtime, RuntimeSpec, Registry} from './lib/registry.js'
export {RuntimeSchema} from './lib/registry.js'
export {RUNTIMES_HOOK, PIN_ENV, type RuntimesHook, type RuntimesHookOptions, type RuntimesHookResult, type RuntimeInput} from './lib/plugins.js'
export type {KaosDoc, MCPServerDoc, AgentDoc, ModelAPIDoc} from './lib/documents.js'
export type {KubernetesObject} from './lib/render/common.js'
