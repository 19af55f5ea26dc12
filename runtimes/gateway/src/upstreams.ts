// Other MCP servers whose tools the gateway serves under a prefix. Each upstream keeps one SDK
// client (the upstream may be stateful; the gateway's own endpoint stays stateless) and a cached
// tool list, refreshed in the background every `cacheMs`. tools/list never waits on an upstream:
// it serves the cached lists of the upstreams that answered last time. One that fails is left out
// (one log line when it goes, one when it comes back) and probed in the background until it
// answers again; a call to a name under its prefix lists it again at once. Readiness waits for
// each upstream's first answer (trying again while it refuses) or for its timeoutMs, so a new
// replica's first tools/list is already complete, also when the upstream starts with it.
import {Client} from '@modelcontextprotocol/sdk/client/index.js'
import {StreamableHTTPClientTransport, StreamableHTTPError} from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import {
  CallToolResultSchema,
  ErrorCode,
  McpError,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type Progress,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js'

import {DEFAULTS, type UpstreamConfig} from './config.js'
import {staticHeaders} from './http-call.js'
import {log} from './log.js'

export type UpstreamState = 'starting' | 'up' | 'down'

const STARTING_RETRY_MS = 250

export interface CallOutcome {
  result: CallToolResult
  /** For the call log: ok, error (the upstream's own isError), timeout, unreachable, upstream_error. */
  status: string
}

export class Upstream {
  readonly name: string
  readonly prefix: string
  readonly timeoutMs: number
  private readonly cacheMs: number
  private readonly url: URL
  private readonly headers: Record<string, string>
  private client: Client | undefined
  private connecting: Promise<Client> | undefined
  private refreshing: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private failures = 0
  private stopped = false
  private startedAt = Date.now()
  private settle: () => void = () => {}
  /** Resolves when the first phase ends: the upstream answered, or is taken as down. */
  private readonly settled = new Promise<void>((resolve) => (this.settle = resolve))
  state: UpstreamState = 'starting'
  /** The tools of the last successful list (kept while down, to route calls that may succeed). */
  tools: Tool[] = []
  reason = ''

  constructor(cfg: UpstreamConfig, env: Record<string, string | undefined>, private readonly version: string) {
    this.name = cfg.name
    this.prefix = cfg.prefix ?? `${cfg.name}_`
    this.timeoutMs = cfg.timeoutMs ?? DEFAULTS.upstreamTimeoutMs
    this.cacheMs = cfg.cacheMs ?? DEFAULTS.upstreamCacheMs
    this.url = new URL(cfg.url)
    this.headers = staticHeaders(cfg.headers, env)
  }

  start(): void {
    this.startedAt = Date.now()
    void this.refresh()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.drop()
  }

  /** The tools to list now. */
  get listable(): Tool[] {
    return this.state === 'up' ? this.tools : []
  }

  /** Wait for the first list (bounded), for calls that arrive before any list did. */
  async ready(): Promise<void> {
    if (this.state === 'starting') await this.bounded(this.settled)
  }

  /**
   * List again now (bounded) instead of at the next background probe: a call names one of this
   * upstream's tools while it is down. An upstream deployed with the gateway is often down at the
   * gateway's start and answers seconds later, when the backed-off probe may be up to cacheMs
   * away; its tools must not be "unknown" meanwhile.
   */
  async retry(): Promise<void> {
    if (this.state === 'down') await this.bounded(this.refresh())
  }

  refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing
    clearTimeout(this.timer)
    this.refreshing = this.list()
      .then((tools) => {
        this.tools = tools
        this.failures = 0
        if (this.state !== 'up') log({event: 'upstream_up', upstream: this.name, tools: tools.length})
        this.state = 'up'
        this.reason = ''
      })
      .catch((error: unknown) => {
        this.failures++
        const reason = describe(error, this.timeoutMs)
        this.reason = reason
        void this.drop()
        // An upstream deployed together with the gateway often does not serve yet when the gateway
        // starts (its pod is not Ready: connection refused). Until timeoutMs after the start it is
        // tried again every STARTING_RETRY_MS, and the gateway stays unready meanwhile, so that
        // once both are Ready the first tools/list has its tools.
        if (this.state === 'starting' && Date.now() - this.startedAt + STARTING_RETRY_MS < this.timeoutMs) return
        if (this.state === 'starting') this.failures = 1
        if (this.state !== 'down') log({event: 'upstream_down', upstream: this.name, reason, note: 'left out of tools/list until it answers again'})
        this.state = 'down'
      })
      .finally(() => {
        this.refreshing = undefined
        if (this.state !== 'starting') this.settle()
        if (this.stopped) return
        // Starting: try again soon; down: probe again soon (backing off, never slower than
        // cacheMs); up: refresh every cacheMs.
        const delay =
          this.state === 'starting' ? STARTING_RETRY_MS : this.state === 'up' ? this.cacheMs : Math.min(250 * 2 ** Math.min(this.failures, 8), this.cacheMs)
        this.timer = setTimeout(() => void this.refresh(), delay)
        this.timer.unref()
      })
    return this.refreshing
  }

  /** Forward a call. `name` is the upstream's own name for the tool. */
  async call(name: string, args: Record<string, unknown> | undefined, onprogress?: (p: Progress) => void): Promise<CallOutcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        const client = await this.connect()
        const result = (await client.request({method: 'tools/call', params: {name, arguments: args}}, CallToolResultSchema, {
          timeout: this.timeoutMs,
          onprogress,
        })) as CallToolResult
        return {result, status: result.isError ? 'error' : 'ok'}
      } catch (error) {
        // The upstream restarted and forgot our session: nothing ran; connect again, once.
        if (attempt === 0 && error instanceof StreamableHTTPError && error.code === 404) {
          await this.drop()
          continue
        }
        if (error instanceof McpError && (error.code === ErrorCode.InvalidParams || error.code === ErrorCode.MethodNotFound)) throw error
        const timeout = error instanceof McpError && error.code === ErrorCode.RequestTimeout
        const remote = error instanceof McpError && !timeout && error.code !== ErrorCode.ConnectionClosed
        if (!remote) {
          await this.drop()
          void this.refresh()
        }
        const status = timeout ? 'timeout' : remote ? 'upstream_error' : 'unreachable'
        const text = timeout
          ? `upstream ${this.name} did not answer within ${this.timeoutMs} ms`
          : remote
            ? `upstream ${this.name}: ${(error as McpError).message}`
            : `upstream ${this.name} is unreachable: ${describe(error, this.timeoutMs)}`
        return {result: {isError: true, content: [{type: 'text', text}]}, status}
      }
    }
  }

  private async list(): Promise<Tool[]> {
    const client = await this.connect()
    const tools: Tool[] = []
    let cursor: string | undefined
    do {
      const page = await client.listTools(cursor ? {cursor} : undefined, {timeout: this.timeoutMs})
      tools.push(...page.tools)
      cursor = page.nextCursor
    } while (cursor && tools.length < 10_000)
    return tools
  }

  private connect(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client)
    this.connecting ??= (async () => {
      const client = new Client({name: 'kaos-gateway', version: this.version}, {capabilities: {}})
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => void this.refresh())
      client.onerror = () => {}
      const transport = new StreamableHTTPClientTransport(this.url, {requestInit: {headers: this.headers}})
      try {
        await client.connect(transport, {timeout: this.timeoutMs})
      } catch (error) {
        await client.close().catch(() => {})
        throw error
      }
      this.client = client
      return client
    })().finally(() => {
      this.connecting = undefined
    })
    return this.connecting
  }

  private async drop(): Promise<void> {
    const c = this.client
    this.client = undefined
    await c?.close().catch(() => {})
  }

  private bounded(p: Promise<void>): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, this.timeoutMs + 100)
      void p.finally(() => {
        clearTimeout(t)
        resolve()
      })
    })
  }
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) return `no answer within ${timeoutMs} ms`
  if (error instanceof StreamableHTTPError) return `HTTP ${error.code ?? '?'}: ${error.message.replace(/^Streamable HTTP error: /, '').slice(0, 200)}`
  const e = error as {message?: string; cause?: {code?: string; message?: string}}
  if (e?.cause?.code) return e.cause.code
  return (e?.message ?? String(error)).slice(0, 200)
}

