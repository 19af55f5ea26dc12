#!/usr/bin/env node
// What the gateway (dist/gateway/gateway.mjs, `npm run build` first) costs and carries:
//   1. added latency per call: the same item fetched from a backing HTTP service directly and as a
//      gateway tools/call (JSON pointer mapping included), one call at a time, the two alternating
//      so both see the same machine; p50/p95 of each and of the difference;
//   2. calls/second: a round-robin client (keep-alive, CONCURRENCY calls in flight) over 1 and over
//      2 gateway processes, against the service's own rate.
// The service and each gateway are separate processes; everything shares this machine's cores,
// so the figures are a lower bound for a cluster where the gateway replicas have their own.
//
//   node scripts/bench-gateway.mjs [--calls 2000] [--seconds 5] [--concurrency 16]
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, writeFileSync} from 'node:fs'
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
const {values: opts} = parseArgs({options: {calls: {type: 'string', default: '2000'}, seconds: {type: 'string', default: '5'}, concurrency: {type: 'string', default: '16'}}})
const CALLS = Number(opts.calls)
const SECONDS = Number(opts.seconds)
const CONCURRENCY = Number(opts.concurrency)

const children = []
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')))

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

async function throughput(targets, call) {
  let n = 0
  let done = 0
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
  return done / ((performance.now() - t0) / 1000)
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
const rDirect = await throughput([service], direct)
const rOne = await throughput([a], viaGateway)
const rTwo = await throughput([a, b], viaGateway)
console.log('\ncalls/second (round-robin client, keep-alive)')
console.log(`  service directly                 ${rDirect.toFixed(0).padStart(8)}`)
console.log(`  1 gateway process                ${rOne.toFixed(0).padStart(8)}`)
console.log(`  2 gateway processes              ${rTwo.toFixed(0).padStart(8)}`)
process.exit(0)
