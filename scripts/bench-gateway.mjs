#!/usr/bin/env node
// What the gateway (dist/gateway/gateway.mjs, `npm run build` first) costs and carries:
//   1. added latency per call: the same item fetched from a backing HTTP service directly and as a
//      gateway tools/call (JSON pointer mapping included), one call at a time, the two alternating
//      so both see the same machine; p50/p95 of each and of the difference;
//   2. calls/second: a round-robin client (keep-alive, CONCURRENCY calls in flight) over 1 and over
//      2 gateway processes, against the service's own rate.
// The service and each gateway are separate processes; everything shares this machine's cores,
// so the rates are a lower bound for a cluster where the replicas have their own, and 2 processes
// add calls/second only when there are cores to spare. The gateways' CPU time per call (from
// /proc) says what a replica costs wherever it runs.
//
//   node scripts/bench-gateway.mjs [--calls 2000] [--seconds 3] [--concurrency 16]
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import {cpus, tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bundle = join(root, 'dist', 'gateway', 'gateway.mjs')
if (!existsSync(bundle)) {
  console.error('bench-gateway: dist/gateway/gateway.mjs is missing: run npm run build first')
  process.exit(1)
}
const {values: opts} = parseArgs({options: {calls: {type: 'string', default: '2000'}, seconds: {type: 'string', default: '3'}, concurrency: {type: 'string', default: '16'}}})
const CALLS = Number(opts.calls)
const SECONDS = Number(opts.seconds)
const CONCURRENCY = Number(opts.concurrency)

const children = []
const pids = new Map()

// CPU time (user + system, ms) a process has used, from /proc (Linux; elsewhere the column is
// left out). Clock ticks are 100 per second on Linux.
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}
const dirs = []
process.on('exit', () => {
  children.forEach((c) => c.kill('SIGKILL'))
  dirs.forEach((d) => rmSync(d, {recursive: true, force: true}))
})

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const {port} = s.address()
      s.close(() => resolve(port))
    })
  })
}

async function waitOk(url) {
  for (let i = 0; i < 400; i++) {
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not yet
    }
    await sleep(25)
  }
  throw new Error(`${url} never answered`)
}

// The backing service: a small JSON API, like an in-cluster service would be.
const SERVICE = `
import http from 'node:http'
http.createServer((req, res) => {
  const id = decodeURIComponent(req.url.slice('/items/'.length))
  const body = JSON.stringify({data: {id, name: 'Widget ' + id, price: 5, tags: ['a', 'b']}, served: Date.now()})
  res.writeHead(200, {'content-type': 'application/json', 'content-length': Buffer.byteLength(body)})
  res.end(body)
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'))
`

async function startService() {
  const port = await freePort()
  const c = spawn(process.execPath, ['--input-type=module', '-e', SERVICE], {env: {...process.env, PORT: String(port)}, stdio: ['ignore', 'pipe', 'inherit']})
  children.push(c)
  await new Promise((resolve) => c.stdout.once('data', resolve))
  return `http://127.0.0.1:${port}`
}

async function startGateway(service) {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'kaos-bench-gateway-'))
  dirs.push(dir)
  const config = join(dir, 'config.json')
  writeFileSync(
    config,
    JSON.stringify({
      tools: [
        {
          name: 'get_item',
          description: 'An item by id',
          inputSchema: {type: 'object', properties: {id: {type: 'string'}}, required: ['id']},
          http: {url: `${service}/items/{{args.id}}`},
          response: {pointer: '/data'},
        },
      ],
    }),
  )
  // Its per-call log lines go to /dev/null here, as kubelet would take them off its hands.
  const c = spawn(process.execPath, [bundle], {env: {...process.env, KAOS_GATEWAY_CONFIG: config, PORT: String(port), HOST: '127.0.0.1'}, stdio: ['ignore', 'ignore', 'inherit']})
  children.push(c)
  await waitOk(`http://127.0.0.1:${port}/readyz`)
  pids.set(port, c.pid)
  return port
}

const agent = new http.Agent({keepAlive: true, maxSockets: 256})

function request(url, method, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {method, agent, headers: body ? {...headers, 'content-length': Buffer.byteLength(body)} : headers}, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${url}: HTTP ${res.statusCode}`))))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const MCP_HEADERS = {'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25'}
let rpcId = 0
async function viaGateway(port, id) {
  const body = JSON.stringify({jsonrpc: '2.0', id: ++rpcId, method: 'tools/call', params: {name: 'get_item', arguments: {id}}})
  const answer = JSON.parse(await request(`http://127.0.0.1:${port}/mcp`, 'POST', body, MCP_HEADERS))
  if (answer.error || answer.result.isError) throw new Error(`tools/call failed: ${JSON.stringify(answer)}`)
}
const direct = (service, id) => request(`${service}/items/${encodeURIComponent(id)}`, 'GET')

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
const fmt = (ms) => `${ms.toFixed(2)} ms`

