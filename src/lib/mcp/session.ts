/**
 * THE module that speaks MCP. A session over streamable HTTP (or legacy SSE) with the official SDK
 * client: the full initialize handshake, session id and protocol version on every request, one
 * re-initialization when the server forgets the session (404), errors translated to kaos's exit
 * codes. Rendering results for a terminal is cli/format/mcp.ts's job.
 *
 * The SDK is loaded with `await import()` inside `connect`, so commands that never speak MCP do not
 * pay for it at startup.
 */
import type {Client} from '@modelcontextprotocol/sdk/client/index.js'
import type {Transport} from '@modelcontextprotocol/sdk/shared/transport.js'

import {createHttpFetch, parseSse} from '../chat.js'
import {formatDuration} from '../duration.js'
import {ExitCode, KaosError} from '../errors.js'
import type {JsonSchema} from '../invoke/args.js'

export type McpTransportKind = 'http' | 'sse'

export interface McpConnectOptions {
  /** Full endpoint URL, e.g. http://127.0.0.1:40123/mcp (for SSE: the SSE stream URL). */
  url: string
  transport?: McpTransportKind
  /** Extra HTTP headers on every request (Authorization, …). */
  headers?: Record<string, string>
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number
  /** Aborts everything (SIGINT, overall deadline); the reason is rethrown as is. */
  signal?: AbortSignal
  /**
   * Open the optional standalone GET stream for server-initiated messages (default false: a
   * one-shot CLI call gets its answers and progress on the POST's own stream, and one fewer
   * connection matters through a port-forward).
   */
  standaloneStream?: boolean
  clientName?: string
  clientVersion?: string
  /** Turn a network failure into a clearer error (e.g. the pod behind a port-forward went away). */
  explainNetworkError?: (error: Error) => Promise<KaosError | undefined>
  /**
   * After a network failure of a read-only request: may it be retried on a fresh session (e.g. the
   * port-forward found another Ready pod)? Tool calls are never retried.
   */
  retryAfterNetworkError?: (error: Error) => Promise<boolean>
  /** Where errors say they were talking to (default: the URL). */
  target?: string
}

export interface McpTool {
  name: string
  title?: string
  description?: string
  inputSchema: JsonSchema
  outputSchema?: JsonSchema
  annotations?: Record<string, unknown>
}

export interface McpContent {
  type: string
  text?: string
  data?: string
  mimeType?: string
  uri?: string
  name?: string
  resource?: {uri: string; mimeType?: string; text?: string; blob?: string}
  [k: string]: unknown
}

export interface McpToolResult {
  content: McpContent[]
  structuredContent?: Record<string, unknown>
  isError?: boolean
  [k: string]: unknown
}

export interface McpResource {
  uri: string
  name: string
  title?: string
  description?: string
  mimeType?: string
}

export interface McpResourceTemplate {
  uriTemplate: string
  name: string
  description?: string
  mimeType?: string
}

export interface McpPrompt {
  name: string
  title?: string
  description?: string
  arguments?: Array<{name: string; description?: string; required?: boolean}>
}

/** A `notifications/progress` for a tool call. */
export interface McpProgress {
  progress: number
  total?: number
  message?: string
}

export interface McpCallOptions {
  /** Progress notifications of this call (a progressToken is always sent: progress keeps the call alive). */
  onProgress?: (p: McpProgress) => void
  /** Hard cap on the whole call in ms, however much progress the server reports. */
  maxTimeMs?: number
}

/** What the last HTTP answer that was not MCP said, for error messages that match the cause. */
interface HttpAnswer {
  status: number
  contentType: string
  wwwAuthenticate?: string
  /** The start of the body. */
  body: string
}

export interface McpSessionStats {
  /** HTTP requests sent (POST, GET, DELETE). */
  httpRequests: number
  /** Times the session was re-initialized after a 404 or a retried network failure. */
  reinitialized: number
}

const DEFAULT_TIMEOUT_MS = 30_000

/** Is this the SDK's StreamableHTTPError / SseError (duck-typed: the SDK is loaded lazily)? */
function httpStatusOf(e: unknown): number | undefined {
  const err = e as {name?: string; code?: unknown; constructor?: {name?: string}}
  const cls = err?.constructor?.name
  if ((cls === 'StreamableHTTPError' || cls === 'SseError') && typeof err.code === 'number' && err.code > 0) return err.code
  return undefined
}

