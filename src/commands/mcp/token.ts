import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../cli/base-command.js'
import type {McpToken as Token} from '../../lib/token.js'

export default class McpToken extends KaosCommand<typeof McpToken> {
  static summary = 'Print the bearer token an MCP server\'s callers send'
  static description = `kaos generates the token into the Secret mcpserver-<name>-auth (key token) for servers that check one: runtimes with auth (slack), and kaos's own servers (rawpython, the gateway, the stdio runtimes) when exposed outside the cluster with --expose. It is printed only here, on stdout, alone on its line; kaos mcp invoke sends it itself.`
  static examples = [
    {description: 'Call an exposed server from outside the cluster', command: 'curl -H "Authorization: Bearer $(<%= config.bin %> <%= command.id %> calc -n tools)" https://calc.example.com/mcp …'},
    {description: 'As JSON, with the Secret it lives in', command: '<%= config.bin %> <%= command.id %> calc --json'},
  ]
  static args = {name: Args.string({description: 'Name of the MCPServer', required: true})}
  static flags = {
    'system-namespace': Flags.string({description: 'Namespace of the kaos-mcp-runtimes ConfigMap', default: 'kaos-system', hidden: true}),
  }

  async run(): Promise<Token> {
    const cluster = await this.connect()
    const [{mcpServerToken}, {clusterRegistrySource}] = await Promise.all([import('../../lib/token.js'), import('../../lib/cluster/registry-configmap.js')])
    const registry = await this.registry(await clusterRegistrySource(cluster, this.flags['system-namespace'], []))
    const t = await mcpServerToken(cluster, this.args.name, cluster.namespace, registry)
    if (!this.jsonEnabled()) this.log(t.token)
    return t
  }
}
