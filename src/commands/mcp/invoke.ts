import {Args, Flags} from '@oclif/core'

import {KaosCommand} from '../../base-command.js'
import type {Cluster} from '../../lib/cluster/client.js'
import type {PortForwarder} from '../../lib/cluster/portforward.js'
import {parseDuration} from '../../lib/duration.js'
import {ExitCode, KaosError, invalid} from '../../lib/errors.js'
import {onInterrupt, parseHeaders} from '../../lib/interrupt.js'
import {type JsonSchema, buildArguments, describeSchema, parseArgFlags, parseArgsJson} from '../../lib/invoke-args.js'
import type {McpSession, McpToolResult, McpTransportKind} from '../../lib/mcp.js'
import type {Runtime} from '../../lib/registry.js'

interface Target {
  url: string
  transport: McpTransportKind
  headers: Record<string, string>
  forwarder?: PortForwarder
  /** For messages: `MCPServer "calc" (pod …)` or the URL. */
  label: string
}

export default class McpInvoke extends KaosCommand<typeof McpInvoke> {
  static summary = 'Call an MCP server: list its tools, call one, read resources, get prompts'
  static description = `Connects through an in-process port-forward to a Ready pod of mcpserver-<name> (no kubectl), does the MCP handshake (initialize, session id, protocol version) over streamable HTTP at the runtime's path (or SSE for runtimes with transport: sse) and then:

  no --tool                 lists the tools with their arguments
  --tool T --args/--arg     calls T; arguments are coerced by and checked against its input schema first
  --list-resources          lists resources and resource templates; --resource URI reads one
  --list-prompts            lists prompts; --prompt NAME [--arg k=v] gets one

Runtimes with bearer auth (slack) get their token from the Secret kaos created (or the Secret the AUTH_TOKEN env refers to) and kaos sends "Authorization: Bearer …". --url talks to any MCP endpoint directly, skipping the cluster.

Text content is printed as is, JSON pretty-printed; images, audio and binary resources are saved to files (--output-dir, default a new temporary directory) and their paths printed. --json prints the raw MCP result.

Exit codes: 2 bad arguments (checked before the call, the schema is shown); 5 no Ready pod, pod lost mid-call, or server unreachable; 6 the tool returned isError, the server answered an error, refused the credentials, or timed out; 8 no such MCPServer, tool or prompt.`

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
    args: Flags.string({description: 'Arguments as a JSON object'}),
    arg: Flags.string({description: 'Argument KEY=VALUE, coerced by the input schema; KEY:=JSON for a JSON value (repeatable)', multiple: true}),
    'list-resources': Flags.boolean({description: 'List resources and resource templates'}),
    resource: Flags.string({description: 'Read the resource with this URI'}),
    'list-prompts': Flags.boolean({description: 'List prompts'}),
    prompt: Flags.string({description: 'Get the prompt with this name (arguments with --args/--arg)'}),
    url: Flags.string({description: 'Talk to this MCP endpoint directly (e.g. http://127.0.0.1:8000/mcp), without the cluster'}),
    header: Flags.string({char: 'H', description: 'Extra HTTP header NAME=VALUE (repeatable)', multiple: true}),
    transport: Flags.string({description: "MCP transport (default: the runtime's, else http)", options: ['http', 'sse']}),
    path: Flags.string({description: "MCP path on the server (default: the deployed endpoint's, else the runtime's, else /mcp)"}),
    timeout: Flags.string({description: 'How long to wait for each answer from the server', default: '60s'}),
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
    const headers = parseHeaders(flags.header)
    // Parse the arguments before connecting: a typo fails fast.
    const argsJson = parseArgsJson(flags.args)
    const argPairs = parseArgFlags(flags.arg)