function isMcpError(e: unknown): e is {code: number; message: string; data?: unknown} {
  return (e as {name?: string})?.name === 'McpError' && typeof (e as {code?: unknown}).code === 'number'
}

/** Network-level failure (refused, reset, socket closed mid-answer, DNS). */
export function isNetworkError(e: unknown): boolean {
  if (!(e instanceof Error)) return false
  const cause = (e as {cause?: {code?: string; message?: string}}).cause
  const code = (e as NodeJS.ErrnoException).code ?? cause?.code ?? ''
  if (e.name === 'AbortError') return false
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'].includes(code)) return true
  return /fetch failed|other side closed|socket hang up|terminated|aborted|SSE stream disconnected|connection closed before/i.test(e.message)
}

function networkDetail(e: Error): string {
  const cause = (e as {cause?: {code?: string; message?: string}}).cause
  return (e as NodeJS.ErrnoException).code ?? cause?.code ?? cause?.message ?? e.message
}

/** The `explain…` part of JSON-RPC errors, one line. */
export function firstLine(s: string | undefined, max = 300): string {
  const line = (s ?? '').split('\n').find((l) => l.trim() !== '') ?? ''
  return line.length > max ? `${line.slice(0, max)}…` : line
}

/**
 * One MCP session. Create with `McpSession.connect`, always `close()` (also on errors): it ends the
 * session on the server (DELETE) and releases every socket and timer.
 */
export class McpSession {
  readonly stats: McpSessionStats = {httpRequests: 0, reinitialized: 0}
  private client!: Client
  private transport!: Transport & {sessionId?: string; protocolVersion?: string; terminateSession?: () => Promise<void>}
  private closed = false
  /** Controllers of requests in flight, failed together when their connection breaks. */
  private readonly inflight = new Set<AbortController>()
  /** `notifications/cancelled` messages on their way to the server. */
  private readonly cancellations = new Set<Promise<void>>()
  /** The last HTTP answer that was an error or not MCP at all (see fetchFn). */
  private lastAnswer?: HttpAnswer
  private toolCache?: McpTool[]
  private readonly target: string
  /** Our own connections, ended on close (the global fetch would keep them open for seconds). */
  private readonly http = createHttpFetch()

  private constructor(private readonly opts: McpConnectOptions) {
    this.target = opts.target ?? opts.url
  }

  /** Connect and initialize. Errors are KaosErrors with kaos's exit codes. */
  static async connect(opts: McpConnectOptions): Promise<McpSession> {
    const s = new McpSession(opts)
    try {
      await s.open()
    } catch (error) {
      await s.close()
      throw await s.translate(error, 'initialize')
    }
    return s
  }

  get serverInfo(): {name: string; version: string; title?: string} | undefined {
    return this.client?.getServerVersion() as never
  }

  get capabilities(): Record<string, unknown> | undefined {
    return this.client?.getServerCapabilities() as never
  }

  get instructions(): string | undefined {
    return this.client?.getInstructions()
  }

  get sessionId(): string | undefined {
    return this.transport?.sessionId
  }

  /** The protocol version the server agreed to. */
  get protocolVersion(): string | undefined {
    return (this.transport as {protocolVersion?: string})?.protocolVersion
  }

  private async open(): Promise<void> {
    const [clientMod, transportMod] = await Promise.all([
      import('@modelcontextprotocol/sdk/client/index.js'),
      this.opts.transport === 'sse' ? import('@modelcontextprotocol/sdk/client/sse.js') : import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    ])
    this.client = new clientMod.Client({name: this.opts.clientName ?? 'kaos', version: this.opts.clientVersion ?? '0.0.0'}, {capabilities: {}})
    // The SDK reports background failures here; the request that suffers from one fails on its own.
    this.client.onerror = () => {}
    const url = new URL(this.opts.url)
    const requestInit: RequestInit = {headers: {...this.opts.headers}}
    const fetchFn = this.fetchFn()
    if (this.opts.transport === 'sse') {
      const {SSEClientTransport} = transportMod as typeof import('@modelcontextprotocol/sdk/client/sse.js')
      this.transport = new SSEClientTransport(url, {requestInit, fetch: fetchFn})
    } else {
      const {StreamableHTTPClientTransport} = transportMod as typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js')
      this.transport = new StreamableHTTPClientTransport(url, {
        requestInit,
        fetch: fetchFn,
        // Resuming a broken stream would only wait longer; kaos reports the break instead.
        reconnectionOptions: {maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1},
      })
    }
    this.trackCancellations()
    await this.guard((signal) => this.client.connect(this.transport, {timeout: this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal}))
  }

