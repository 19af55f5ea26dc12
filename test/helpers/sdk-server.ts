// MCP servers built in the test process on the official TypeScript SDK's server side
// (`@modelcontextprotocol/sdk/server`, streamable HTTP): a server kaos's client was not written
// against, whose every HTTP request, JSON-RPC message and tool abort the tests can inspect. Also a
// recording reverse proxy, to watch what kaos sends to a server running in another process.
import {randomUUID} from 'node:crypto'
import http from 'node:http'
import type net from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'

import {Server} from '@modelcontextprotocol/sdk/server/index.js'
import {StreamableHTTPServerTransport} from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import {CallToolRequestSchema, ListToolsRequestSchema} from '@modelcontextprotocol/sdk/types.js'

export interface ToolContext {
  /** Aborted when the server hears `notifications/cancelled` for this request (or the session ends). */
  signal: AbortSignal
  requestId: string | number
  /** Send `notifications/progress` (only when the client sent a progressToken). */
  progress(progress: number, total?: number, message?: string): Promise<void>
  /** Did the client send a progressToken? */
  hasProgressToken: boolean
}

export interface SdkTool {
  name: string
  description?: string
  inputSchema?: Record<string, unknown>
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<{content: Array<Record<string, unknown>>; isError?: boolean}>
}

export interface SdkServerOptions {
  tools: SdkTool[]
  /** Sessions (Mcp-Session-Id) on: the default; false serves each POST on its own. */
  stateful?: boolean
  /** The SDK's DNS-rebinding protection: the Host values it accepts. */
  allowedHosts?: string[]
  /** The SDK's DNS-rebinding protection: the Origin values it accepts. */
  allowedOrigins?: string[]
}

export interface SeenRequest {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  /** The parsed JSON body of a POST. */
  body?: unknown
  at: number
  /** When the client closed the connection before the answer was complete. */
  clientClosedAt?: number
  status?: number
}

export interface ToolEvent {
  type: 'start' | 'abort' | 'end'
  tool: string
  requestId: string | number
  reason?: string
  at: number
}

export interface RecordingServer {
  url: string
  port: number
  requests: SeenRequest[]
  /** Every JSON-RPC message POSTed, in order. */
  messages(): Array<{jsonrpc: string; id?: string | number; method?: string; params?: any}>
  /** Resolves when `pred` holds (polled), or fails after `timeoutMs`. */
  waitFor(pred: () => unknown, timeoutMs?: number, what?: string): Promise<void>
  close(): Promise<void>
}

export interface SdkServer extends RecordingServer {
  events: ToolEvent[]
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (d) => (body += d))
    req.on('end', () => resolve(body))
    req.on('error', reject)
  })
}

function flatten(requests: SeenRequest[]): Array<{jsonrpc: string; id?: string | number; method?: string; params?: any}> {
  return requests.flatMap((r) => (r.body === undefined ? [] : Array.isArray(r.body) ? r.body : [r.body])) as never
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as net.AddressInfo).port
}

function closer(server: http.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return async () => {
    for (const s of sockets) s.destroy()
    await new Promise((r) => server.close(r))
  }
}