    const ac = new AbortController()
    let target: Target | undefined
    let session: McpSession | undefined
    const stopSignals = onInterrupt(() => {
      ac.abort(new KaosError('interrupted', {exit: ExitCode.UNEXPECTED}))
      target?.forwarder?.closeNow()
    })
    try {
      target = flags.url ? this.urlTarget(flags.url, headers) : await this.clusterTarget(args.name!, headers)
      const {McpSession} = await import('../../lib/mcp.js')
      const fwd = target.forwarder
      session = await McpSession.connect({
        url: target.url,
        transport: target.transport,
        headers: target.headers,
        timeoutMs,
        signal: ac.signal,
        clientName: 'kaos',
        clientVersion: this.config.version,
        target: target.label,
        explainNetworkError: fwd ? (e) => fwd.explain(e) : undefined,
        retryAfterNetworkError: fwd ? () => fwd.failover() : undefined,
      })
      if (flags.tool) return await this.callTool(session, flags.tool, argsJson, argPairs)
      if (flags.prompt) return await this.getPrompt(session, flags.prompt, argsJson, argPairs)
      if (flags.resource) return await this.readResource(session, flags.resource)
      if (flags['list-resources']) return await this.listResources(session)
      if (flags['list-prompts']) return await this.listPrompts(session)
      return await this.listTools(session)
    } finally {
      await session?.close()
      await target?.forwarder?.close()
      stopSignals()
    }
  }

  private urlTarget(url: string, headers: Record<string, string>): Target {
    let u: URL
    try {
      u = new URL(url)
    } catch {
      throw invalid(`--url "${url}" is not a URL`, ['e.g. --url http://127.0.0.1:8000/mcp'])
    }
    if (!/^https?:$/.test(u.protocol)) throw invalid(`--url must be http:// or https://, not ${u.protocol}`)
    if (this.flags.path) u.pathname = this.flags.path
    return {url: u.toString(), transport: (this.flags.transport as McpTransportKind) ?? 'http', headers, label: u.toString()}
  }

  /** Deployment → runtime, path, transport, token; then the port-forward. */
  private async clusterTarget(name: string, headers: Record<string, string>): Promise<Target> {
    const {Cluster} = await import('../../lib/cluster/client.js')
    const {getDeployment} = await import('../../lib/workloads.js')
    const {forwardWorkload} = await import('../../lib/cluster/portforward.js')
    const {ANNOTATION_ENDPOINT, ANNOTATION_RUNTIME} = await import('../../lib/render/common.js')
    const cluster = Cluster.connect({kubeconfig: this.flags.kubeconfig, context: this.flags.context, namespace: this.flags.namespace})
    const ns = cluster.namespace
    const d = await getDeployment(cluster, 'MCPServer', name, ns)
    const annotations = d.metadata?.annotations ?? {}
    const runtime = await this.runtimeOf(cluster, annotations[ANNOTATION_RUNTIME])
    let endpointPath: string | undefined
    try {
      endpointPath = annotations[ANNOTATION_ENDPOINT] ? new URL(annotations[ANNOTATION_ENDPOINT]).pathname : undefined
    } catch {
      endpointPath = undefined
    }
    const path = this.flags.path ?? (endpointPath && endpointPath !== '/' ? endpointPath : undefined) ?? runtime?.path ?? '/mcp'
    const transport = (this.flags.transport as McpTransportKind | undefined) ?? (runtime?.transport === 'sse' ? 'sse' : 'http')
    const out = {...headers}
    const hasAuth = Object.keys(out).some((k) => k.toLowerCase() === 'authorization')
    if (runtime?.auth && !hasAuth && !this.flags['no-auth']) {
      const token = await this.bearerToken(cluster, d, runtime, name, ns)
      if (token) out.Authorization = `Bearer ${token}`
    }
    const forwarder = await forwardWorkload(cluster, 'MCPServer', name, ns, {localPort: this.flags['local-port'], log: (m) => this.debug(m)})
    return {url: forwarder.url(path), transport, headers: out, forwarder, label: `MCPServer "${name}" (pod ${forwarder.pod})`}
  }

  /** The runtime named on the Deployment: local registry first, then the cluster's ConfigMap. */
  private async runtimeOf(cluster: Cluster, name: string | undefined): Promise<Runtime | undefined> {
    if (!name) return undefined
    const local = await this.registry()
    if (local.runtimes.has(name)) return local.runtimes.get(name)
    const {clusterRegistrySource} = await import('../../lib/cluster/state.js')
    const warnings: string[] = []
    const merged = await this.registry(await clusterRegistrySource(cluster, this.flags['system-namespace'], warnings).catch(() => []))
    return merged.runtimes.get(name)
  }

  /**
   * The bearer token the server was started with: the Secret its token env refers to (kaos's own
   * `mcpserver-<name>-auth` by default), or the env's literal value.
   */
  private async bearerToken(cluster: Cluster, d: any, runtime: Runtime, name: string, ns: string): Promise<string | undefined> {
    const {objectPath} = await import('../../lib/cluster/resources.js')
    const {AUTH_SECRET_KEY, authSecretName} = await import('../../lib/render/mcpserver.js')
    const containers: any[] = d.spec?.template?.spec?.containers ?? []
    const c = containers.find((x) => x.name === 'mcp-server') ?? containers[0]
    const env = (c?.env ?? []).find((e: any) => e.name === runtime.auth!.tokenEnv)
    if (env?.value) return env.value
    const ref = env?.valueFrom?.secretKeyRef ?? {name: authSecretName(name), key: AUTH_SECRET_KEY}
    try {
      const secret = await cluster.get(objectPath('Secret', ref.name, ns))
      const data = secret?.data?.[ref.key]
      if (data) return Buffer.from(data, 'base64').toString('utf8')
      this.warn(`the bearer token of MCPServer "${name}" is not in Secret ${ns}/${ref.name} (key ${ref.key}); calling without it`)
    } catch (error) {
      if ((error as KaosError).code !== 'FORBIDDEN') throw error
      this.warn(`cannot read Secret ${ns}/${ref.name} for the bearer token of MCPServer "${name}" (forbidden); pass --header Authorization="Bearer <token>"`)
    }
    return undefined
  }

  private async listTools(session: McpSession): Promise<unknown> {
    const tools = await session.listTools()
    const info = {server: session.serverInfo, protocolVersion: session.protocolVersion, sessionId: session.sessionId}
    if (this.jsonEnabled()) return {...info, tools}
    const {renderToolList} = await import('../../lib/mcp.js')
    this.log(renderToolList(tools, describeSchema))
    const extra: string[] = []
    const caps = session.capabilities ?? {}
    if (caps.resources) extra.push('resources (--list-resources)')
    if (caps.prompts) extra.push('prompts (--list-prompts)')
    this.note(`${tools.length} tool${tools.length === 1 ? '' : 's'} on ${info.server?.name ?? 'the server'} ${info.server?.version ?? ''} (MCP ${info.protocolVersion ?? '?'})${extra.length > 0 ? `; it also offers ${extra.join(' and ')}` : ''}`)
    return {...info, tools}
  }

  private async callTool(session: McpSession, name: string, json: Record<string, unknown>, pairs: ReturnType<typeof parseArgFlags>): Promise<unknown> {
    const tool = await session.getTool(name)
    const args = buildArguments({what: `tool "${name}"`, schema: tool.inputSchema, json, args: pairs, skipValidation: this.flags['skip-validation']})
    const result = await session.callTool(name, args)
    if (this.jsonEnabled()) {
      if (result.isError) process.exitCode = ExitCode.TOOL_ERROR
      return result
    }
    const {OutputFiles, renderToolResult} = await import('../../lib/mcp.js')
    const files = new OutputFiles(this.flags['output-dir'], name)
    const text = renderToolResult(result as McpToolResult, files)
    if (result.isError) {
      if (text) process.stdout.write(`${text}\n`)
      const first = (result.content ?? []).find((c) => c.type === 'text')?.text?.split('\n').find((l) => l.trim()) ?? ''
      throw new KaosError(`tool "${name}" returned an error${first ? `: ${first.slice(0, 300)}` : ''}`, {exit: ExitCode.TOOL_ERROR, code: 'TOOL_ERROR', data: result})
    }
    if (text) this.log(text)
    return result
  }

  private async getPrompt(session: McpSession, name: string, json: Record<string, unknown>, pairs: ReturnType<typeof parseArgFlags>): Promise<unknown> {
    const prompts = await session.listPrompts()
    const prompt = prompts.find((p) => p.name === name)
    if (!prompt) {
      const {didYouMeanText} = await import('../../lib/suggest.js')
      throw new KaosError(`the server has no prompt "${name}".${didYouMeanText(name, prompts.map((p) => p.name))}`.replace(/\.$/, ''), {
        exit: ExitCode.NOT_FOUND,
        code: 'PROMPT_NOT_FOUND',
        suggestions: [`Its prompts: ${prompts.map((p) => p.name).join(', ') || 'none'}`],
      })
    }
    // Prompt arguments are strings; present them as a schema so the checks and messages match tools'.
    const schema: JsonSchema = {
      type: 'object',
      properties: Object.fromEntries((prompt.arguments ?? []).map((a) => [a.name, {type: 'string', description: a.description}])),
      required: (prompt.arguments ?? []).filter((a) => a.required).map((a) => a.name),
    }
    const raw = buildArguments({what: `prompt "${name}"`, schema, json, args: pairs, skipValidation: this.flags['skip-validation']})
    const args = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]))
    const result = await session.getPrompt(name, args)
    if (this.jsonEnabled()) return result
    const {OutputFiles, renderContent} = await import('../../lib/mcp.js')
    const files = new OutputFiles(this.flags['output-dir'], name)
    if (result.description) this.note(result.description)
    this.log(result.messages.map((m) => `[${m.role}]\n${renderContent(m.content, files)}`).join('\n\n'))
    return result
  }

  private async readResource(session: McpSession, uri: string): Promise<unknown> {
    const result = await session.readResource(uri)
    if (this.jsonEnabled()) return result
    const {OutputFiles, prettyText} = await import('../../lib/mcp.js')
    const files = new OutputFiles(this.flags['output-dir'], uri.split('/').pop() || 'resource')
    for (const c of result.contents) {
      if (c.text !== undefined) this.log(prettyText(c.text))
      else if (c.blob !== undefined) this.log(`[${c.uri} ${c.mimeType ?? ''} saved to ${files.save(Buffer.from(c.blob, 'base64'), c.mimeType, c.uri)}]`)
    }
    return result
  }

  private async listResources(session: McpSession): Promise<unknown> {
    const [resources, templates] = await Promise.all([session.listResources(), session.listResourceTemplates()])
    if (this.jsonEnabled()) return {resources, resourceTemplates: templates}
    if (resources.length === 0 && templates.length === 0) this.log('no resources')
    for (const r of resources) this.log(`${r.uri}  ${r.name}${r.mimeType ? ` (${r.mimeType})` : ''}${r.description ? ` - ${r.description.split('\n')[0]}` : ''}`)
    for (const t of templates) this.log(`${t.uriTemplate}  ${t.name} (template)${t.description ? ` - ${t.description.split('\n')[0]}` : ''}`)
    return {resources, resourceTemplates: templates}
  }

  private async listPrompts(session: McpSession): Promise<unknown> {
    const prompts = await session.listPrompts()
    if (this.jsonEnabled()) return {prompts}
    if (prompts.length === 0) this.log('no prompts')
    for (const p of prompts) {
      this.log(p.description ? `${p.name}  ${p.description.split('\n')[0]}` : p.name)
      for (const a of p.arguments ?? []) this.log(`    ${a.name}: string ${a.required ? '(required)' : '(optional)'}${a.description ? ` - ${a.description}` : ''}`)
    }
    return {prompts}
  }
}