  /**
   * The SDK sends `notifications/cancelled` when a request is aborted or times out, without
   * waiting for it; remember those sends so the session can end only after the server heard them.
   */
  private trackCancellations(): void {
    const t = this.transport
    const send = t.send.bind(t)
    t.send = (message, options) => {
      const sent = send(message, options)
      if ((message as {method?: string}).method === 'notifications/cancelled') {
        const settled = sent.catch(() => {})
        this.cancellations.add(settled)
        settled.finally(() => this.cancellations.delete(settled))
      }
      return sent
    }
  }

  /** fetch for the SDK: counts requests, honours the overall signal, detects broken answer streams. */
  private fetchFn(): (url: string | URL, init?: RequestInit) => Promise<Response> {
    return async (url, init) => {
      const method = (init?.method ?? 'GET').toUpperCase()
      // No standalone GET stream unless asked: answer as a server without one would (405).
      if (method === 'GET' && this.opts.transport !== 'sse' && !this.opts.standaloneStream) return new Response(null, {status: 405})
      this.stats.httpRequests++
      const signals = [init?.signal, this.opts.signal].filter(Boolean) as AbortSignal[]
      const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0]
      const res = await this.http.fetch(url, {...init, signal})
      const type = (res.headers.get('content-type') ?? '').toLowerCase()
      const sse = type.includes('text/event-stream')
      // Keep what an error or a non-MCP answer said (status, type, the start of the body): the
      // SDK's errors keep the status at most, and the right hint depends on the rest.
      if (!res.ok || (method === 'POST' && !sse && isInitialize(init?.body))) {
        const text = await res.text().catch(() => '')
        this.lastAnswer = {status: res.status, contentType: type, wwwAuthenticate: res.headers.get('www-authenticate') ?? undefined, body: text.slice(0, 4000)}
        return new Response([204, 205, 304].includes(res.status) ? null : text, {status: res.status, statusText: res.statusText, headers: res.headers})
      }
      if (method !== 'POST' || !res.body || !sse) return res
      const ids = requestIds(init?.body)
      if (ids.length === 0) return res
      return new Response(this.watchStream(res.body, ids), {status: res.status, statusText: res.statusText, headers: res.headers})
    }
  }

  /**
   * Pass an SSE answer stream through; when it ends or breaks while one of its requests has no
   * answer yet, fail the requests in flight instead of waiting for their timeout.
   */
  private watchStream(body: ReadableStream<Uint8Array>, ids: Array<string | number>): ReadableStream<Uint8Array> {
    const reader = body.getReader()
    // Note the answers going by (the SDK parses the same bytes on its side).
    const decoder = new TextDecoder()
    const answered = new Set<string | number>()
    let text = ''
    const see = (chunk: Uint8Array) => {
      const {events, rest} = parseSse(text + decoder.decode(chunk, {stream: true}))
      text = rest
      for (const ev of events) {
        try {
          const m = JSON.parse(ev.data)
          for (const x of Array.isArray(m) ? m : [m]) if (x && x.id !== undefined && ('result' in x || 'error' in x)) answered.add(x.id)
        } catch {
          // not JSON: not an answer
        }
      }
    }
    const check = (cause?: unknown) => {
      // Let the SDK's parser deliver what it already has before deciding.
      setTimeout(() => {
        if (this.closed || ids.every((id) => answered.has(id))) return
        const err = new Error(`the connection closed before the server answered${cause ? ` (${(cause as Error).message ?? cause})` : ''}`)
        ;(err as {cause?: unknown}).cause = cause
        this.failInflight(err)
      }, 50).unref()
    }
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const {done, value} = await reader.read()
          if (done) {
            controller.close()
            check()
          } else {
            see(value)
            controller.enqueue(value)
          }
        } catch (error) {
          controller.error(error)
          check(error)
        }
      },
      cancel: (reason) => reader.cancel(reason),
    })
  }

  private failInflight(err: Error): void {
    for (const ac of this.inflight) ac.abort(err)
  }

  /**
   * Run one SDK call with its own abort controller (aborted by the overall signal, by a broken
   * stream or at `deadline`), rethrowing the abort reason rather than the SDK's wrapped version.
   */
  private async guard<T>(fn: (signal: AbortSignal) => Promise<T>, deadline?: {ms: number; error: () => Error}): Promise<T> {
    const ac = new AbortController()
    const outer = this.opts.signal
    const onOuter = () => ac.abort(outer!.reason)
    if (outer?.aborted) throw outer.reason
    outer?.addEventListener('abort', onOuter, {once: true})
    const timer = deadline ? setTimeout(() => ac.abort(deadline.error()), deadline.ms) : undefined
    this.inflight.add(ac)
    try {
      return await fn(ac.signal)
    } catch (error) {
      if (ac.signal.aborted) throw ac.signal.reason
      throw error
    } finally {
      clearTimeout(timer)
      this.inflight.delete(ac)
      outer?.removeEventListener('abort', onOuter)
    }
  }

  /** Re-initialize: a new transport and handshake (same options). */
  private async reopen(): Promise<void> {
    const old = this.client
    this.toolCache = undefined
    await old.close().catch(() => {})
    this.stats.reinitialized++
    await this.open()
  }

  /**
   * Run a request; on 404 with a session (the server forgot it) re-initialize once and retry; on
   * a network failure of a read-only request, retry once if the caller allows it.
   */
  private async request<T>(
    what: string,
    readOnly: boolean,
    fn: (c: Client, o: {timeout: number; signal: AbortSignal}) => Promise<T>,
    deadline?: {ms: number; error: () => Error},
  ): Promise<T> {
    const timeout = this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const attempt = () => this.guard((signal) => fn(this.client, {timeout, signal}), deadline)
    try {
      return await attempt()
    } catch (error) {
      let retry = false
      if (httpStatusOf(error) === 404 && this.sessionId) retry = true
      else if (readOnly && error instanceof Error && isNetworkError(error) && this.opts.retryAfterNetworkError) retry = await this.opts.retryAfterNetworkError(error).catch(() => false)
      if (!retry) throw await this.translate(error, what)
      try {
        await this.reopen()
        return await attempt()
      } catch (error2) {
        throw await this.translate(error2, what)
      }
    }
  }

  /** Every item of a paginated list method, following nextCursor to the end. */
  private async allPages<T>(what: string, page: (c: Client, cursor: string | undefined, o: {timeout: number; signal: AbortSignal}) => Promise<{items: unknown[]; nextCursor?: string}>): Promise<T[]> {
    const out: T[] = []
    let cursor: string | undefined
    do {
      const p = await this.request(what, true, (c, o) => page(c, cursor, o))
      out.push(...(p.items as T[]))
      cursor = p.nextCursor
    } while (cursor)
    return out
  }

  /** Every tool, all pages. */
  async listTools(): Promise<McpTool[]> {
    const tools = await this.allPages<McpTool>('tools/list', async (c, cursor, o) => {
      const r = await c.listTools(cursor ? {cursor} : undefined, o)
      return {items: r.tools, nextCursor: r.nextCursor}
    })
    this.toolCache = tools
    return tools
  }

  /** One tool by name, or a not-found error naming the close matches. */
  async getTool(name: string): Promise<McpTool> {
    const tools = this.toolCache ?? (await this.listTools())
    const tool = tools.find((t) => t.name === name)
    if (!tool) {
      const {didYouMeanText} = await import('../suggest.js')
      throw new KaosError(`the server has no tool "${name}".${didYouMeanText(name, tools.map((t) => t.name))}`.replace(/\.$/, ''), {
        exit: ExitCode.NOT_FOUND,
        suggestions: [`Its tools: ${tools.map((t) => t.name).join(', ') || 'none'}`],
        code: 'TOOL_NOT_FOUND',
      })
    }
    return tool
  }

  /**
   * Call a tool. A result with isError is returned, not thrown: the caller decides. A
   * progressToken goes with the call; each progress notification restarts the idle timeout (the
   * session's timeoutMs), and `maxTimeMs` caps the whole call: past it the call is cancelled.
   */
  async callTool(name: string, args: Record<string, unknown>, opts: McpCallOptions = {}): Promise<McpToolResult> {
    const what = `tools/call ${name}`
    const deadline = opts.maxTimeMs
      ? {
          ms: opts.maxTimeMs,
          error: () =>
            new KaosError(`${what} was still running after --max-time ${formatDuration(opts.maxTimeMs!)}; kaos cancelled it`, {
              exit: ExitCode.TOOL_ERROR,
              code: 'MAX_TIME',
              suggestions: ['Raise --max-time if the tool needs longer.'],
            }),
        }
      : undefined
    return this.request(
      what,
      false,
      (c, o) => c.callTool({name, arguments: args}, undefined, {...o, onprogress: (p) => opts.onProgress?.(p), resetTimeoutOnProgress: true}),
      deadline,
    ) as Promise<McpToolResult>
  }

  async listResources(): Promise<McpResource[]> {
    if (!this.capabilities?.resources) return []
    return this.allPages<McpResource>('resources/list', async (c, cursor, o) => {
      const r = await c.listResources(cursor ? {cursor} : undefined, o)
      return {items: r.resources, nextCursor: r.nextCursor}
    })
  }

  async listResourceTemplates(): Promise<McpResourceTemplate[]> {
    if (!this.capabilities?.resources) return []
    return this.allPages<McpResourceTemplate>('resources/templates/list', async (c, cursor, o) => {
      const r = await c.listResourceTemplates(cursor ? {cursor} : undefined, o)
      return {items: r.resourceTemplates, nextCursor: r.nextCursor}
    })
  }

  async readResource(uri: string): Promise<{contents: Array<{uri: string; mimeType?: string; text?: string; blob?: string}>}> {
    return this.request(`resources/read ${uri}`, true, (c, o) => c.readResource({uri}, o)) as never
  }

  async listPrompts(): Promise<McpPrompt[]> {
    if (!this.capabilities?.prompts) return []
    return this.allPages<McpPrompt>('prompts/list', async (c, cursor, o) => {
      const r = await c.listPrompts(cursor ? {cursor} : undefined, o)
      return {items: r.prompts, nextCursor: r.nextCursor}
    })
  }

  async getPrompt(name: string, args: Record<string, string>): Promise<{description?: string; messages: Array<{role: string; content: McpContent}>}> {
    return this.request(`prompts/get ${name}`, true, (c, o) => c.getPrompt({name, arguments: args}, o)) as never
  }

  /**
   * Ctrl-C: abort what is in flight, which makes the SDK send `notifications/cancelled` for each
   * request so the server stops the work, wait for those to be sent, then end the session
   * (DELETE). The caller bounds the whole with a deadline.
   */
  async interrupt(): Promise<void> {
    if (this.closed) return
    await this.cancelInflight(new KaosError('interrupted', {exit: ExitCode.UNEXPECTED}))
    await this.close()
  }

  /**
   * Abort the requests in flight (the SDK sends `notifications/cancelled` for each) and wait, at
   * most a second, until those notifications are sent: a DELETE that overtook them would end the
   * session with the tool still running, on servers that do not stop work with their sessions.
   */
  private async cancelInflight(reason: Error): Promise<void> {
    this.failInflight(reason)
    if (this.cancellations.size === 0) return
    await Promise.race([Promise.allSettled([...this.cancellations]), new Promise((r) => setTimeout(r, 1000).unref())])
  }

  /** End the session on the server (best effort, bounded) and release everything. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.cancelInflight(new Error('session closed'))
    const t = this.transport
    if (t && t.sessionId && typeof t.terminateSession === 'function' && !this.opts.signal?.aborted) {
      // DELETE ends the server's session; never let a slow server hold the exit.
      await Promise.race([t.terminateSession().catch(() => {}), new Promise((r) => setTimeout(r, 1000).unref())])
    }
    await this.client?.close().catch(() => {})
    this.http.close()
  }

  /** Map any failure to a KaosError with the documented exit code. */
  async translate(error: unknown, what: string): Promise<Error> {
    if (error instanceof KaosError) return error
    const e = error as Error
    if (e?.name === 'AbortError' && this.opts.signal?.aborted) return (this.opts.signal.reason as Error) ?? e
    if (e instanceof Error && isNetworkError(e)) {
      const better = await this.opts.explainNetworkError?.(e).catch(() => undefined)
      if (better) return better
      return new KaosError(`cannot talk to the MCP server at ${this.target} (${what}): ${networkDetail(e)}`, {
        exit: ExitCode.WORKLOAD_FAILED,
        code: 'MCP_UNREACHABLE',
        suggestions: ['Is the server running and listening on that address and path?'],
      })
    }
    const status = httpStatusOf(e)
    const answer = this.lastAnswer
    if (status !== undefined) return this.httpError(status, what, answer?.status === status ? answer : undefined, e.message)
    if (isMcpError(e)) {
      const msg = e.message.replace(/^MCP error -?\d+:\s*/, '')
      if (e.code === -32001) {
        const limit = formatDuration(this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS)
        const call = what.startsWith('tools/call')
        return new KaosError(`no ${call ? 'answer or progress' : 'answer'} to ${what} from ${this.target} within --timeout ${limit}`, {
          exit: ExitCode.TOOL_ERROR,
          code: 'TIMEOUT',
          suggestions: [
            what === 'initialize'
              ? 'A server that accepts connections and never answers: check that the URL is the MCP endpoint, or raise --timeout if it is slow to start.'
              : 'Raise --timeout if the server is slow (progress notifications restart it during a tool call).',
          ],
        })
      }
      if (e.code === -32601) return new KaosError(`the MCP server at ${this.target} does not support ${what.split(' ')[0]}: ${msg}`, {exit: ExitCode.TOOL_ERROR, code: 'MCP_METHOD_NOT_FOUND'})
      return new KaosError(`${what} failed: ${msg} (JSON-RPC error ${e.code})`, {exit: ExitCode.TOOL_ERROR, code: 'MCP_ERROR', data: e.data})
    }
    // The answer to initialize was not MCP: another content type, text that is not JSON, or JSON
    // that is not JSON-RPC.
    if (what === 'initialize' && answer && answer.status < 300) {
      let jsonRpc = false
      try {
        jsonRpc = typeof JSON.parse(answer.body)?.jsonrpc === 'string'
      } catch {
        // not JSON
      }
      if (!jsonRpc) return this.notMcp(answer)
    }
    if (e?.name === 'ZodError' || /invalid_type|Invalid input/.test(e?.message ?? ''))
      return new KaosError(`${what}: the server's answer does not follow the MCP schema: ${firstLine(e.message)}`, {exit: ExitCode.TOOL_ERROR, code: 'MCP_PROTOCOL_ERROR'})
    if (/Unexpected content type|Server's protocol version is not supported/i.test(e?.message ?? ''))
      return new KaosError(`${what}: ${firstLine(e.message)} (${this.target} may not be an MCP endpoint)`, {exit: ExitCode.TOOL_ERROR, code: 'MCP_PROTOCOL_ERROR'})
    return e instanceof Error ? e : new Error(String(e))
  }

  /** An HTTP error status, with the hint that matches its cause. */
  private httpError(status: number, what: string, answer: HttpAnswer | undefined, sdkMessage: string): KaosError {
    const body = answer ? describeBody(answer) : httpErrorBody(sdkMessage)
    const said = `HTTP ${status}${body ? `: ${body}` : ''}`
    // Host/Origin allowlists (DNS-rebinding protection) answer 403 (MCP spec, TypeScript SDK),
    // 421 (Python SDK, rawpython) or 400 (Starlette's TrustedHostMiddleware).
    if (status === 421 || ((status === 403 || status === 400) && /\b(origin|host)\b/i.test(body))) {
      const headers = Object.fromEntries(Object.entries(this.opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]))
      const host = headers.host ?? new URL(this.opts.url).host
      const origin = headers.origin
      return new KaosError(`the MCP server at ${this.target} refused ${what}: its DNS-rebinding protection did not accept the Host or Origin header (${said})`, {
        exit: ExitCode.TOOL_ERROR,
        code: 'MCP_ORIGIN_REFUSED',
        suggestions: [
          `kaos sent Host: ${host} and ${origin ? `Origin: ${origin}` : 'no Origin'}. Allow them on the server (rawpython: MCP_ALLOWED_HOSTS, MCP_ALLOWED_ORIGINS; TypeScript SDK: allowedHosts, allowedOrigins; FastMCP: transport_security)${origin ? ', or leave out --header Origin' : ', or send the Host it expects with --header Host=NAME'}.`,
        ],
      })
    }
    if (status === 401 || (status === 403 && answer?.wwwAuthenticate)) {
      const scheme = answer?.wwwAuthenticate?.trim().split(/[\s,]/)[0]
      return new KaosError(`the MCP server at ${this.target} refused ${what}: it wants credentials (${said})`, {
        exit: ExitCode.TOOL_ERROR,
        code: 'MCP_UNAUTHORIZED',
        suggestions: [`Pass them with --header Authorization="${scheme && !/^bearer$/i.test(scheme) ? scheme : 'Bearer'} <token>" (kaos sends the token of runtimes with bearer auth itself).`],
      })
    }
    if (status === 403)
      return new KaosError(`the MCP server at ${this.target} refused ${what} (${said})`, {
        exit: ExitCode.TOOL_ERROR,
        code: 'MCP_FORBIDDEN',
        suggestions: ['The server forbids this request: check the credentials it expects (--header Authorization=…) and any allowlist of clients on the server.'],
      })
    if (what === 'initialize' && status === 404)
      return new KaosError(`no MCP endpoint at ${this.target} (${said})`, {exit: ExitCode.TOOL_ERROR, code: 'MCP_NOT_FOUND', suggestions: [this.pathHint()]})
    if (what === 'initialize' && (status === 405 || status === 501) && answer) return this.notMcp(answer)
    return new KaosError(`the MCP server at ${this.target} answered ${said} to ${what}`, {exit: ExitCode.TOOL_ERROR, code: 'MCP_HTTP_ERROR'})
  }

  /** The answer to initialize shows this is not an MCP endpoint. */
  private notMcp(answer: HttpAnswer): KaosError {
    const type = answer.contentType.split(';')[0].trim()
    const body = describeBody(answer)
    return new KaosError(`${this.target} does not look like an MCP endpoint: initialize got HTTP ${answer.status}${type ? ` (${type})` : ''}${body ? `: ${body}` : ' with an empty body'}`, {
      exit: ExitCode.TOOL_ERROR,
      code: 'NOT_MCP_ENDPOINT',
      suggestions: [this.pathHint()],
    })
  }

  private pathHint(): string {
    return this.opts.transport === 'sse'
      ? 'Check the URL: with --transport sse it is the SSE stream (often /sse); servers that speak streamable HTTP answer POST at /mcp (leave out --transport sse).'
      : 'Check the path: most servers answer MCP at /mcp (pass --path or fix --url); servers that only speak the older HTTP+SSE transport need --transport sse and their /sse URL.'
  }
}

