// Real processes for the gateway tests: the bundled gateway (node dist/gateway/gateway.mjs) with a
// configuration file, small HTTP services on 127.0.0.1 behind its tools, an upstream MCP server
// (the official SDK's, in this process) and the SDK client.
import {type ChildProcess, spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {Client} from '@modelcontextprotocol/sdk/client/index.js'
import {StreamableHTTPClientTransport} from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js'
import {StreamableHTTPServerTransport} from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import {z} from 'zod'

import {ROOT} from '../helpers/cli.js'
import {freePort} from '../helpers/mcp-servers.js'

export {freePort}

export const GATEWAY = join(ROOT, 'dist', 'gateway', 'gateway.mjs')

/** Why the gateway tests cannot run (no bundle), or undefined; under CI a missing bundle fails. */
export function gatewayUnavailable(): string | undefined {
  if (process.env.CI) return undefined
  return existsSync(GATEWAY) ? undefined : 'dist/gateway/gateway.mjs is not built: run `npm run build` first'
}

export interface GatewayProcess {
  port: number
  /** http://127.0.0.1:<port> */
  base: string
  /** The MCP endpoint. */
  url: string
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** stdout lines that look like `call=tool …` */
  calls: () => string[]
  waitFor: (re: RegExp, timeoutMs?: number) => Promise<string>
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

function writeConfig(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'kaos-gateway-'))
  const file = join(dir, 'config.json')
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2))
  return file
}

/** Start the bundled gateway and wait until /readyz answers 200 (unless `ready: false`). */
export async function startGateway(config: unknown, opts: {env?: Record<string, string>; ready?: boolean} = {}): Promise<GatewayProcess> {
  const port = await freePort()
  const file = writeConfig(config)
  const child = spawn(process.execPath, [GATEWAY], {
    env: {PATH: process.env.PATH ?? '', KAOS_GATEWAY_CONFIG: file, PORT: String(port), HOST: '127.0.0.1', ...opts.env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (err += d))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      rmSync(dirname(file), {recursive: true, force: true})
      resolve(code)
    }),
  )
  const base = `http://127.0.0.1:${port}`
  const g: GatewayProcess = {
    port,
    base,
    url: `${base}/mcp`,
    child,
    stdout: () => out,
    stderr: () => err,
    calls: () => out.split('\n').filter((l) => / call=/.test(l)),
    exited,
    async waitFor(re, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const line = out.split('\n').find((l) => re.test(l))
        if (line) return line
        if (Date.now() > deadline) throw new Error(`no log line matching ${re} in ${timeoutMs} ms:\n${out}${err}`)
        await sleep(25)
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill(signal)
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000)
      const code = await exited
      clearTimeout(t)
      return code
    },
  }
  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}:\n${out}${err}`)
    try {
      const res = await fetch(`${base}/${opts.ready === false ? 'healthz' : 'readyz'}`)
      if (res.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`the gateway did not get ready in 20 s:\n${out}${err}`)
    }
    await sleep(25)
  }
  return g
}

/** Run the gateway until it exits (bad configurations): its exit code and output. */
export async function runGateway(config: unknown, env: Record<string, string> = {}, args: string[] = []): Promise<{code: number | null; stdout: string; stderr: string}> {
  const file = config === undefined ? join(tmpdir(), `kaos-gateway-missing-${randomUUID()}.json`) : writeConfig(config)
  const child = spawn(process.execPath, [GATEWAY, ...args], {
    env: {PATH: process.env.PATH ?? '', KAOS_GATEWAY_CONFIG: file, PORT: String(await freePort()), HOST: '127.0.0.1', ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  const t = setTimeout(() => child.kill('SIGKILL'), 15_000)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  clearTimeout(t)
  if (config !== undefined) rmSync(dirname(file), {recursive: true, force: true})
  return {code, stdout, stderr}
}

export interface Recorded {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}

export interface Backend {
  port: number
  base: string
  requests: Recorded[]
  close: () => Promise<void>
}

export type Route = (req: Recorded, res: http.ServerResponse) => void | Promise<void>

/** A small HTTP service on 127.0.0.1 that records every request and answers with `route`. */
export async function startBackend(route: Route): Promise<Backend> {
  const requests: Recorded[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      const r = {method: req.method ?? '', url: req.url ?? '', headers: req.headers, body}
      requests.push(r)
      Promise.resolve(route(r, res)).catch((error: Error) => {
        res.writeHead(500)
        res.end(error.message)
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body)
  res.writeHead(status, {'content-type': 'application/json'})
  res.end(data)
}

export interface Upstream {
  url: string
  port: number
  /** Requests seen (method names), for checks that calls were forwarded. */
  methods: string[]
  close: () => Promise<void>
}

/**
 * An upstream MCP server made with the official SDK (McpServer, stateful streamable HTTP with
 * sessions, as most servers are): tools `echo`, `fail` (isError), `progress` (sends progress
 * notifications), `add` (structured output).
 */
export async function startUpstream(): Promise<Upstream> {
  const methods: string[] = []
  const transports = new Map<string, StreamableHTTPServerTransport>()
  const make = () => {
    const s = new McpServer({name: 'test-upstream', version: '1.0.0'})
    s.registerTool('echo', {description: 'Echo the text back', inputSchema: {text: z.string()}}, async ({text}) => ({content: [{type: 'text', text: `echo: ${text}`}]}))
    s.registerTool('fail', {description: 'Always fails', inputSchema: {}}, async () => ({isError: true, content: [{type: 'text', text: 'upstream says no'}]}))
    s.registerTool('progress', {description: 'Reports progress three times', inputSchema: {}}, async (_args, extra) => {
      const token = extra._meta?.progressToken
      for (const p of [0, 50, 100]) {
        if (token !== undefined) await extra.sendNotification({method: 'notifications/progress', params: {progressToken: token, progress: p, total: 100}})
        await sleep(20)
      }
      return {content: [{type: 'text', text: 'done'}]}
    })
    s.registerTool(
      'add',
      {description: 'Add two numbers', inputSchema: {a: z.number(), b: z.number()}, outputSchema: {sum: z.number()}},
      async ({a, b}) => ({content: [{type: 'text', text: String(a + b)}], structuredContent: {sum: a + b}}),
    )
    return s
  }
  const server = http.createServer(async (req, res) => {
    let raw = ''
    for await (const c of req) raw += c
    const body = raw ? JSON.parse(raw) : undefined
    if (body?.method) methods.push(body.method)
    const sid = req.headers['mcp-session-id'] as string | undefined
    let transport = sid ? transports.get(sid) : undefined
    if (!transport) {
      if (sid) {
        res.writeHead(404, {'content-type': 'application/json'})
        res.end(JSON.stringify({jsonrpc: '2.0', id: null, error: {code: -32001, message: 'Session not found'}}))
        return
      }
      const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void transports.set(id, t),
      })
      transport = t
      await make().connect(t)
    }
    await transport.handleRequest(req, res, body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    methods,
    close: async () => {
      for (const t of transports.values()) await t.close().catch(() => {})
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** The official SDK client on a gateway (or any) endpoint; `fetch` lets a test pick the replica. */
export async function connect(url: string, fetchImpl?: typeof fetch): Promise<Client> {
  const client = new Client({name: 'kaos-gateway-test', version: '1.0.0'})
  await client.connect(new StreamableHTTPClientTransport(new URL(url), fetchImpl ? {fetch: fetchImpl} : undefined))
  return client
}

/** A raw JSON-RPC POST to /mcp (for transport rules the SDK client would never break). */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{status: number; headers: Headers; text: string}> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers},
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return {status: res.status, headers: res.headers, text: await res.text()}
}
