import * as Flags from '@oclif/core/flags'
import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import {delimiter, join} from 'node:path'

import {KaosCommand} from '../../cli/base-command.js'
import {table} from '../../cli/format/table.js'
import type {RegistrySource, Runtime} from '../../lib/registry.js'

export interface RuntimesResult {
  runtimes: Array<Runtime & {image?: string}>
  warnings: string[]
  /** The in-cluster registry ConfigMap, when a kubeconfig was there to try it. */
  cluster?: {configMap: string; present: boolean; error?: string}
}

/** Whether any kubeconfig (or an in-cluster service account) is there to try; no network. */
function kubeconfigPresent(explicit?: string): boolean {
  if (explicit) return true
  if (process.env.KUBERNETES_SERVICE_HOST) return true
  const env = process.env.KUBECONFIG
  if (env !== undefined && env !== '') return env.split(delimiter).some((p) => p && existsSync(p))
  return existsSync(join(homedir(), '.kube', 'config'))
}

export default class SystemRuntimes extends KaosCommand<typeof SystemRuntimes> {
  static summary = 'List the MCP server runtimes kaos knows and where each comes from'
  static description = `Runtimes are merged from, later winning: the built-in registry, $KAOS_REGISTRY or ~/.config/kaos/runtimes.yaml, --registry files, the cluster ConfigMap kaos-mcp-runtimes, and plugins. SOURCE says which one each entry came from (builtin, file:PATH, cluster:NAMESPACE/kaos-mcp-runtimes, plugin:PACKAGE); SHADOWS which entries of the same name it replaced.

The cluster ConfigMap (written by \`kaos system install\`) is read only when a kubeconfig is present, with a short deadline; an unreachable cluster is a warning, and --offline skips it.`
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'With a team registry file, as JSON', command: '<%= config.bin %> <%= command.id %> --registry team-runtimes.yaml -o json'},
  ]
  static flags = {
    output: Flags.string({char: 'o', description: 'Output format', options: ['table', 'wide', 'json', 'yaml'], default: 'table'}),
    'system-namespace': Flags.string({description: 'Namespace of the kaos-mcp-runtimes ConfigMap', default: 'kaos-system'}),
    offline: Flags.boolean({description: 'Do not read the cluster ConfigMap, even when a kubeconfig is present'}),
  }

  /** The cluster ConfigMap as a registry source, when a kubeconfig is there; problems are warnings. */
  private async clusterSource(warnings: string[]): Promise<{sources: RegistrySource[]; cluster?: RuntimesResult['cluster']}> {
    if (this.flags.offline || !kubeconfigPresent(this.flags.kubeconfig)) return {sources: []}
    const ns = this.flags['system-namespace']
    const configMap = `${ns}/kaos-mcp-runtimes`
    try {
      const {Cluster} = await import('../../lib/cluster/client.js')
      const {readClusterRegistry} = await import('../../lib/cluster/registry-configmap.js')
      const cluster = Cluster.connect({kubeconfig: this.flags.kubeconfig, context: this.flags.context, retries: 0})
      const read = await readClusterRegistry(cluster, ns, {timeoutMs: 3000})
      if (read.error) warnings.push(`cluster registry ${configMap} not used: ${read.error}; showing local runtimes only (--offline skips the cluster)`)
      return {sources: read.source && !read.error ? [read.source] : [], cluster: {configMap, present: read.present, ...(read.error ? {error: read.error} : {})}}
    } catch (error) {
      const message = (error as Error).message
      warnings.push(`cluster registry ${configMap} not used: ${message}; showing local runtimes only (--offline skips the cluster)`)
      return {sources: [], cluster: {configMap, present: false, error: message}}
    }
  }

  async run(): Promise<RuntimesResult> {
    const clusterWarnings: string[] = []
    const fromCluster = await this.clusterSource(clusterWarnings)
    const registry = await this.registry(fromCluster.sources)
    const runtimes = [...registry.runtimes.values()].sort((a, b) => a.name.localeCompare(b.name))
    const warnings = [...clusterWarnings, ...registry.warnings]
    const result: RuntimesResult = {runtimes, warnings, ...(fromCluster.cluster ? {cluster: fromCluster.cluster} : {})}
    this.warnAll(warnings)
    if (this.jsonEnabled()) return result
    const fmt = this.flags.output
    if (fmt === 'json' || fmt === 'yaml') await this.printStructured(result, fmt)
    else {
      const wide = fmt === 'wide'
      const headers = ['NAME', 'TYPE', 'TRANSPORT', 'SOURCE', 'SHADOWS', ...(wide ? ['IMAGE'] : []), 'DESCRIPTION']
      const rows = runtimes.map((r) => [
        r.name,
        r.type,
        r.transport,
        r.origin,
        r.shadows.join(',') || '-',
        ...(wide ? [r.image ?? '(container.image)'] : []),
        r.description,
      ])
      this.log(table(headers, rows))
    }
    return result
  }
}