async function waitFor(pred: () => unknown, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

/** Record a request and when its client goes away before the answer is complete. */
function track(requests: SeenRequest[], req: http.IncomingMessage, res: http.ServerResponse, body: unknown): SeenRequest {
  const seen: SeenRequest = {method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at: Date.now()}
  requests.push(seen)
  res.on('close', () => {
    seen.status = res.statusCode
    if (!res.writableFinished) seen.clientClosedAt = Date.now()
  })
  return seen
}

/** An MCP server on 127.0.0.1 built on the official TypeScript SDK, serving `tools`. */
export async function startSdkServer(opts: SdkServerOptions): Promise<SdkServer> {
  const requests: SeenRequest[] = []
  const events: ToolEvent[] = []
  const sessions = new Map<string, StreamableHTTPServerTransport>()
  const stateful = opts.stateful ?? true
  const sockets = new Set<net.Socket>()

  const newServer = () => {
    const server = new Server({name: 'sdk-test-server', version: '1.0.0'}, {capabilities: {tools: {}}})
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: opts.tools.map((t) => ({name: t.name, description: t.description ?? t.name, inputSchema: (t.inputSchema ?? {type: 'object', properties: {}}) as never})),
    }))
    server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      const tool = opts.tools.find((t) => t.name === request.params.name)
      if (!tool) return {content: [{type: 'text', text: `no tool ${request.params.name}`}], isError: true}
      const requestId = extra.requestId
      const token = request.params._meta?.progressToken
      events.push({type: 'start', tool: tool.name, requestId, at: Date.now()})
      extra.signal.addEventListener('abort', () => events.push({type: 'abort', tool: tool.name, requestId, reason: String(extra.signal.reason), at: Date.now()}), {once: true})
      const ctx: ToolContext = {
        signal: extra.signal,
        requestId,
        hasProgressToken: token !== undefined,
        progress: async (progress, total, message) => {
          if (token === undefined) return
          await extra.sendNotification({method: 'notifications/progress', params: {progressToken: token, progress, total, message}})
        },
      }
      try {
        return (await tool.run((request.params.arguments ?? {}) as Record<string, unknown>, ctx)) as never
      } finally {
        events.push({type: 'end', tool: tool.name, requestId, at: Date.now()})
      }
    })
    return server
  }

  const transportOptions = {
    enableDnsRebindingProtection: Boolean(opts.allowedHosts || opts.allowedOrigins),
    allowedHosts: opts.allowedHosts,
    allowedOrigins: opts.allowedOrigins,
  }

  const httpServer = http.createServer(async (req, res) => {
    try {
      const text = req.method === 'POST' ? await readBody(req) : ''
      let body: unknown
      try {
        body = text ? JSON.parse(text) : undefined
      } catch {
        body = text
      }
      track(requests, req, res, body)
      if (!stateful) {
        const transport = new StreamableHTTPServerTransport({sessionIdGenerator: undefined, ...transportOptions})
        const server = newServer()
        res.on('close', () => {
          transport.close().catch(() => {})
          server.close().catch(() => {})
        })
        await server.connect(transport)
        await transport.handleRequest(req, res, body)
        return
      }
      const id = req.headers['mcp-session-id']
      let transport = typeof id === 'string' ? sessions.get(id) : undefined
      if (!transport) {
        if (typeof id === 'string') {
          res.writeHead(404, {'content-type': 'application/json'}).end(JSON.stringify({jsonrpc: '2.0', error: {code: -32001, message: 'Session not found'}, id: null}))
          return
        }
        const created: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (sid) => {
            sessions.set(sid, created)
          },
          ...transportOptions,
        })
        created.onclose = () => {
          if (created.sessionId) sessions.delete(created.sessionId)
        }
        await newServer().connect(created)
        transport = created
      }
      await transport.handleRequest(req, res, body)
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(String(error))
    }
  })
  httpServer.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  const port = await listen(httpServer)
  const close = closer(httpServer, sockets)
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    requests,
    events,
    messages: () => flatten(requests),
    waitFor,
    close: async () => {
      for (const t of sessions.values()) await t.close().catch(() => {})
      await close()
    },
  }
}

/**
 * A reverse proxy on 127.0.0.1 in front of `target` (an http://host:port origin) that records
 * every request, its JSON body, and whether the client closed it before the answer was complete.
 */
export async function startRecordingProxy(target: string): Promise<RecordingServer> {
  const requests: SeenRequest[] = []
  const sockets = new Set<net.Socket>()
  const upstream = new URL(target)
  const httpServer = http.createServer(async (req, res) => {
    const text = req.method === 'POST' ? await readBody(req) : ''
    let body: unknown
    try {
      body = text ? JSON.parse(text) : undefined
    } catch {
      body = text
    }
    track(requests, req, res, body)
    const out = http.request({host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: {...req.headers, host: upstream.host}}, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers)
      up.pipe(res)
    })
    out.on('error', () => res.destroy())
    // The client went away: so does the upstream request, as a direct connection would.
    res.on('close', () => {
      if (!res.writableFinished) out.destroy()
    })
    out.end(text)
  })
  httpServer.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  const port = await listen(httpServer)
  return {url: `http://127.0.0.1:${port}/mcp`, port, requests, messages: () => flatten(requests), waitFor, close: closer(httpServer, sockets)}
}
