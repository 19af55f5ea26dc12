import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../cli/base-command.js'
import {table} from '../../cli/format/table.js'

/** The contract an application stores to reach MCP servers in-cluster. */
export interface McpEndpoint {
  name: string
  namespace: string
  url: string
  transport: 'streamable-http' | 'sse'
}

export default class McpEndpoints extends KaosCommand<typeof McpEndpoints> {
  static summary = 'Print the in-cluster URL of every MCP server, for applications to store'
  static examples = ['<%= config.bin %> <%= command.id %> -A -o json', '<%= config.bin %> <%= command.id %> -n tools']
  static flags = {
    'all-namespaces': Flags.boolean({char: 'A', description: 'Across all namespaces'}),
    selector: Flags.string({char: 'l', description: 'Label selector to filter on'}),
    output: Flags.string({char: 'o', description: 'Output format', options: ['table', 'json', 'yaml'], default: 'table'}),
  }

  async run(): Promise<{endpoints: McpEndpoint[]}> {
    const cluster = await this.connect()
    const {listWorkloads} = await import('../../lib/workloads.js')
    const items = await listWorkloads(cluster, 'MCPServer', {namespace: this.flags['all-namespaces'] ? undefined : cluster.namespace, selector: this.flags.selector})
    const endpoints: McpEndpoint[] = items.map((i) => ({name: i.name, namespace: i.namespace, url: i.endpoint, transport: i.transport === 'sse' ? 'sse' : 'streamable-http'}))
    if (this.jsonEnabled()) return {endpoints}
    if (this.flags.output === 'json' || this.flags.output === 'yaml') await this.printStructured({endpoints}, this.flags.output)
    else this.log(table(['NAMESPACE', 'NAME', 'URL', 'TRANSPORT'], endpoints.map((e) => [e.namespace, e.name, e.url, e.transport])))
    return {endpoints}
  }
}
