import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../cli/base-command.js'
import {ExitCode, KaosError} from '../../lib/errors.js'
import {table} from '../../cli/format/table.js'
import type {StatusReport} from '../../lib/system/status.js'

export default class SystemStatus extends KaosCommand<typeof SystemStatus> {
  static summary = 'Check the cluster, the shared runtime registry and every kaos workload'
  static description = `Reports: whether the API server answers (server URL and Kubernetes version), the current context and namespace, the registry ConfigMap kaos-mcp-runtimes (present, how many runtimes, which override built-in ones), and every kaos MCPServer, Agent and ModelAPI in all namespaces (only the -n namespace when -n is given) with its ready count and, when it is not ready, its first problem. Warns about runtime images without a pinned tag.

Exit codes for CI: 3 when the cluster is unreachable, 5 when a workload is failing (crash loop, image pull, unschedulable, missing service account…). A workload that is still starting is reported but does not fail the command.`
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'In CI: the report as JSON, exit 5 if anything is failing', command: '<%= config.bin %> <%= command.id %> --json'},
    {description: 'Only the workloads of one namespace', command: '<%= config.bin %> <%= command.id %> -n team-a'},
    {description: 'Another cluster', command: '<%= config.bin %> <%= command.id %> --context staging'},
  ]
  static flags = {
    'system-namespace': Flags.string({description: 'Namespace of the kaos-mcp-runtimes ConfigMap', default: 'kaos-system'}),
  }

  async run(): Promise<StatusReport> {
    const {Cluster} = await import('../../lib/cluster/client.js')
    const cluster = Cluster.connect({...this.connectOptions(), retries: 1})
    const {status} = await import('../../lib/system/status.js')
    const report = await status(cluster, {systemNamespace: this.flags['system-namespace'], registry: (src) => this.registry(src)})
    const failing = report.workloads.filter((w) => w.health === 'Failing')
    if (this.jsonEnabled()) {
      // The full report still goes out; the exit code carries the verdict.
      if (failing.length > 0) process.exitCode = ExitCode.WORKLOAD_FAILED
      return report
    }
    const c = report.cluster
    this.log(`Cluster:    ${c.server} reachable, Kubernetes ${c.version ?? 'unknown version'}`)
    this.log(`Context:    ${c.context} (namespace ${c.namespace}${c.user ? `, user ${c.user}` : ''})`)
    const r = report.registry
    if (!r.present) this.log(`Registry:   ${r.configMap} not installed (run \`kaos system install\`)`)
    else if (r.error) this.log(`Registry:   ${r.configMap} present but unreadable: ${r.error}`)
    else {
      const parts = [`${r.runtimes.length} runtime${r.runtimes.length === 1 ? '' : 's'}`]
      if (r.overridesBuiltin.length > 0) parts.push(`overrides built-in ${r.overridesBuiltin.join(', ')}`)
      if (r.added.length > 0) parts.push(`adds ${r.added.join(', ')}`)
      if (r.sameAsBuiltin.length > 0) parts.push(`${r.sameAsBuiltin.length} same as built-in`)
      this.log(`Registry:   ${r.configMap}: ${parts.join('; ')}`)
    }
    if (report.workloads.length === 0) this.log('Workloads:  none')
    else {
      const counts = report.summary.map((s) => `${s.kind} in ${s.namespace}: ${s.ready}/${s.total} ready${s.failing ? `, ${s.failing} failing` : ''}`)
      this.log(`Workloads:  ${counts.join('; ')}`)
      this.log('')
      this.log(
        table(
          ['KIND', 'NAMESPACE', 'NAME', 'READY', 'STATUS', 'PROBLEM'],
          report.workloads.map((w) => [w.kind, w.namespace, w.name, w.ready, w.health, w.problem ?? '']),
        ),
      )
    }
    this.warnAll(report.warnings)
    if (failing.length > 0)
      throw new KaosError(
        `${failing.length} workload${failing.length === 1 ? ' is' : 's are'} failing: ${failing.map((w) => `${w.kind} ${w.namespace}/${w.name}: ${w.problem}`).join('; ')}`,
        {exit: ExitCode.WORKLOAD_FAILED, suggestions: ['Inspect with `kaos <mcp|agent|modelapi> get NAME -n NAMESPACE` and `… logs NAME`.'], data: report},
      )
    return report
  }
}
