// HTTP: /mcp (stateless streamable HTTP), /healthz, /readyz, and the graceful stop.
//
// Stateless means each POST gets a fresh SDK transport and Server and nothing survives it: no
// Mcp-Session-Id, so any replica answers any request and replicas need no shared store. GET (the
// server-to-client stream) and DELETE (ending a session) have nothing to act on: 405. Answers are
// plain JSON, except a tools/call that asks for progress, which streams (SSE) so an upstream's
// progress notifications reach the caller.
import {createHash, timingSafeEqual} from 'node:crypto'
import http from 'node:http'

import {Client} from '@modelcontextprotocol/sdk/client/index.js'
import {InMemoryTransport} from '@modelcontextprotocol/sdk/inMemory.js'
import {WebStandardStreamableHTTPServerTransport} from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'

import type {ServerSettings} from './config.js'
import type {Gateway} from './gateway.js'
import {log} from './log.js'

const MAX_BODY = 4 * 1024 * 1024
const READY_TIMEOUT_MS = 3000

// Browsers put the page's origin in Origin; a DNS-rebinding page never has a loopback one, so
// these are safe (an inspector on localhost through `kubectl port-forward`).
const LOOPBACK_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*', 'https://localhost:*', 'https://127.0.0.1:*', 'https://[::1]:*']

export interface Running {
  server: http.Server
  port: number
  /** Stop accepting, let in-flight requests finish (at most `graceMs`), close everything. */
  shutdown(graceMs: number): Promise<{unfinished: number}>
}

export interface ServeOptions {
  /**
   * Requests to /mcp must carry `Authorization: Bearer <authToken>` (KAOS_GATEWAY_AUTH_TOKEN, which
   * kaos sets from a Secret when it exposes the gateway outside the cluster). The probes stay open:
   * the kubelet sends no credentials.
   */
  authToken?: string
}

/** The request's bearer token is the configured one (compared in constant time), or none is configured. */
function authorized(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true
  if (!header) return false
  const [scheme, ...rest] = header.trim().split(/\s+/)
  if (scheme.toLowerCase() !== 'bearer' || rest.length !== 1) return false
  // Digests have one length, which timingSafeEqual needs; the answer's timing says nothing of the token.
  const digest = (s: string) => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(rest[0]), digest(token))
}

export async function serve(gw: Gateway, settings: ServerSettings, port: number, host: string | undefined, opts: ServeOptions = {}): Promise<Running> {
  const origins = settings.allowedOrigins ?? []
  const anyOrigin = origins.includes('*')
  const allowedOrigins = [...LOOPBACK_ORIGINS, ...origins.filter((o) => o !== '*')]
  const hosts = settings.allowedHosts ?? []
  const hostCheck = hosts.length > 0 && !hosts.includes('*')
  let draining = false
  let inFlight = 0
  let idle: (() => void) | undefined

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/healthz') return plain(res, 200, 'ok\n')
    if (path === '/readyz') return ready(res)
    if (path !== '/mcp') return json(res, 404, rpcError(-32600, `Not Found: the MCP endpoint is /mcp`))
    if (draining) {
      res.setHeader('connection', 'close')
      return json(res, 503, rpcError(-32000, 'Service Unavailable: the gateway is shutting down; retry (another replica answers)'))
    }
    const origin = req.headers.origin
    if (origin !== undefined && !anyOrigin && !matches(origin.replace(/\/$/, '').toLowerCase(), allowedOrigins)) {
      log({event: 'refused', reason: 'origin', origin})
      return json(res, 403, rpcError(-32000, `Forbidden: Origin ${origin} is not allowed (add it to server.allowedOrigins)`))
    }
    if (hostCheck && !matches((req.headers.host ?? '').toLowerCase(), hosts)) {
      log({event: 'refused', reason: 'host', host: req.headers.host})
      return json(res, 421, rpcError(-32000, `Misdirected Request: Host ${req.headers.host ?? '(none)'} is not allowed (add it to server.allowedHosts)`))
    }
    if (!authorized(req.headers.authorization, opts.authToken)) {
      const given = req.headers.authorization !== undefined
      log({event: 'refused', reason: 'auth', token: given ? 'wrong' : 'none'})
      res.setHeader('www-authenticate', given ? 'Bearer realm="mcp", error="invalid_token"' : 'Bearer realm="mcp"')
      return json(res, 401, rpcError(-32000, 'Unauthorized: this server needs Authorization: Bearer <token> (the token kaos generated: kaos mcp token NAME)'))
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST')
      return json(res, 405, rpcError(-32000, 'Method Not Allowed: this server is stateless: POST JSON-RPC to /mcp (there is no stream to GET and no session to DELETE)'))
    }
    inFlight++
    res.once('close', () => {
      if (--inFlight === 0) idle?.()
    })
    const body = await readBody(req)
    if (body === undefined) return json(res, 413, rpcError(-32000, `Payload Too Large: at most ${MAX_BODY} bytes`))
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      parsed = undefined
    }
    const headers = new Headers()
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || (parsed !== undefined && (k === 'content-length' || k === 'transfer-encoding'))) continue
      for (const item of Array.isArray(v) ? v : [v]) headers.append(k, item)
    }
    // The parsed body goes to the SDK directly; only a body that did not parse is handed over for
    // the SDK to answer with its own parse error.
    const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/mcp'}`, {method: 'POST', headers, ...(parsed === undefined ? {body} : {})})
    const transport = new WebStandardStreamableHTTPServerTransport({sessionIdGenerator: undefined, enableJsonResponse: !wantsProgress(parsed)})
    const server = gw.server()
    try {
      await server.connect(transport)
      const response = await transport.handleRequest(request, parsed === undefined ? undefined : {parsedBody: parsed})
      await send(res, response)
    } finally {
      await server.close().catch(() => {})
    }
  }

  const ready = async (res: http.ServerResponse) => {
    if (draining) return json(res, 503, {status: 'draining'})
    const upstreams = Object.fromEntries(gw.upstreams.list.map((u) => [u.name, u.state]))
    const starting = gw.upstreams.starting
    if (starting.length) return json(res, 503, {status: 'not ready', reason: `waiting for the first answer of upstream ${starting.join(', ')}`, upstreams})
    try {
      const names = await withTimeout(listInProcess(gw), READY_TIMEOUT_MS)
      const missing = gw.toolNames.filter((n) => !names.includes(n))
      if (missing.length) return json(res, 503, {status: 'not ready', reason: `tools/list lacks ${missing.join(', ')}`, upstreams})
      return json(res, 200, {status: 'ready', tools: names.length, upstreams})
    } catch (error) {
      return json(res, 503, {status: 'not ready', reason: `tools/list failed: ${(error as Error).message}`, upstreams})
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log({event: 'internal_error', message: (error as Error)?.message ?? String(error)})
      if (!res.headersSent) json(res, 500, rpcError(-32603, 'Internal error'))
      else res.destroy()
    })
  })
  // Kubernetes Services and port-forwards keep connections open; a long idle timeout avoids
  // racing a client that reuses a connection the moment the server closes it.
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 66_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  const bound = typeof address === 'object' && address ? address.port : port

  return {
    server,
    port: bound,
    async shutdown(graceMs) {
      draining = true
      server.close()
      server.closeIdleConnections()
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, graceMs)
          idle = () => {
            clearTimeout(t)
            resolve()
          }
        })
      }
      const unfinished = inFlight
      server.closeAllConnections()
      return {unfinished}
    },
  }
}

