// Benchmark (not a test): the speed targets of kaos against kubectl and node, in one run, with the
// two sides of every comparison alternating (A B A B …) so that a machine whose speed drifts
// affects both alike. Prints medians, the ratios and the targets.
//
//   source .testbed/env && node --import tsx scripts/bench-targets.mjs [--rounds 9]
//
//   deploy --wait       vs kubectl apply --server-side -f <kaos's render> && kubectl rollout status
//   Available → return  how long after the Deployment turned Available kaos returned
//   mcp list            vs kubectl get deploy -l <the same selector>
//   --version           vs node -e 0  (start-up alone)
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'

import {Cluster} from '../src/lib/cluster/client.ts'
import {listAndWatch} from '../src/lib/cluster/watch.ts'

const KC = process.env.KUBECONFIG
if (!KC) {
  console.error('set KUBECONFIG (source .testbed/env after test/cluster/up)')
  process.exit(2)
}
const argv = process.argv.slice(2)
const ROUNDS = argv.includes('--rounds') ? Number(argv[argv.indexOf('--rounds') + 1]) : Number(process.env.BENCH_ROUNDS ?? 9)
const ns = `bench-${Date.now().toString(36)}`
const kaosBin = join(import.meta.dirname, '..', 'bin', 'run.js')
const dir = mkdtempSync(join(tmpdir(), 'kaos-bench-'))
const env = {...process.env, CI: '1'}
const run = (cmd, args) => execFileSync(cmd, args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env})
const kaos = (...a) => run(process.execPath, [kaosBin, ...a, '--kubeconfig', KC])
const kubectl = (...a) => run('kubectl', ['--kubeconfig', KC, ...a])
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const timed = (fn) => {
  const t = performance.now()
  fn()
  return performance.now() - t
}

// Remembers when each Deployment in the namespace first became Available.
const cluster = Cluster.connect({kubeconfig: KC})
const availableAt = new Map()
const ac = new AbortController()
const note = (d) => {
  const want = d.spec?.replicas ?? 1
  if ((d.status?.availableReplicas ?? 0) >= want && (d.status?.updatedReplicas ?? 0) >= want && !availableAt.has(d.metadata.name)) availableAt.set(d.metadata.name, performance.now())
}
kubectl('create', 'namespace', ns)
const watching = listAndWatch(cluster, {
  path: `/apis/apps/v1/namespaces/${ns}/deployments`,
  signal: ac.signal,
  onList: (items) => items.forEach(note),
  onEvent: (e) => e.type !== 'DELETED' && note(e.object),
})

const r = {deployKaos: [], deployKubectl: [], delay: [], listKaos: [], listKubectl: [], version: [], node: []}
try {
  // Warm both sides once (disk cache, the API server's first requests).
  kaos('mcp', 'list', '-n', ns)
  kubectl('get', 'deploy', '-n', ns)
  for (let i = 0; i < ROUNDS; i++) {
    const name = `k${i}`
    const t0 = performance.now()
    await new Promise((resolve, reject) => {
      // --no-verify: the image is a stand-in that serves no MCP, and kubectl's side checks rollout only.
      const p = spawn(process.execPath, [kaosBin, 'mcp', 'deploy', name, '--runtime', 'custom', '--image', 'bench.local/app:1', '-n', ns, '--wait', '--no-verify', '--kubeconfig', KC], {stdio: 'ignore', env})
      p.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`kaos exited ${c}`))))
    })
    const t1 = performance.now()
    r.deployKaos.push(t1 - t0)
    const avail = availableAt.get(`mcpserver-${name}`)
    if (avail) r.delay.push(t1 - avail)
    const file = join(dir, `c${i}.yaml`)
    writeFileSync(file, kaos('mcp', 'deploy', `c${i}`, '--runtime', 'custom', '--image', 'bench.local/app:1', '-n', ns, '--dry-run'))
    r.deployKubectl.push(
      timed(() => {
        kubectl('apply', '--server-side', '-f', file)
        kubectl('rollout', 'status', `deployment/mcpserver-c${i}`, '-n', ns, '--timeout', '60s')
      }),
    )
  }
  for (let i = 0; i < ROUNDS; i++) {
    r.listKaos.push(timed(() => kaos('mcp', 'list', '-n', ns)))
    r.listKubectl.push(timed(() => kubectl('get', 'deploy', '-n', ns, '-l', 'app.kubernetes.io/managed-by=kaos,kaos.tools/kind=MCPServer')))
  }
  for (let i = 0; i < ROUNDS * 2; i++) {
    r.version.push(timed(() => run(process.execPath, [kaosBin, '--version'])))
    r.node.push(timed(() => run(process.execPath, ['-e', '0'])))
  }
  const m = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, median(v)]))
  const row = (label, a, b, target) => {
    const ratio = a / b
    console.log(`${label.padEnd(36)} ${a.toFixed(0).padStart(5)} ms vs ${b.toFixed(0).padStart(5)} ms   ${ratio.toFixed(2)}×   target ≤ ${target}×  ${ratio <= target ? 'met' : 'MISSED'}`)
  }
  console.log(`${ROUNDS} rounds, medians, alternating; cluster ${cluster.server}; node ${process.version}`)
  row('deploy --wait vs kubectl pair', m.deployKaos, m.deployKubectl, 1.5)
  console.log(`${'Available → kaos returned'.padEnd(36)} ${m.delay.toFixed(0).padStart(5)} ms                     target ≤ 100 ms ${m.delay <= 100 ? 'met' : 'MISSED'}`)
  row('mcp list vs kubectl get', m.listKaos, m.listKubectl, 3)
  row('--version vs node -e 0', m.version, m.node, 2)
} finally {
  ac.abort()
  await watching.catch(() => {})
  kubectl('delete', 'namespace', ns, '--wait=false')
}
