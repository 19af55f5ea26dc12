import * as Flags from '@oclif/core/flags'

import {DeployCommand, deployFlags, exposeFlags} from '../../cli/deploy-command.js'
import type {KaosDoc} from '../../lib/documents.js'
import type {AgentFlags} from '../../lib/inputs.js'

export default class AgentDeploy extends DeployCommand {
  static summary = 'Deploy an agent wired to a model API, MCP servers and peer agents'
  static description = 'Renders Deployment and Service agent-<name> with the KAOS agent environment (MODEL_API_URL, MCP_SERVERS, PEER_AGENTS, …) and applies them.'
  static examples = [
    {description: 'An agent using two MCP servers', command: '<%= config.bin %> <%= command.id %> helper --model-api llm --model gpt-4o --mcp-server calc --mcp-server search --dry-run'},
    {description: 'From a file, waiting for readiness', command: '<%= config.bin %> <%= command.id %> -f agent.yaml --wait'},
  ]
  static flags = {
    ...deployFlags,
    ...exposeFlags,
    // Aliases: upstream KAOS's spellings (--modelapi/-m, --mcp, --sub-agent, --prompt/-p), so its users' commands work.
    'model-api': Flags.string({char: 'm', description: 'Name of the ModelAPI the agent calls', aliases: ['modelapi']}),
    model: Flags.string({description: 'Model name to request from the model API'}),
    'mcp-server': Flags.string({description: 'MCP server the agent may use (repeatable)', multiple: true, aliases: ['mcp']}),
    peer: Flags.string({description: 'Peer agent this agent may call (repeatable)', multiple: true, aliases: ['sub-agent']}),
    description: Flags.string({description: 'Agent description (its card)'}),
    instructions: Flags.string({description: 'System instructions'}),
    'system-prompt': Flags.string({char: 'p', description: 'System prompt (spec.config.systemPrompt)', aliases: ['prompt']}),
    'max-steps': Flags.integer({description: 'Reasoning loop step limit', min: 1}),
  }

  protected readonly kind = 'Agent' as const

  protected async docFromFlags(name: string, flags: Record<string, unknown>): Promise<KaosDoc> {
    const {agentFromFlags} = await import('../../lib/inputs.js')
    return agentFromFlags(name, flags as AgentFlags)
  }
}
