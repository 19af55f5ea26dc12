import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../cli/base-command.js'
import {withHeld} from '../../cli/interrupt.js'
import {StatusLine} from '../../cli/progress.js'
import {parseDuration} from '../../lib/duration.js'
import {invalid} from '../../lib/errors.js'
import {parseArgFlags, parseArgsJson, parseHeaders} from '../../lib/invoke/args.js'
import type {McpAction, McpActionResult} from '../../lib/invoke/mcp.js'
import type {McpTransportKind} from '../../lib/mcp/session.js'

export default class McpInvoke extends KaosCommand<typeof McpInvoke> {
  static summary = 'Call an MCP server: list its tools, call one, read resources, get prompts'
  static description = `Connects through an in-process port-forward to a Ready pod of mcpserver-<name> (no kubectl), does the MCP handshake (initialize, session id, protocol version) over streamable HTTP at the runtime's path (or SSE for runtimes with transport: sse) and then:

  no --tool                 lists the tools with their arguments
  --tool T --args/--arg     calls T; arguments are coerced by and checked against its input schema first
  --list-resources          lists resources and resource templates; --resource URI reads one
  --list-prompts            lists prompts; --prompt NAME [--arg k=v] gets one

Runtimes with bearer auth (slack) get their token from the Secret kaos created (or the Secret the AUTH_TOKEN env refers to) and kaos sends "Authorization: Bearer …". --url talks to any MCP endpoint directly, skipping the cluster.

A tool call sends a progressToken: the server's progress notifications are shown on stderr (one updating line on a terminal, plain lines otherwise, nothing with --json) and each one restarts --timeout; --max-time caps the whole call however much progress arrives. Ctrl-C cancels the call on the server (notifications/cancelled) and ends the session before exiting (130).

Text content is printed as is (on a terminal without escape sequences), JSON pretty-printed; images, audio and binary resources are saved to files (--output-dir, default a new temporary directory) and their paths printed. --json prints the raw MCP result.

Exit codes: 2 bad arguments (checked before the call, the schema is shown); 5 no Ready pod, pod lost mid-call, or server unreachable; 6 the tool returned isError, the server answered an error, refused the request, is not an MCP endpoint, or timed out (--timeout, --max-time); 8 no such MCPServer, tool or prompt.`

  static examples = [
    {description: 'List the tools of MCPServer calc', command: '<%= config.bin %> <%= command.id %> calc -n tools'},
    {description: 'Call a tool (values coerced by its schema)', command: '<%= config.bin %> <%= command.id %> calc --tool add --arg a=1 --arg b=2'},
    {description: 'Arguments as JSON', command: `<%= config.bin %> <%= command.id %> k8s --tool pods_list_in_namespace --args '{"namespace": "default"}'`},
    {description: 'A local or in-cluster server, no port-forward', command: '<%= config.bin %> <%= command.id %> --url http://127.0.0.1:8000/mcp --tool echo --arg message=hi'},
    {description: 'Read a resource', command: '<%= config.bin %> <%= command.id %> docs --resource file:///README.md'},
  ]

  static args = {name: Args.string({description: 'Name of the MCPServer (not needed with --url)'})}

  static flags = {
    tool: Flags.string({char: 't', description: 'Tool to call (without it, the tools are listed)'}),
    // -a: upstream KAOS's short flag for --args.
    args: Flags.string({char: 'a', description: 'Arguments as a JSON object'}),
    arg: Flags.string({description: 'Argument KEY=VALUE, coerced by the input schema; KEY:=JSON for a JSON value (repeatable)', multiple: true}),
    'list-resources': Flags.boolean({description: 'List resources and resource templates'}),
    resource: Flags.string({description: 'Read the resource with this URI'}),
    'list-prompts': Flags.boolean({description: 'List prompts'}),
    prompt: Flags.string({description: 'Get the prompt with this name (arguments with --args/--arg)'}),
    url: Flags.string({description: 'Talk to this MCP endpoint directly (e.g. http://127.0.0.1:8000/mcp), without the cluster'}),
    header: Flags.string({char: 'H', description: 'Extra HTTP header NAME=VALUE (repeatable)', multiple: true}),
    transport: Flags.string({description: "MCP transport (default: the runtime's, else http)", options: ['http', 'sse']}),
    path: Flags.string({description: "MCP path on the server (default: the deployed endpoint's, else the runtime's, else /mcp)"}),
    timeout: Flags.string({description: "How long to wait for each answer from the server (a tool call's progress notifications restart it)", default: '60s'}),
    'max-time': Flags.string({description: 'Cap on the whole tool call, progress or not (e.g. 10m); past it the call is cancelled'}),
    'local-port': Flags.integer({description: 'Local port of the port-forward (default: a free one)', min: 1, max: 65535}),
    'output-dir': Flags.string({description: 'Directory for images and binary content (default: a new temporary directory)'}),
    'skip-validation': Flags.boolean({description: 'Send the arguments even if they do not fit the input schema'}),
    'no-auth': Flags.boolean({description: "Do not send the runtime's bearer token (to check that the server requires it)", hidden: true}),
    'system-namespace': Flags.string({description: 'Namespace of the kaos-mcp-runtimes ConfigMap', default: 'kaos-system', hidden: true}),
  }

