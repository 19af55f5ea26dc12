#!/usr/bin/env node
// Benchmark of `kaos mcp invoke` (not a test). Needs the cluster test bed (test/cluster/up), a
// built dist/ (npm run build), kubectl on PATH (source .testbed/env) and a rawpython venv.
//
//   node scripts/bench-invoke.mjs [--runs N] [--calls N]
//
// Prints, in one run:
//   1. one-shot wall time: `kaos mcp invoke calc --tool add` (in-process port-forward) versus
//      `kubectl port-forward` + an MCP SDK client doing the same call (each a fresh process);
//   2. per-call latency of repeated calls inside one process: through kaos's port-forward (the
//      real API server and kwok) versus a direct loopback connection to the same server.
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

// The in-process part imports kaos's TypeScript sources: re-run under tsx when not already.
if (!process.execArgv.some((a) => a.includes('tsx'))) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...process.argv.slice(1)], {stdio: 'inherit', cwd: ROOT})
  process.exit(r.status ?? 1)
}

const arg = (name, def) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? def : Number(process.argv[i + 1])
}
const RUNS = arg('--runs', 5)
const CALLS = arg('--calls', 50)
const NS = 'kaos-bench'
const KC = process.env.KUBECONFIG && existsSync(process.env.KUBECONFIG) ? process.env.KUBECONFIG : join(ROOT, '.testbed', 'kubeconfig')
if (!existsSync(KC)) {
  console.error('no kubeconfig: start the test bed (test/cluster/up) and `source .testbed/env`')
  process.exit(2)
}
if (!existsSync(join(ROOT, 'dist', 'index.js'))) {
  console.error('dist/ is not built: npm run build')
  process.exit(2)
}
const env = {...process.env, KUBECONFIG: KC, CI: 'true'}
const BIN = join(ROOT, 'bin', 'run.js')
const CODE = 'def add(a: int, b: int) -> int:\n    """Add two numbers."""\n    return a + b\n'

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))]
  return {median: q(0.5), p95: q(0.95), min: s[0], mean: s.reduce((a, b) => a + b, 0) / s.length}
}
const fmt = (st) => `median ${st.median.toFixed(1)} ms, p95 ${st.p95.toFixed(1)} ms, min ${st.min.toFixed(1)} ms`

