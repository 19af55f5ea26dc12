// stdio-only MCP servers on the test bed, behind kaos's stdio adapter, as a kind user runs them:
// kaos's images for the registry's stdio runtimes are built and loaded first, the pod runner runs
// the real packages (server-memory from npm, mcp-server-fetch from PyPI) behind the real adapter,
// and kaos reaches them through the API server's port-forward. Both adapter modes; a child that
// dies takes its pod down and the kubelet restarts it; sessions leave no process behind.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {readFileSync, readdirSync, readlinkSync} from 'node:fs'
import http from 'node:http'
import {setTimeout as sleep} from 'node:timers/promises'

import {type CliResult, cliUnavailable, runCli} from '../helpers/cli.js'
import {createNamespace, deleteNamespace, kubectl} from '../helpers/kube.js'
import {freePort} from '../helpers/mcp-servers.js'
import {describeOrSkip} from '../helpers/mocha.js'
import {ensureOwnImages} from '../helpers/own-images.js'
import {requireTestbed, testKubeconfig, uniqueNamespace} from '../helpers/testbed.js'

const skip = cliUnavailable() || requireTestbed('cluster') || requireTestbed('docker')
const KC = testKubeconfig() ?? ''

function kaos(args: string[], ns: string, timeoutMs = 120_000): Promise<CliResult> {
  return runCli([...args, '-n', ns, '--kubeconfig', KC], {timeoutMs})
}
function ok(r: CliResult): CliResult {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`)
  return r
}
const json = (r: CliResult) => JSON.parse(ok(r).stdout)

/** Processes whose environment carries `KAOS_TEST_MARK=<mark>`: a pod's adapter and its children. */
function marked(mark: string): Array<{pid: number; ppid: number; exe: string}> {
  const out: Array<{pid: number; ppid: number; exe: string}> = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const env = readFileSync(`/proc/${d}/environ`, 'utf8').split('\0')
      if (!env.includes(`KAOS_TEST_MARK=${mark}`)) continue
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      // state and ppid follow the command name, which may hold spaces: read after its ')'
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (state === 'Z') continue
      out.push({pid: Number(d), ppid: Number(ppid), exe: readlinkSync(`/proc/${d}/exe`)})
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out
}

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(300)
  }
}

/** `kubectl port-forward` to a pod, for raw HTTP against the adapter (what a client library sends). */
async function forward(ns: string, pod: string): Promise<{url: string; close: () => void}> {
  const port = await freePort()
  const p: ChildProcess = spawn('kubectl', ['--kubeconfig', KC, '-n', ns, 'port-forward', `pod/${pod}`, `${port}:8000`], {stdio: ['ignore', 'pipe', 'pipe']})
  await until('the port-forward', () => new Promise<boolean>((resolve) => {
    const req = http.get(`http://127.0.0.1:${port}/healthz`, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('error', () => resolve(false))
  }), 30_000)
  return {url: `http://127.0.0.1:${port}`, close: () => p.kill()}
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{status: number; headers: Headers; body: any}> {
  const res = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers},
    body: JSON.stringify(body),
  })
  const text = await res.text()
  const data = text.startsWith('{') ? JSON.parse(text) : text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6))).at(-1)
  return {status: res.status, headers: res.headers, body: data}
}
const INIT = {jsonrpc: '2.0', id: 0, method: 'initialize', params: {protocolVersion: '2025-11-25', capabilities: {}, clientInfo: {name: 'kaos-it', version: '1'}}}

const podOf = (ns: string, name: string) =>
  kubectl('get', 'pods', '-n', ns, '-l', `mcpserver=${name}`, '-o', 'jsonpath={.items[0].metadata.name}').trim()
const restarts = (ns: string, pod: string) => Number(kubectl('get', 'pod', pod, '-n', ns, '-o', 'jsonpath={.status.containerStatuses[0].restartCount}').trim() || 0)