  async run(): Promise<unknown> {
    const {flags, args} = this
    const modes = [flags.tool && '--tool', flags.resource && '--resource', flags.prompt && '--prompt', flags['list-resources'] && '--list-resources', flags['list-prompts'] && '--list-prompts'].filter(Boolean)
    if (modes.length > 1) throw invalid(`give only one of ${modes.join(', ')}`)
    if ((flags.args || flags.arg?.length) && !flags.tool && !flags.prompt) throw invalid('--args and --arg go with --tool or --prompt')
    if (flags.url && args.name) throw invalid('give an MCPServer NAME or --url, not both')
    if (!flags.url && !args.name) throw invalid('an MCPServer NAME (or --url) is required', ['kaos mcp invoke NAME -n NAMESPACE, or kaos mcp invoke --url http://127.0.0.1:8000/mcp'])
    const timeoutMs = parseDuration(flags.timeout)
    const maxTimeMs = flags['max-time'] === undefined ? undefined : parseDuration(flags['max-time'], '--max-time')
    if (maxTimeMs !== undefined && !flags.tool) throw invalid('--max-time goes with --tool')
    const headers = parseHeaders(flags.header)
    // Parse the arguments before connecting: a typo fails fast.
    const json = parseArgsJson(flags.args)
    const pairs = parseArgFlags(flags.arg)
    const skipValidation = flags['skip-validation']
    const action: McpAction = flags.tool
      ? {kind: 'call', tool: flags.tool, json, args: pairs, skipValidation, maxTimeMs}
      : flags.prompt
        ? {kind: 'prompt', name: flags.prompt, json, args: pairs, skipValidation}
        : flags.resource
          ? {kind: 'resource', uri: flags.resource}
          : flags['list-resources']
            ? {kind: 'list-resources'}
            : flags['list-prompts']
              ? {kind: 'list-prompts'}
              : {kind: 'list-tools'}
    const transport = flags.transport as McpTransportKind | undefined

    const status = new StatusLine(this.jsonEnabled())
    const result = await withHeld(async (hold) => {
      const [{McpSession}, {runMcpAction}, target] = await Promise.all([
        import('../../lib/mcp/session.js'),
        import('../../lib/invoke/mcp.js'),
        import('../../lib/invoke/target.js'),
      ])
      const t = flags.url
        ? target.mcpUrlTarget(flags.url, {path: flags.path, transport, headers})
        : await target.mcpWorkloadTarget(await this.connect(), args.name!, {
            registry: (src) => this.registry(src),
            systemNamespace: flags['system-namespace'],
            path: flags.path,
            transport,
            headers,
            noAuth: flags['no-auth'],
            localPort: flags['local-port'],
            log: (m) => this.debug(m),
            warn: (m) => this.warn(m),
          })
      const fwd = t.forwarder ? hold(t.forwarder) : undefined
      const session = hold(
        await McpSession.connect({
          url: t.url,
          transport: t.transport,
          headers: t.headers,
          timeoutMs,
          clientName: 'kaos',
          clientVersion: this.config.version,
          target: t.label,
          explainNetworkError: fwd ? (e) => fwd.explain(e) : undefined,
          retryAfterNetworkError: fwd ? () => fwd.failover() : undefined,
        }),
      )
      const format = await import('../../cli/format/mcp.js')
      return runMcpAction(session, action, {onProgress: (tool, p) => status.update(format.formatProgress(tool, p))})
    }).finally(() => status.clear())
    return this.print(result)
  }

  /** Print unless --json; return what --json prints. A tool error still exits 6. */
  private async print(r: McpActionResult): Promise<unknown> {
    const json = this.jsonEnabled()
    const format = await import('../../cli/format/mcp.js')
    if (r.kind === 'call') this.warnAll(r.warnings)
    if (json) {
      if (r.kind === 'call') {
        if (r.result.isError) process.exitCode = format.TOOL_ERROR_EXIT
        return r.result
      }
      return format.jsonShape(r)
    }
    const out = format.printMcpResult(r, {outputDir: this.flags['output-dir'], terminal: Boolean(process.stdout.isTTY)})
    if (out.stdout) this.log(out.stdout)
    for (const n of out.notes) this.note(n)
    if (out.error) throw out.error
    return format.jsonShape(r)
  }
}