function timed(cmd, args) {
  const t0 = performance.now()
  const r = spawnSync(cmd, args, {env, encoding: 'utf8', cwd: ROOT})
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`)
  return {ms, stdout: r.stdout}
}

// --- setup: the rawpython calculator in the test bed
const dir = mkdtempSync(join(tmpdir(), 'kaos-bench-'))
writeFileSync(join(dir, 'calc.yaml'), `apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata:\n  name: calc\nspec:\n  runtime: rawpython\n  params: |\n${CODE.split('\n').map((l) => `    ${l}`).join('\n')}\n`)
console.error(`deploying MCPServer calc into ${NS} ...`)
timed(process.execPath, [BIN, 'mcp', 'deploy', '-f', join(dir, 'calc.yaml'), '-n', NS, '--create-namespace', '--wait', '--timeout', '90s', '--kubeconfig', KC])
// Warm-up (page cache, first-use costs) for both paths.
timed(process.execPath, [BIN, 'mcp', 'invoke', 'calc', '-n', NS, '--kubeconfig', KC, '--tool', 'add', '--arg', 'a=1', '--arg', 'b=2'])

// --- 1. one-shot wall time
const kaosTimes = []
for (let i = 0; i < RUNS; i++) {
  const r = timed(process.execPath, [BIN, 'mcp', 'invoke', 'calc', '-n', NS, '--kubeconfig', KC, '--tool', 'add', '--arg', 'a=1', '--arg', 'b=2'])
  if (r.stdout.trim() !== '3') throw new Error(`unexpected answer ${r.stdout}`)
  kaosTimes.push(r.ms)
}

// kubectl port-forward + the MCP SDK client, as one fresh process (what a script without kaos does).
const sdkClient = join(dir, 'sdk-client.mjs')
writeFileSync(
  sdkClient,
  `import {spawn} from 'node:child_process'
import {Client} from '${join(ROOT, 'node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js')}'
import {StreamableHTTPClientTransport} from '${join(ROOT, 'node_modules/@modelcontextprotocol/sdk/dist/esm/client/streamableHttp.js')}'
const pf = spawn('kubectl', ['port-forward', '-n', '${NS}', 'svc/mcpserver-calc', ':8000'], {stdio: ['ignore', 'pipe', 'inherit']})
const port = await new Promise((resolve, reject) => {
  let out = ''
  pf.stdout.on('data', (d) => { out += d; const m = /127\\.0\\.0\\.1:(\\d+)/.exec(out); if (m) resolve(m[1]) })
  pf.on('exit', (c) => reject(new Error('kubectl exited ' + c)))
})
const client = new Client({name: 'bench', version: '0'})
await client.connect(new StreamableHTTPClientTransport(new URL('http://127.0.0.1:' + port + '/mcp')))
const r = await client.callTool({name: 'add', arguments: {a: 1, b: 2}})
if (r.content[0].text !== '3') throw new Error('bad answer')
await client.close()
pf.kill()
process.exit(0)
`,
)
let kubectlTimes = []
let kubectlNote = ''
try {
  execFileSync('kubectl', ['version', '--client'], {stdio: 'ignore', env})
  timed(process.execPath, [sdkClient])
  for (let i = 0; i < RUNS; i++) kubectlTimes.push(timed(process.execPath, [sdkClient]).ms)
} catch (error) {
  kubectlNote = `kubectl path skipped: ${error.message.split('\n')[0]}`
  kubectlTimes = []
}

// --- 2. per-call latency inside one process
const {Cluster} = await import('../src/lib/cluster/client.ts')
const {forwardWorkload} = await import('../src/lib/cluster/portforward.ts')
const {McpSession} = await import('../src/lib/mcp/session.ts')
const {startRawpython} = await import('../test/helpers/mcp-servers.ts')

async function perCall(url) {
  const s = await McpSession.connect({url})
  const times = []
  try {
    for (let i = 0; i < CALLS + 5; i++) {
      const t0 = performance.now()
      const r = await s.callTool('add', {a: i, b: 1})
      const ms = performance.now() - t0
      if (r.content[0].text !== String(i + 1)) throw new Error('bad answer')
      if (i >= 5) times.push(ms) // first calls warm the connection
    }
    return {times, httpRequests: s.stats.httpRequests}
  } finally {
    await s.close()
  }
}

const cluster = Cluster.connect({kubeconfig: KC, namespace: NS})
const fwd = await forwardWorkload(cluster, 'MCPServer', 'calc', NS)
let viaForward
try {
  viaForward = await perCall(fwd.url('/mcp'))
} finally {
  await fwd.close()
}
const local = await startRawpython(CODE)
let direct
try {
  direct = await perCall(local.url)
} finally {
  await local.stop()
}

// --- report
console.log(`kaos mcp invoke benchmark (${RUNS} runs, ${CALLS} calls; test bed ${KC})`)
console.log('')
console.log('one-shot `add 1 2`, wall time of a fresh process:')
console.log(`  kaos mcp invoke (in-process port-forward)   ${fmt(stats(kaosTimes))}`)
if (kubectlTimes.length > 0) console.log(`  kubectl port-forward + MCP SDK client        ${fmt(stats(kubectlTimes))}`)
else console.log(`  ${kubectlNote}`)
console.log('')
console.log('per call, repeated in one process (one MCP session):')
console.log(`  through kaos's port-forward (API server)     ${fmt(stats(viaForward.times))}  [${fwd.connections} TCP connection(s) forwarded]`)
console.log(`  direct loopback to a local server            ${fmt(stats(direct.times))}`)
console.log(`  port-forward overhead per call (median)      ${(stats(viaForward.times).median - stats(direct.times).median).toFixed(1)} ms`)

execFileSync(process.execPath, [BIN, 'mcp', 'delete', 'calc', '-n', NS, '--kubeconfig', KC], {stdio: 'ignore', env})
rmSync(dir, {recursive: true, force: true})
process.exit(0)
