import {KaosCommand} from '../../cli/base-command.js'
import {table} from '../../cli/format/table.js'
import * as Args from '@oclif/core/args'
import type {AgentStatus} from '../../lib/agent-view.js'
import {ExitCode, KaosError} from '../../lib/errors.js'

export default class AgentStatusCommand extends KaosCommand<typeof AgentStatusCommand> {
  static summary = 'Is an agent ready, and is everything it calls: its model API, MCP servers and peers'
  static description = `Reports the agent's Deployment, the model API it names (and whether that serves its model), each MCP server and each peer agent it names, each ready or failing with the reason (not deployed, crash loop, image pull, unschedulable, not ready yet…). What the agent names comes from the document kaos stored on its Deployment.

Exit codes: 5 when any part is failing (the report is still printed, --json too); 8 no such Agent.`
  static examples = [
    {description: 'Everything an agent needs', command: '<%= config.bin %> <%= command.id %> helper -n agents'},
    {description: 'In CI, as JSON; exit 5 if anything is not ready', command: '<%= config.bin %> <%= command.id %> helper --json'},
  ]
  static args = {name: Args.string({description: 'Name of the Agent', required: true})}

  async run(): Promise<AgentStatus> {
    const {agentStatus} = await import('../../lib/agent-view.js')
    const report = await agentStatus(await this.connect(), this.args.name)
    const failing = report.parts.filter((p) => p.status === 'failing')
    if (this.jsonEnabled()) {
      if (failing.length > 0) process.exitCode = ExitCode.WORKLOAD_FAILED
      return report
    }
    this.log(
      table(
        ['PART', 'KIND', 'NAME', 'PODS', 'STATUS', 'REASON'],
        report.parts.map((p) => [p.role, p.kind, p.name, p.pods ?? '-', p.status, p.reason ?? '']),
      ),
    )
    if (failing.length > 0)
      throw new KaosError(`agent "${report.name}" is not ready: ${failing.map((p) => `${p.role} ${p.name}: ${p.reason}`).join('; ')}`, {
        exit: ExitCode.WORKLOAD_FAILED,
        suggestions: ['Deploy what is missing, or look closer with `kaos <mcp|agent|modelapi> get NAME` and `… logs NAME`.'],
        data: report,
      })
    return report
  }
}