async function latency(service, port) {
  for (let i = 0; i < 200; i++) {
    await direct(service, String(i))
    await viaGateway(port, String(i))
  }
  const d = []
  const g = []
  const diff = []
  for (let i = 0; i < CALLS; i++) {
    const id = `item-${i}`
    // Alternate which goes first, so neither always runs on a warmer connection or cache.
    const first = i % 2 === 0
    const t0 = performance.now()
    if (first) await direct(service, id)
    else await viaGateway(port, id)
    const t1 = performance.now()
    if (first) await viaGateway(port, id)
    else await direct(service, id)
    const t2 = performance.now()
    const [dd, gg] = first ? [t1 - t0, t2 - t1] : [t2 - t1, t1 - t0]
    d.push(dd)
    g.push(gg)
    diff.push(gg - dd)
  }
  for (const a of [d, g, diff]) a.sort((x, y) => x - y)
  return {d, g, diff}
}

/** Calls per second, and the gateways' CPU milliseconds per call when /proc tells. */
async function throughput(targets, call) {
  let n = 0
  let done = 0
  const gateways = targets.filter((t) => pids.has(t)).map((t) => pids.get(t))
  const cpu0 = gateways.map(cpuMs)
  const deadline = performance.now() + SECONDS * 1000
  const worker = async () => {
    while (performance.now() < deadline) {
      const target = targets[n++ % targets.length]
      await call(target, `item-${n}`)
      done++
    }
  }
  const t0 = performance.now()
  await Promise.all(Array.from({length: CONCURRENCY}, worker))
  const rate = done / ((performance.now() - t0) / 1000)
  const cpu1 = gateways.map(cpuMs)
  const cpuPerCall = gateways.length && cpu1.every((v, i) => v !== undefined && cpu0[i] !== undefined) ? cpu1.reduce((sum, v, i) => sum + (v - cpu0[i]), 0) / done : undefined
  return {rate, cpuPerCall}
}

const service = await startService()
const [a, b] = await Promise.all([startGateway(service), startGateway(service)])
console.log(`kaos gateway bench: node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${CALLS} calls each way, ${SECONDS} s × ${CONCURRENCY} in flight for rates`)

const {d, g, diff} = await latency(service, a)
console.log('\nlatency per call (one at a time)        p50        p95')
console.log(`  service directly (GET)           ${fmt(pct(d, 50)).padStart(10)} ${fmt(pct(d, 95)).padStart(10)}`)
console.log(`  through the gateway (tools/call) ${fmt(pct(g, 50)).padStart(10)} ${fmt(pct(g, 95)).padStart(10)}`)
console.log(`  added by the gateway (per pair)  ${fmt(pct(diff, 50)).padStart(10)} ${fmt(pct(diff, 95)).padStart(10)}`)

// Warm the second process up too (the latency run warmed the first).
for (let i = 0; i < 500; i++) await viaGateway(b, String(i))
// Rounds alternate the three set-ups so a busy moment on the machine does not land on one of
// them only; the medians are printed.
const ROUNDS = 5
const runs = {direct: [], one: [], two: []}
// One unrecorded round first: the client's own code paths are still warming up.
await throughput([service], direct)
await throughput([a, b], viaGateway)
for (let r = 0; r < ROUNDS; r++) {
  runs.direct.push(await throughput([service], direct))
  runs.two.push(await throughput([a, b], viaGateway))
  runs.one.push(await throughput([a], viaGateway))
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
const row = (label, xs) => {
  const rate = median(xs.map((x) => x.rate))
  const cpu = xs.every((x) => x.cpuPerCall !== undefined) ? median(xs.map((x) => x.cpuPerCall)) : undefined
  const cpuText = cpu === undefined ? '' : `   gateway CPU ${cpu.toFixed(2)} ms/call`
  console.log(`  ${label.padEnd(24)} ${rate.toFixed(0).padStart(7)}${cpuText.padEnd(30)}   (rounds: ${xs.map((x) => x.rate.toFixed(0)).join(', ')})`)
}
console.log(`\ncalls/second (round-robin client, keep-alive, ${CONCURRENCY} in flight; median of ${ROUNDS} rounds of ${SECONDS} s)`)
row('service directly', runs.direct)
row('1 gateway process', runs.one)
row('2 gateway processes', runs.two)
const cpuOne = median(runs.one.map((x) => x.cpuPerCall ?? NaN))
if (Number.isFinite(cpuOne)) console.log(`  (one busy core per gateway replica carries about ${(1000 / cpuOne).toFixed(0)} calls/s at that CPU cost)`)
process.exit(0)