/** All upstreams, in configuration order (earlier ones win a tool-name clash). */
export class Upstreams {
  readonly list: Upstream[]
  private clashes = new Set<string>()

  constructor(cfgs: UpstreamConfig[], env: Record<string, string | undefined>, version: string) {
    this.list = cfgs.map((c) => new Upstream(c, env, version))
  }

  start(): void {
    for (const u of this.list) u.start()
  }

  async stop(): Promise<void> {
    await Promise.all(this.list.map((u) => u.stop()))
  }

  /** Upstreams whose first list has not answered or failed yet (readiness waits for them). */
  get starting(): string[] {
    return this.list.filter((u) => u.state === 'starting').map((u) => u.name)
  }

  /** Upstream tools with their prefixed names, leaving out names already taken. */
  tools(taken: Set<string>): Tool[] {
    const lists = this.list.map((u) => u.listable)
    const out: Tool[] = []
    const seen = new Set(taken)
    lists.forEach((tools, i) => {
      const u = this.list[i]
      for (const t of tools) {
        const name = u.prefix + t.name
        if (seen.has(name)) {
          this.clash(name, u.name)
          continue
        }
        seen.add(name)
        out.push({...t, name})
      }
    })
    return out
  }

  /** The upstream and its own tool name for a prefixed name, from the lists known so far. */
  async route(name: string, taken: Set<string>): Promise<{upstream: Upstream; tool: string} | undefined> {
    const find = () => {
      const seen = new Set(taken)
      for (const u of this.list) {
        for (const t of u.tools) {
          const full = u.prefix + t.name
          if (full === name && !seen.has(full)) return {upstream: u, tool: t.name}
          seen.add(full)
        }
      }
      return undefined
    }
    const hit = find()
    if (hit) return hit
    const pending = this.list.filter((u) => u.state !== 'up' && name.startsWith(u.prefix))
    if (pending.length === 0) return undefined
    await Promise.all(pending.map((u) => (u.state === 'starting' ? u.ready() : u.retry())))
    return find()
  }

  private clash(name: string, upstream: string) {
    const key = `${upstream}\0${name}`
    if (this.clashes.has(key)) return
    this.clashes.add(key)
    log({event: 'tool_name_clash', upstream, tool: name, note: 'left out: the name is taken by a configured tool or an earlier upstream (set a prefix)'})
  }
}
