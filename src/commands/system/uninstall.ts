import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../cli/base-command.js'
import {parseDuration} from '../../lib/duration.js'
import {ExitCode, KaosError} from '../../lib/errors.js'
import {table} from '../../cli/format/table.js'
import type {UninstallResult} from '../../lib/system/uninstall.js'
import type {WorkloadSummary} from '../../lib/workloads.js'

export default class SystemUninstall extends KaosCommand<typeof SystemUninstall> {
  static summary = 'Remove what `kaos system install` created'
  static description = `Deletes the registry ConfigMap kaos-mcp-runtimes and the system namespace, if install created them (they carry kaos.tools/component=system). A namespace that holds anything else is kept, with a warning. kaos workloads keep running unless --all-workloads is given.

--all-workloads also deletes every kaos-managed MCPServer, Agent and ModelAPI in all namespaces: kaos lists them first and asks for confirmation. Without a terminal, or with CI set, it does not ask: pass --yes, or it refuses (exit 2).`
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'Also delete every kaos workload, after listing them and asking', command: '<%= config.bin %> <%= command.id %> --all-workloads'},
    {description: 'In CI: no prompt, wait until everything is gone', command: '<%= config.bin %> <%= command.id %> --all-workloads --yes --wait'},
    {description: 'See what would be removed', command: '<%= config.bin %> <%= command.id %> --all-workloads --dry-run'},
  ]
  static flags = {
    'system-namespace': Flags.string({description: 'Namespace of kaos\'s shared objects', default: 'kaos-system'}),
    'all-workloads': Flags.boolean({description: 'Also delete every kaos MCPServer, Agent and ModelAPI in all namespaces'}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation (needed without a terminal or in CI)'}),
    'dry-run': Flags.boolean({description: 'Show what would be deleted; the API server checks it, nothing is removed'}),
    wait: Flags.boolean({description: 'Wait until the deleted workloads and the namespace are gone'}),
    timeout: Flags.string({description: 'How long --wait waits', default: '2m'}),
  }

  async run(): Promise<UninstallResult> {
    const {flags} = this
    const timeoutMs = parseDuration(flags.timeout)
    const cluster = await this.connect()
    const {uninstall} = await import('../../lib/system/uninstall.js')
    const result = await uninstall(cluster, {
      systemNamespace: flags['system-namespace'],
      allWorkloads: flags['all-workloads'],
      dryRun: flags['dry-run'],
      wait: flags.wait,
      timeoutMs,
      confirm: (w) => this.confirm(w),
    })
    this.warnAll(result.warnings)
    if (!this.jsonEnabled()) {
      const suffix = result.dryRun ? ' (dry run)' : ''
      if (flags['all-workloads']) {
        if (result.workloads.length === 0) this.log('no kaos workloads found')
        else if (result.dryRun) for (const w of result.workloads) this.log(`${w.kind} ${w.namespace}/${w.name} would be deleted`)
        for (const o of result.deletedWorkloads) this.log(`${o.kind.toLowerCase()}/${o.name} in ${o.namespace} deleted`)
      }
      for (const r of result.results) {
        const action = r.action === 'absent' ? 'not found' : r.action
        this.log(`${r.kind.toLowerCase()}/${r.name} ${action}${r.note ? ` (${r.note})` : ''}${r.action === 'deleted' ? suffix : ''}`)
      }
    }
    return result
  }

  /** List the workloads and get a yes: --yes, else an interactive prompt; never a prompt in CI or without a TTY. */
  private async confirm(workloads: WorkloadSummary[]): Promise<void> {
    const listing = table(['KIND', 'NAMESPACE', 'NAME', 'READY'], workloads.map((w) => [w.kind, w.namespace, w.name, w.ready]))
    if (!this.jsonEnabled()) process.stderr.write(`${listing}\n`)
    if (this.flags.yes || this.flags['dry-run']) return
    const count = `${workloads.length} kaos workload${workloads.length === 1 ? '' : 's'}`
    if (!process.stdin.isTTY || !process.stderr.isTTY || process.env.CI || this.jsonEnabled())
      throw new KaosError(`--all-workloads would delete ${count} in all namespaces; refusing to ask without a terminal${process.env.CI ? ' (CI is set)' : ''}: pass --yes to confirm`, {
        exit: ExitCode.INVALID_INPUT,
        suggestions: ['Pass --yes to confirm.'],
        data: {workloads},
      })
    const {createInterface} = await import('node:readline/promises')
    const rl = createInterface({input: process.stdin, output: process.stderr})
    try {
      const answer = await rl.question(`Delete these ${count} and the kaos system objects? [y/N] `)
      if (!/^y(es)?$/i.test(answer.trim())) throw new KaosError('uninstall cancelled; nothing was deleted', {exit: ExitCode.INVALID_INPUT})
    } finally {
      rl.close()
    }
  }
}