describeOrSkip('stdio MCP servers behind the adapter, on the test bed', skip, function () {
  this.timeout(1_200_000)
  const ns = uniqueNamespace('stdio')
  before(async () => {
    // What a kind user does first: kaos's images for these runtimes, built and loaded.
    await ensureOwnImages(['memory', 'fetch'])
    await createNamespace(ns)
  })
  after(async () => deleteNamespace(ns))

  it('memory (npm, shared): deploy --wait, tools through the port-forward, state shared by sessions, listed as streamable-http', async () => {
    ok(await kaos(['mcp', 'deploy', 'mem', '--runtime', 'memory', '--env', `KAOS_TEST_MARK=${ns}-mem`, '--wait', '--timeout', '180s'], ns, 240_000))
    const tools = json(await kaos(['mcp', 'invoke', 'mem', '--json'], ns))
    assert.ok(tools.tools.some((t: any) => t.name === 'create_entities') && tools.tools.some((t: any) => t.name === 'read_graph'), JSON.stringify(tools))
    ok(await kaos(['mcp', 'invoke', 'mem', '--tool', 'create_entities', '--args', JSON.stringify({entities: [{name: 'kaos', entityType: 'cli', observations: ['runs MCP servers']}]}), '--json'], ns))
    // Another invoke is another MCP session: shared mode serves it from the same child.
    const graph = json(await kaos(['mcp', 'invoke', 'mem', '--tool', 'read_graph', '--json'], ns))
    assert.match(JSON.stringify(graph), /runs MCP servers/)
    const eps = json(await kaos(['mcp', 'endpoints', '--json'], ns))
    assert.deepEqual(eps.endpoints.map((e: any) => [e.name, e.transport, e.url]), [['mem', 'streamable-http', `http://mcpserver-mem.${ns}.svc.cluster.local:8000/mcp`]])
  })

  it('a shared child that dies takes the adapter with it: the pod restarts and serves again', async () => {
    const pod = podOf(ns, 'mem')
    const before = restarts(ns, pod)
    const procs = marked(`${ns}-mem`)
    const adapter = procs.find((p) => /kaos-stdio-adapter$/.test(p.exe))
    assert.ok(adapter, `the adapter among ${JSON.stringify(procs)}`)
    const child = procs.find((p) => p.ppid === adapter.pid)
    assert.ok(child, `the adapter's child among ${JSON.stringify(procs)}`)
    process.kill(child.pid, 'SIGKILL')
    await until('the container restarted', () => restarts(ns, pod) > before, 120_000)
    await until('the pod Ready again', () => kubectl('get', 'pod', pod, '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}').trim() === 'True', 120_000)
    const tools = json(await kaos(['mcp', 'invoke', 'mem', '--json'], ns))
    assert.ok(tools.tools.length > 0)
    // The old processes are gone, not orphaned.
    for (const p of procs) assert.ok(!marked(`${ns}-mem`).some((q) => q.pid === p.pid), `pid ${p.pid} (${p.exe}) outlived the restart`)
  })

  it('per-session mode: a process per session, 50 sessions opened and ended leave only the adapter', async () => {
    ok(await kaos(['mcp', 'deploy', 'mine', '--runtime', 'memory', '--env', 'KAOS_ADAPTER_MODE=per-session', '--env', `KAOS_TEST_MARK=${ns}-mine`, '--wait', '--timeout', '180s'], ns, 240_000))
    const fwd = await forward(ns, podOf(ns, 'mine'))
    try {
      const open = async () => {
        const r = await post(fwd.url, INIT)
        assert.equal(r.status, 200, JSON.stringify(r.body))
        const sid = r.headers.get('mcp-session-id')!
        const h = {'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25'}
        assert.equal((await post(fwd.url, {jsonrpc: '2.0', method: 'notifications/initialized'}, h)).status, 202)
        return h
      }
      const call = (h: Record<string, string>, name: string, args: unknown) => post(fwd.url, {jsonrpc: '2.0', id: 1, method: 'tools/call', params: {name, arguments: args}}, h)
      const a = await open()
      const b = await open()
      // Each session talks to its own process. (Not to its own data: server-memory keeps its graph in
      // MEMORY_FILE_PATH, a file every child of the pod shares, as they would on a cluster.)
      await call(a, 'create_entities', {entities: [{name: 'only-a', entityType: 't', observations: ['x']}]})
      assert.match(JSON.stringify((await call(a, 'read_graph', {})).body), /only-a/)
      assert.equal((await call(b, 'read_graph', {})).status, 200)
      const adapter = marked(`${ns}-mine`).find((p) => /kaos-stdio-adapter$/.test(p.exe))!
      const adapterOnly = () => marked(`${ns}-mine`).filter((p) => !/kaos-stdio-adapter$/.test(p.exe))
      const children = adapterOnly().filter((p) => p.ppid === adapter.pid)
      assert.equal(children.length, 2, `a child per open session: ${JSON.stringify(adapterOnly())}`)
      const sessions = [a, b]
      for (let i = 0; i < 48; i++) sessions.push(await open())
      for (const h of sessions) {
        const res = await fetch(`${fwd.url}/mcp`, {method: 'DELETE', headers: h})
        assert.equal(res.status, 200)
      }
      await until('every session child gone', () => adapterOnly().length === 0, 30_000)
      // An ended session is unknown: 404, so a client initializes again.
      assert.equal((await call(a, 'read_graph', {})).status, 404)
    } finally {
      fwd.close()
    }
  })

  it('fetch (PyPI): the real mcp-server-fetch fetches a page the test serves, as markdown', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/robots.txt') return void res.writeHead(404).end()
      res.writeHead(200, {'content-type': 'text/html'}).end('<html><body><h1>Hello from kaos</h1><p>stdio behind HTTP.</p></body></html>')
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    try {
      // The page is on this machine: the server refuses private addresses unless told otherwise,
      // which --arg does (its args follow its executable, behind the adapter).
      ok(await kaos(['mcp', 'deploy', 'web', '--runtime', 'fetch', '--arg=--allow-private-ips', '--wait', '--timeout', '300s'], ns, 360_000))
      const port = (server.address() as {port: number}).port
      const r = json(await kaos(['mcp', 'invoke', 'web', '--tool', 'fetch', '--arg', `url=http://127.0.0.1:${port}/page`, '--json'], ns))
      assert.match(JSON.stringify(r), /# Hello from kaos/)
    } finally {
      server.close()
    }
  })
})