/** What an HTTP answer said, in one short line: an HTML page's title, a JSON error's message, or the text's start. */
function describeBody(a: HttpAnswer): string {
  const text = a.body.trim()
  if (!text) return ''
  if (a.contentType.includes('html') || /^<(!doctype|html)/i.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.replace(/\s+/g, ' ').trim()
    if (title) return `an HTML page titled "${title}"`
    const words = text.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim()
    return `an HTML page${words ? `: "${truncate(words, 120)}"` : ''}`
  }
  try {
    const v = JSON.parse(text)
    const m = v?.error?.message ?? (typeof v?.error === 'string' ? v.error : undefined) ?? v?.message ?? v?.detail
    if (typeof m === 'string') return firstLine(m)
    return truncate(JSON.stringify(v), 160)
  } catch {
    return truncate(text.replace(/\s+/g, ' '), 160)
  }
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s
}

/** The useful part of the SDK's HTTP error text: the JSON-RPC error message when the body is one. */
function httpErrorBody(message: string): string {
  const text = message.replace(/^(Streamable HTTP error:\s*)?(Error POSTing to endpoint|Failed to open SSE stream|SSE error|Failed to terminate session):\s*/, '')
  try {
    const v = JSON.parse(text)
    const m = v?.error?.message ?? v?.message ?? v?.detail
    if (typeof m === 'string') return firstLine(m)
  } catch {
    // not JSON
  }
  return firstLine(text)
}

/** Is this POST body the initialize request? */
function isInitialize(body: unknown): boolean {
  return typeof body === 'string' && body.includes('"initialize"') && /"method"\s*:\s*"initialize"/.test(body)
}

/** JSON-RPC request ids in a POST body (requests only, not notifications). */
function requestIds(body: unknown): Array<string | number> {
  if (typeof body !== 'string') return []
  try {
    const v = JSON.parse(body)
    const msgs = Array.isArray(v) ? v : [v]
    return msgs.filter((m) => m && m.method && m.id !== undefined).map((m) => m.id)
  } catch {
    return []
  }
}
