// The package entry: oclif's explicit command map, plus the types plugins build on.
import AgentDeploy from './commands/agent/deploy.js'
import McpDeploy from './commands/mcp/deploy.js'
import McpInit from './commands/mcp/init.js'
import McpBuild from './commands/mcp/build.js'
import ModelapiDeploy from './commands/modelapi/deploy.js'
import SystemRuntimes from './commands/system/runtimes.js'
import SystemInstall from './commands/system/install.js'
import SystemUninstall from './commands/system/uninstall.js'
import SystemCreateRbac from './commands/system/create-rbac.js'
import SystemStatus from './commands/system/status.js'
import McpList from './commands/mcp/list.js'
import McpGet from './commands/mcp/get.js'
import McpLogs from './commands/mcp/logs.js'
import McpDelete from './commands/mcp/delete.js'
import AgentList from './commands/agent/list.js'
import AgentGet from './commands/agent/get.js'
import AgentLogs from './commands/agent/logs.js'
import AgentDelete from './commands/agent/delete.js'
import ModelapiList from './commands/modelapi/list.js'
import ModelapiGet from './commands/modelapi/get.js'
import ModelapiLogs from './commands/modelapi/logs.js'
import ModelapiDelete from './commands/modelapi/delete.js'
import McpEndpoints from './commands/mcp/endpoints.js'
import McpInvoke from './commands/mcp/invoke.js'
import McpToken from './commands/mcp/token.js'
import AgentInvoke from './commands/agent/invoke.js'
import AgentCard from './commands/agent/card.js'
import AgentStatus from './commands/agent/status.js'
import AgentTools from './commands/agent/tools.js'
import AgentA2aSend from './commands/agent/a2a/send.js'
import AgentA2aGet from './commands/agent/a2a/get.js'
import AgentA2aCancel from './commands/agent/a2a/cancel.js'
import ModelapiInvoke from './commands/modelapi/invoke.js'
import Help from './commands/help.js'
import Version from './commands/version.js'
import SystemImagesBuild from './commands/system/images/build.js'
import SystemImagesList from './commands/system/images/list.js'
import McpToolApply from './commands/mcp/tool/apply.js'
import McpToolList from './commands/mcp/tool/list.js'
import McpToolGet from './commands/mcp/tool/get.js'
import McpToolDelete from './commands/mcp/tool/delete.js'
import McpPromptApply from './commands/mcp/prompt/apply.js'
import McpPromptList from './commands/mcp/prompt/list.js'
import McpPromptGet from './commands/mcp/prompt/get.js'
import McpPromptDelete from './commands/mcp/prompt/delete.js'
import McpResourceApply from './commands/mcp/resource/apply.js'
import McpResourceList from './commands/mcp/resource/list.js'
import McpResourceGet from './commands/mcp/resource/get.js'
import McpResourceDelete from './commands/mcp/resource/delete.js'
import Apply from './commands/apply.js'
import Delete from './commands/delete.js'
import SamplesList from './commands/samples/list.js'
import SamplesShow from './commands/samples/show.js'
import SamplesDeploy from './commands/samples/deploy.js'
import SamplesDelete from './commands/samples/delete.js'
import ConfigShow from './commands/config/show.js'
import ConfigGet from './commands/config/get.js'
import ConfigSet from './commands/config/set.js'
import ConfigUnset from './commands/config/unset.js'
import McpRun from './commands/mcp/run.js'
import McpInspect from './commands/mcp/inspect.js'

export const COMMANDS = {
  'agent:deploy': AgentDeploy,
  'mcp:deploy': McpDeploy,
  'mcp:init': McpInit,
  'mcp:build': McpBuild,
  'modelapi:deploy': ModelapiDeploy,
  'system:runtimes': SystemRuntimes,
  'system:install': SystemInstall,
  'system:uninstall': SystemUninstall,
  'system:create-rbac': SystemCreateRbac,
  'system:status': SystemStatus,
  'mcp:list': McpList,
  'mcp:get': McpGet,
  'mcp:logs': McpLogs,
  'mcp:delete': McpDelete,
  'agent:list': AgentList,
  'agent:get': AgentGet,
  'agent:logs': AgentLogs,
  'agent:delete': AgentDelete,
  'modelapi:list': ModelapiList,
  'modelapi:get': ModelapiGet,
  'modelapi:logs': ModelapiLogs,
  'modelapi:delete': ModelapiDelete,
  'mcp:endpoints': McpEndpoints,
  'mcp:invoke': McpInvoke,
  'mcp:token': McpToken,
  'agent:invoke': AgentInvoke,
  'agent:card': AgentCard,
  'agent:status': AgentStatus,
  'agent:tools': AgentTools,
  'agent:a2a:send': AgentA2aSend,
  'agent:a2a:get': AgentA2aGet,
  'agent:a2a:cancel': AgentA2aCancel,
  'modelapi:invoke': ModelapiInvoke,
  help: Help,
  version: Version,
  'system:images:build': SystemImagesBuild,
  'system:images:list': SystemImagesList,
  'mcp:tool:apply': McpToolApply,
  'mcp:tool:list': McpToolList,
  'mcp:tool:get': McpToolGet,
  'mcp:tool:delete': McpToolDelete,
  'mcp:prompt:apply': McpPromptApply,
  'mcp:prompt:list': McpPromptList,
  'mcp:prompt:get': McpPromptGet,
  'mcp:prompt:delete': McpPromptDelete,
  'mcp:resource:apply': McpResourceApply,
  'mcp:resource:list': McpResourceList,
  'mcp:resource:get': McpResourceGet,
  'mcp:resource:delete': McpResourceDelete,
  apply: Apply,
  delete: Delete,
  'samples:list': SamplesList,
  'samples:show': SamplesShow,
  'samples:deploy': SamplesDeploy,
  'samples:delete': SamplesDelete,
  'config:show': ConfigShow,
  'config:get': ConfigGet,
  'config:set': ConfigSet,
  'config:unset': ConfigUnset,
  'mcp:run': McpRun,
  'mcp:inspect': McpInspect,
}

// kaos's own copy of oclif's Args and Flags, so plugins need no @oclif/core dependency of their own.
export * as Args from '@oclif/core/args'
export * as Flags from '@oclif/core/flags'
export {KaosCommand, type KaosFlags, type KaosArgs} from './cli/base-command.js'
export {EXIT_CODES, ExitCode, KaosError, exitCodeTable} from './lib/errors.js'
// For messages that may quote a URL (bin/run.js applies it to DEBUG logs).
export {redactUrl, redactUserinfo} from './lib/redact.js'
export type {Runtime, RuntimeSpec, Registry} from './lib/registry.js'
export {RUNTIMES_HOOK, PIN_ENV, type RuntimesHook, type RuntimesHookOptions, type RuntimesHookResult, type RuntimeInput} from './lib/plugins.js'
// oclif hook (package.json oclif.hooks plugins:postinstall/postuninstall): keeps kaos-cli importable by installed plugins.
export {kaosPluginsHook} from './lib/plugins.js'
// oclif hook (command_not_found): see src/cli/not-found.ts.
export {kaosNotFoundHook} from './cli/not-found.js'
export type {KaosDoc, MCPServerDoc, AgentDoc, ModelAPIDoc} from './lib/documents.js'
export type {KubernetesObject} from './lib/render/common.js'
