import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../cli/base-command.js'
import {table} from '../../cli/format/table.js'
import {withHeld} from '../../cli/interrupt.js'
import type {AgentTools} from '../../lib/agent-view.js'
import {parseDuration} from '../../lib/duration.js'
import {ExitCode, KaosError} from '../../lib/errors.js'

export default class AgentToolsCommand extends KaosCommand<typeof AgentToolsCommand> {
  static summary = 'The tools an agent can reach, from each of its MCP servers, with the server each comes from'
  static description = `Lists the tools of every MCP server the agent names, over MCP (initialize, tools/list) through an in-process port-forward to each server (bearer tokens as kaos mcp invoke sends them), and the delegate_to_<peer> tool the agent gets for each peer agent. A server that cannot be listed is reported with the reason; the others are still listed.

Exit codes: 5 an MCP server could not be listed (not deployed, no Ready pod, unreachable); 8 no such Agent.`
  static examples = [
    {description: 'What an agent can call', command: '<%= config.bin %> <%= command.id %> helper -n agents'},
    {description: 'As JSON', command: '<%= config.bin %> <%= command.id %> helper --json'},
  ]
  static args = {name: Args.string({description: 'Name of the Agent', required: true})}
  static flags = {
    timeout: Flags.string({description: 'How long to wait for each MCP server', default: '30s'}),
    'system-namespace': Flags.string({description: 'Namespace of the kaos-mcp-runtimes ConfigMap', default: 'kaos-system', hidden: true}),
  }

  async run(): Promise<AgentTools> {
    const {flags} = this
    const timeoutMs = parseDuration(flags.timeout)
    const {agentTools} = await import('../../lib/agent-view.js')
    const cluster = await this.connect()
    const report = await withHeld(async () =>
      agentTools(cluster, this.args.name, {
        registry: (src) => this.registry(src),
        systemNamespace: flags['system-namespace'],
        headers: {},
        timeoutMs,
        clientVersion: this.config.version,
        log: (m) => this.debug(m),
        warn: (m) => this.warn(m),
      }),
    )
    const failed = report.sources.filter((s) => s.error)
    if (this.jsonEnabled()) {
      if (failed.length > 0) process.exitCode = ExitCode.WORKLOAD_FAILED
      return report
    }
    const rows = report.sources.flatMap((s) => s.tools.map((t) => [t.name, `${s.kind === 'Agent' ? 'peer agent' : 'MCPServer'} ${s.name}`, (t.description ?? '').split('\n')[0]]))
    if (rows.length > 0) this.log(table(['TOOL', 'FROM', 'DESCRIPTION'], rows))
    else if (failed.length === 0) this.note(`agent "${report.name}" names no MCP servers and no peers: it has no tools`)
    if (failed.length > 0)
      throw new KaosError(`${failed.length === 1 ? 'an MCP server' : `${failed.length} MCP servers`} of agent "${report.name}" could not be listed: ${failed.map((s) => `${s.name}: ${s.error}`).join('; ')}`, {
        exit: ExitCode.WORKLOAD_FAILED,
        suggestions: ['kaos agent status NAME shows what is not ready.'],
        data: report,
      })
    return report
  }
}
