import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../cli/base-command.js'
import {Progress} from '../../cli/progress.js'
import {parseDuration} from '../../lib/duration.js'
import type {RotatedToken, McpToken as Token} from '../../lib/token.js'

export default class McpToken extends KaosCommand<typeof McpToken> {
  static summary = 'Print the bearer token an MCP server\'s callers send'
  static description = `kaos generates the token into the Secret mcpserver-<name>-auth (key token) for servers that check one: runtimes with auth (slack), and kaos's own servers (rawpython, the gateway, the stdio runtimes) when exposed outside the cluster with --expose. It is printed only here, on stdout, alone on its line; kaos mcp invoke sends it itself.`
  static examples = [
    {description: 'Call an exposed server from outside the cluster', command: 'curl -H "Authorization: Bearer $(<%= config.bin %> <%= command.id %> calc -n tools)" https://calc.example.com/mcp …'},
    {description: 'As JSON, with the Secret it lives in', command: '<%= config.bin %> <%= command.id %> calc --json'},
    {description: 'A new token: the server and the gateways that call it restart to read it', command: '<%= config.bin %> <%= command.id %> calc --rotate --wait'},
  ]
  static args = {name: Args.string({description: 'Name of the MCPServer', required: true})}
  static flags = {
    rotate: Flags.boolean({description: 'Replace the token with a new random one and restart the Deployments that read it (the server, gateways that call it); prints the new token'}),
    wait: Flags.boolean({description: 'With --rotate: wait until those restarts are rolled out (old pods take the old token until then)', dependsOn: ['rotate']}),
    timeout: Flags.string({description: 'With --rotate --wait: how long the whole command may take', default: '5m'}),
    'system-namespace': Flags.string({description: 'Namespace of the kaos-mcp-runtimes ConfigMap', default: 'kaos-system', hidden: true}),
  }

  async run(): Promise<Token | RotatedToken> {
    const timeoutMs = parseDuration(this.flags.timeout, '--timeout')
    const cluster = await this.connect(this.flags.wait ? {deadline: AbortSignal.timeout(timeoutMs + 2000)} : {})
    const [{mcpServerToken, rotateMcpServerToken}, {clusterRegistrySource}] = await Promise.all([import('../../lib/token.js'), import('../../lib/cluster/registry-configmap.js')])
    const registry = await this.registry(await clusterRegistrySource(cluster, this.flags['system-namespace'], []))
    if (!this.flags.rotate) {
      const t = await mcpServerToken(cluster, this.args.name, cluster.namespace, registry)
      if (!this.jsonEnabled()) this.log(t.token)
      return t
    }
    const t = await new Progress(this.jsonEnabled()).during((progress) =>
      rotateMcpServerToken(cluster, this.args.name, cluster.namespace, registry, {
        wait: this.flags.wait ? {timeoutMs, onProgress: (d, text) => progress(`deployment/${d}: ${text}`)} : undefined,
      }),
    )
    if (!this.jsonEnabled()) {
      this.log(t.token)
      this.note(`rotated: ${t.restarted.join(', ')} ${this.flags.wait ? 'restarted and ready' : 'restarting (their old pods take the old token until replaced; --wait waits)'}`)
    }
    return t
  }
}
