// The generated projects run as they are and answer tools/list over streamable HTTP:
// Python with `python server.py` in a venv that has mcp 1.x (see helpers/python.ts); TypeScript compiled by tsc.
import assert from 'node:assert/strict'
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {rmSync, symlinkSync} from 'node:fs'
import {request} from 'node:http'
import {join} from 'node:path'

import {Client} from '@modelcontextprotocol/sdk/client/index.js'
import {StreamableHTTPClientTransport} from '@modelcontextprotocol/sdk/client/streamableHttp.js'

import {ROOT, cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {freePort} from '../helpers/mcp-servers.js'
import {itOrSkip} from '../helpers/mocha.js'
import {fastmcpPython} from '../helpers/python.js'

const work = tempDir('kaos-init-run-')
const children: ChildProcess[] = []
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM')
  rmSync(work, {recursive: true, force: true})
})

async function waitHealthy(url: string, child: ChildProcess, log: () => string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${log()}`)
    try {
      if ((await fetch(url)).ok) return
    } catch {}
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`server not healthy at ${url} after ${timeoutMs} ms:\n${log()}`)
}

async function toolNames(url: string): Promise<string[]> {
  const client = new Client({name: 'kaos-test', version: '0'})
  const transport = new StreamableHTTPClientTransport(new URL(url))
  await client.connect(transport)
  try {
    return (await client.listTools()).tools.map((t) => t.name).sort()
  } finally {
    await client.close()
  }
}

/** POST initialize with an explicit Host header (fetch may not let a caller set Host), returning the status. */
function initializeStatus(port: number, host: string): Promise<number> {
  const body = JSON.stringify({jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 't', version: '0'}}})
  return new Promise((resolve, reject) => {
    const req = request(
      {host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: {Host: host, Accept: 'application/json, text/event-stream', 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body)}},
      (res) => {
        res.resume()
        res.destroy()
        resolve(res.statusCode ?? 0)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

function start(cmd: string, args: string[], cwd: string, env: Record<string, string>): {child: ChildProcess; log: () => string} {
  let out = ''
  const child = spawn(cmd, args, {cwd, env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  child.stdout!.on('data', (b) => (out += b))
  child.stderr!.on('data', (b) => (out += b))
  children.push(child)
  return {child, log: () => out}
}

const py = cliUnavailable() ? {why: cliUnavailable()} : fastmcpPython()

describe('generated projects run as they are', () => {
  itOrSkip('python: `python server.py` answers tools/list, /healthz, and any Host header', py.why, async () => {
    const r = await runCli(['mcp', 'init', 'calc'], {cwd: work})
    assert.equal(r.code, 0, r.stderr)
    const port = await freePort()
    const {child, log} = start(py.python!, ['server.py'], join(work, 'calc'), {PORT: String(port)})
    await waitHealthy(`http://127.0.0.1:${port}/healthz`, child, log)
    assert.deepEqual(await toolNames(`http://127.0.0.1:${port}/mcp`), ['add', 'echo'])
    // A Service name in Host (what kubelet and cluster clients send) is not refused with 421.
    assert.equal(await initializeStatus(port, 'mcpserver-calc.default.svc.cluster.local:8000'), 200)
    child.kill('SIGTERM')
    // MCP_ALLOWED_HOSTS turns the allowlist back on: the same Host is then refused (proves the header got through).
    const port2 = await freePort()
    const strict = start(py.python!, ['server.py'], join(work, 'calc'), {PORT: String(port2), MCP_ALLOWED_HOSTS: '127.0.0.1:*'})
    await waitHealthy(`http://127.0.0.1:${port2}/healthz`, strict.child, strict.log)
    assert.equal(await initializeStatus(port2, 'mcpserver-calc.default.svc.cluster.local:8000'), 421)
    assert.equal(await initializeStatus(port2, `127.0.0.1:${port2}`), 200)
    strict.child.kill('SIGTERM')
  })

  itOrSkip('typescript: the compiled server answers tools/list', cliUnavailable(), async () => {
    const r = await runCli(['mcp', 'init', 'weather', '--template', 'typescript'], {cwd: work})
    assert.equal(r.code, 0, r.stderr)
    const dir = join(work, 'weather')
    // kaos's own node_modules has the SDK, zod, typescript and @types/node the template needs.
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], {stdio: 'pipe'})
    const port = await freePort()
    const {child, log} = start(process.execPath, ['dist/server.js'], dir, {PORT: String(port)})
    await waitHealthy(`http://127.0.0.1:${port}/healthz`, child, log)
    assert.deepEqual(await toolNames(`http://127.0.0.1:${port}/mcp`), ['add', 'echo'])
    child.kill('SIGTERM')
  })
})
