import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../cli/base-command.js'
import {table} from '../../cli/format/table.js'
import {parseDuration} from '../../lib/duration.js'
import type {McpEndpoint} from '../../lib/endpoints.js'
import {ExitCode} from '../../lib/errors.js'

export type {McpEndpoint} from '../../lib/endpoints.js'

export default class McpEndpoints extends KaosCommand<typeof McpEndpoints> {
  static summary = 'Print the URL of every MCP server, for applications to store; --check speaks MCP to each'
  static description = `The in-cluster URL (http://mcpserver-<name>.<namespace>.svc.cluster.local:<port><path>) and, for servers kaos exposed (--expose), the external one from their Ingress or HTTPRoute.

--check opens a port-forward to each Ready pod of each server (up to five per server, picked at random beyond that), does the MCP handshake and tools/list, and reports what it got; a server that does not answer MCP makes the command exit 5.`
  static examples = ['<%= config.bin %> <%= command.id %> -A -o json', '<%= config.bin %> <%= command.id %> -n tools --check']
  static flags = {
    'all-namespaces': Flags.boolean({char: 'A', description: 'Across all namespaces'}),
    selector: Flags.string({char: 'l', description: 'Label selector to filter on'}),
    output: Flags.string({char: 'o', description: 'Output format', options: ['table', 'json', 'yaml'], default: 'table'}),
    check: Flags.boolean({description: 'Speak MCP (initialize, tools/list) to each Ready pod of each server'}),
    timeout: Flags.string({description: 'With --check: how long the checks may take in all', default: '60s'}),
    'system-namespace': Flags.string({description: 'Namespace of the kaos-mcp-runtimes ConfigMap', default: 'kaos-system', hidden: true}),
  }

  async run(): Promise<{endpoints: McpEndpoint[]}> {
    const {flags} = this
    const timeoutMs = parseDuration(flags.timeout)
    const cluster = await this.connect()
    const [{mcpEndpoints}, {clusterRegistrySource}] = await Promise.all([import('../../lib/endpoints.js'), import('../../lib/cluster/registry-configmap.js')])
    const check = flags.check
      ? {
          registry: await this.registry(await clusterRegistrySource(cluster, flags['system-namespace'], [])),
          systemNamespace: flags['system-namespace'],
          deadlineAt: Date.now() + timeoutMs,
          log: (m: string) => this.debug(m),
        }
      : undefined
    const endpoints = await mcpEndpoints(cluster, {namespace: flags['all-namespaces'] ? undefined : cluster.namespace, selector: flags.selector, check})
    const failed = endpoints.filter((e) => e.check && !e.check.ok)
    if (failed.length > 0) {
      for (const e of failed) if (e.check && !e.check.ok) this.warn(`mcpserver/${e.name} in ${e.namespace}: ${e.check.error}`)
      process.exitCode = ExitCode.WORKLOAD_FAILED
    }
    if (this.jsonEnabled()) return {endpoints}
    if (flags.output === 'json' || flags.output === 'yaml') await this.printStructured({endpoints}, flags.output)
    else {
      const external = endpoints.some((e) => e.external)
      const status = (e: McpEndpoint) => (!e.check ? '' : e.check.ok ? `ok: ${e.check.tools} tool${e.check.tools === 1 ? '' : 's'} on ${e.check.checkedPods === e.check.readyPods ? e.check.readyPods : `${e.check.checkedPods} of ${e.check.readyPods}`} pod${e.check.readyPods === 1 ? '' : 's'}` : `FAILED (${e.check.code})`)
      const head = ['NAMESPACE', 'NAME', 'URL', ...(external ? ['EXTERNAL'] : []), 'TRANSPORT', ...(check ? ['MCP'] : [])]
      this.log(table(head, endpoints.map((e) => [e.namespace, e.name, e.url, ...(external ? [e.external ?? ''] : []), e.transport, ...(check ? [status(e)] : [])])))
    }
    return {endpoints}
  }
}