/** A real tools/list through an SDK client and the gateway's Server, in process. */
async function listInProcess(gw: Gateway): Promise<string[]> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  const server = gw.server()
  const client = new Client({name: 'kaos-gateway-readyz', version: gw.version})
  try {
    await server.connect(serverSide)
    await client.connect(clientSide)
    const {tools} = await client.listTools()
    return tools.map((t) => t.name)
  } finally {
    await client.close().catch(() => {})
    await server.close().catch(() => {})
  }
}

function wantsProgress(msg: unknown): boolean {
  const m = msg as {method?: string; params?: {_meta?: {progressToken?: unknown}}} | undefined
  return m?.method === 'tools/call' && m.params?._meta?.progressToken !== undefined
}

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        req.removeAllListeners('data')
        req.resume()
        resolve(undefined)
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

async function send(res: http.ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {}
  response.headers.forEach((v, k) => (headers[k] = v))
  if (!response.body) {
    res.writeHead(response.status, headers)
    res.end()
    return
  }
  // A JSON answer goes out in one write with its length; an SSE stream as it comes.
  if (!headers['content-type']?.startsWith('text/event-stream')) {
    const body = Buffer.from(await response.arrayBuffer())
    headers['content-length'] = String(body.length)
    res.writeHead(response.status, headers)
    res.end(body)
    return
  }
  res.writeHead(response.status, headers)
  const reader = response.body.getReader()
  res.once('close', () => void reader.cancel().catch(() => {}))
  for (;;) {
    const {done, value} = await reader.read()
    if (done || res.destroyed) break
    // A client gone mid-stream never drains: stop waiting when the response closes.
    if (!res.write(value)) await new Promise((r) => (res.once('drain', r), res.once('close', r)))
  }
  res.end()
}

function matches(value: string, patterns: string[]): boolean {
  for (const raw of patterns) {
    const p = raw.replace(/\/$/, '').toLowerCase()
    if (value === p) return true
    // `name:*`: the name on any port, or with no port.
    if (p.endsWith(':*')) {
      const base = p.slice(0, -2)
      if (value === base || (value.startsWith(`${base}:`) && /^\d+$/.test(value.slice(base.length + 1)))) return true
    }
  }
  return false
}

function rpcError(code: number, message: string) {
  return {jsonrpc: '2.0', id: null, error: {code, message}}
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body)
  res.writeHead(status, {'content-type': 'application/json', 'content-length': Buffer.byteLength(data)})
  res.end(data)
}

function plain(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, {'content-type': 'text/plain', 'content-length': Buffer.byteLength(body)})
  res.end(body)
}

function withTimeout<T>(p: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    p.then(
      (v) => {
        clearTimeout(t)
        resolve(v)
      },
      (e) => {
        clearTimeout(t)
        reject(e)
      },
    )
  })
}
