import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../cli/base-command.js'
import {withHeld} from '../../cli/interrupt.js'
import {ExitCode, KaosError, invalid} from '../../lib/errors.js'
import {parseHeaders} from '../../lib/invoke/args.js'

export default class McpInspect extends KaosCommand<typeof McpInspect> {
  static summary = 'Open the MCP Inspector on a deployed MCP server (through a port-forward) or any URL'
  static description = `Runs the MCP Inspector (@modelcontextprotocol/inspector, a pinned version, through npx; on a Node older than 22.19, npx also fetches a pinned Node 22 to run it) against mcpserver-<name> through kaos's in-process port-forward, which stays open until the Inspector exits; --url inspects any endpoint instead (\`kaos mcp run\` prints one). A runtime's bearer token (slack) is added by a local relay in front of the forward, so it is never on the Inspector's command line.

By default the Inspector's web UI opens in your browser (--no-open: only print its address). That needs a person at a terminal: with CI set, or without a terminal, kaos refuses (exit 2) and points at --cli, the Inspector's command-line mode, which takes the Inspector's own arguments after --:

  kaos mcp inspect calc --cli -- --method tools/list
  kaos mcp inspect calc --cli -- --method tools/call --tool-name add --tool-arg a=1 --tool-arg b=2

Ctrl-C stops the Inspector (its whole process group) and closes the forward. Exit codes: 2 bad input, no terminal for the web UI; 5 no Ready pod; 6 the Inspector failed (or its CLI reported an error); 8 no such MCPServer.`
  static examples = [
    {description: 'The web UI, on a deployed server', command: '<%= config.bin %> <%= command.id %> calc -n tools'},
    {description: 'A server kaos mcp run serves', command: '<%= config.bin %> <%= command.id %> --url http://127.0.0.1:8000/mcp'},
    {description: 'CI: the Inspector\'s CLI mode', command: '<%= config.bin %> <%= command.id %> calc --cli -- --method tools/call --tool-name add --tool-arg a=1 --tool-arg b=2'},
  ]
  static args = {name: Args.string({description: 'Name of the MCPServer (not needed with --url)'})}
  static flags = {
    url: Flags.string({description: 'Inspect this MCP endpoint directly (e.g. http://127.0.0.1:8000/mcp), without the cluster'}),
    cli: Flags.boolean({description: "Run the Inspector's CLI mode (arguments after --; default --method tools/list) instead of its web UI"}),
    open: Flags.boolean({description: 'Open the web UI in a browser (--no-open: print its address only)', default: true, allowNo: true}),
    header: Flags.string({char: 'H', description: 'Extra HTTP header NAME=VALUE for the server (repeatable; added by kaos, not on the Inspector\'s command line)', multiple: true}),
    transport: Flags.string({description: "MCP transport (default: the runtime's, else http)", options: ['http', 'sse']}),
    path: Flags.string({description: "MCP path on the server (default: the deployed endpoint's, else the runtime's, else /mcp)"}),
    'local-port': Flags.integer({description: 'Local port of the port-forward (default: a free one)', min: 1, max: 65535}),
    'system-namespace': Flags.string({description: 'Namespace of the kaos-mcp-runtimes ConfigMap', default: 'kaos-system', hidden: true}),
  }

  /** The arguments after `--`: the Inspector's own, kept away from kaos's parser. */
  private inspectorArgs: string[] = []

  protected normalizeArgv(argv: string[]): string[] {
    const dash = argv.indexOf('--')
    if (dash === -1) return argv
    this.inspectorArgs = argv.slice(dash + 1)
    return argv.slice(0, dash)
  }

  async run(): Promise<{url: string; exitCode: number}> {
    const {flags, args} = this
    const extra = this.inspectorArgs
    if (extra.length > 0 && !flags.cli) throw invalid('arguments after -- are for the Inspector\'s CLI mode: add --cli')
    if (flags.url && args.name) throw invalid('give an MCPServer NAME or --url, not both')
    if (!flags.url && !args.name) throw invalid('an MCPServer NAME (or --url) is required', ['kaos mcp inspect NAME -n NAMESPACE, or kaos mcp inspect --url http://127.0.0.1:8000/mcp'])
    if (!flags.cli && (process.env.CI || !process.stdout.isTTY || !process.stdin.isTTY))
      throw invalid(`kaos mcp inspect opens the MCP Inspector's web UI, which needs a person at a terminal (${process.env.CI ? 'CI is set' : 'no terminal'}): use its CLI mode instead`, [
        `kaos mcp inspect ${flags.url ? `--url ${flags.url}` : args.name} --cli -- --method tools/list (or --method tools/call --tool-name NAME --tool-arg k=v); or kaos mcp invoke`,
      ])
    const headers = parseHeaders(flags.header)
    const transport = flags.transport as 'http' | 'sse' | undefined
    return withHeld(
      async (hold) => {
        const [target, {headerRelay}, {inspectorLaunch}, {GroupProcess}] = await Promise.all([
          import('../../lib/invoke/target.js'),
          import('../../lib/invoke/relay.js'),
          import('../../lib/invoke/inspector.js'),
          import('../../lib/run/supervisor.js'),
        ])
        const t = flags.url
          ? target.mcpUrlTarget(flags.url, {path: flags.path, transport, headers})
          : await target.mcpWorkloadTarget(await this.connect(), args.name!, {
              registry: (src) => this.registry(src),
              systemNamespace: flags['system-namespace'],
              path: flags.path,
              transport,
              headers,
              localPort: flags['local-port'],
              log: (m) => this.debug(m),
              warn: (m) => this.warn(m),
            })
        if (t.forwarder) hold(t.forwarder)
        // Credentials (a bearer token, a URL's user:password) go through a relay, not the Inspector's argv.
        const u = new URL(t.url)
        const relayHeaders = {...t.headers}
        if (u.username || u.password) relayHeaders.Authorization ??= `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`
        u.username = ''
        u.password = ''
        let url = u.toString()
        if (Object.keys(relayHeaders).length > 0) {
          const relay = hold(await headerRelay(u.origin, relayHeaders))
          url = relay.url(`${u.pathname}${u.search}`)
        }
        const launch = inspectorLaunch({mode: flags.cli ? 'cli' : 'web', url, transport: t.transport === 'sse' ? 'sse' : 'http', extra, open: flags.open})
        const say = (m: string) => process.stderr.write(`kaos: ${m}\n`)
        say(`${t.label}${t.forwarder || url !== t.url ? ` at ${url} (kept open until the Inspector exits)` : ''}`)
        say(`starting the MCP Inspector: npx ${launch.packages.join(' ')} (the first run downloads it)`)
        const p = new GroupProcess({command: launch.command, args: launch.args, env: launch.env, cwd: process.cwd(), label: 'the MCP Inspector (npx)', stdout: this.jsonEnabled() ? 'stderr' : 'inherit'})
        hold({interrupt: () => p.stop(3000), closeNow: () => p.killNow(), close: () => p.stop(3000)})
        const exit = await p.exited
        if (exit.code === 127 && !exit.signal) throw invalid('npx was not found: the MCP Inspector runs through npx', ['Install npm (it comes with Node.js), or put npx on the PATH.'])
        if (exit.code !== 0)
          throw new KaosError(`the MCP Inspector exited with ${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`} (its output is above)`, {exit: ExitCode.TOOL_ERROR, data: {exitCode: exit.code, signal: exit.signal}})
        return {url, exitCode: 0}
      },
      {graceMs: 4000},
    )
  }
}
