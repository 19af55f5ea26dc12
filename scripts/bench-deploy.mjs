// Benchmark (not a test): kaos deploy --wait and list against kubectl on the same cluster.
// usage: node --import tsx scripts/bench-deploy.mjs   (needs KUBECONFIG, e.g. `source .testbed/env`)
// Prints, in one run: deploy --wait wall time vs `kubectl apply -f <rendered> && kubectl rollout
// status`, the delay between the Deployment turning Available and kaos returning, and
// `kaos mcp list` vs `kubectl get deploy -l …`.
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
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const ns = `bench-${Date.now().toString(36)}`
const kaosBin = join(import.meta.dirname, '..', 'bin', 'run.js')
const dir = mkdtempSync(join(tmpdir(), 'kaos-bench-'))
const kaos = (...a) => execFileSync(process.execPath, [kaosBin, ...a, '--kubeconfig', KC], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
const kubectl = (...a) => execFileSync('kubectl', ['--kubeconfig', KC, ...a], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ms = (x) => `${x.toFixed(0)} ms`

function timed(fn) {
  const t = performance.now()
  fn()
  return performance.now() - t
}

// Watches Deployments in the namespace and remembers when each first became Available.
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

const kaosTimes = []
const kubectlTimes = []
const returnDelays = []
try {
  for (let i = 0; i < ROUNDS; i++) {
    // kaos: render, validate, apply, watch until Available.
    const name = `k${i}`
    const t0 = performance.now()
    await new Promise((resolve, reject) => {
      const p = spawn(process.execPath, [kaosBin, 'mcp', 'deploy', name, '--runtime', 'custom', '--image', 'bench.local/app:1', '-n', ns, '--wait', '--kubeconfig', KC], {stdio: 'ignore'})
      p.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`kaos exited ${c}`))))
    })
    const t1 = performance.now()
    kaosTimes.push(t1 - t0)
    const avail = availableAt.get(`mcpserver-${name}`)
    if (avail) returnDelays.push(t1 - avail)

    // kubectl: the same rendered objects, then rollout status.
    const file = join(dir, `c${i}.yaml`)
    writeFileSync(file, kaos('mcp', 'deploy', `c${i}`, '--runtime', 'custom', '--image', 'bench.local/app:1', '-n', ns, '--dry-run'))
    kubectlTimes.push(timed(() => {
      kubectl('apply', '--server-side', '-f', file)
      kubectl('rollout', 'status', `deployment/mcpserver-c${i}`, '-n', ns, '--timeout', '60s')
    }))
  }
  const listKaos = []
  const listKubectl = []
  for (let i = 0; i < ROUNDS; i++) {
    listKaos.push(timed(() => kaos('mcp', 'list', '-n', ns)))
    listKubectl.push(timed(() => kubectl('get', 'deploy', '-n', ns, '-l', 'app.kubernetes.io/managed-by=kaos,kaos.tools/kind=MCPServer')))
  }
  const nodeStart = median(Array.from({length: 5}, () => timed(() => execFileSync(process.execPath, ['-e', '0']))))
  console.log(`rounds: ${ROUNDS} (median), cluster: ${cluster.server}`)
  console.log(`node -e 0                                         ${ms(nodeStart)}`)
  console.log(`kaos mcp deploy --wait                            ${ms(median(kaosTimes))}`)
  console.log(`kubectl apply --server-side && rollout status     ${ms(median(kubectlTimes))}`)
  console.log(`ratio kaos / kubectl                              ${(median(kaosTimes) / median(kubectlTimes)).toFixed(2)}`)
  console.log(`Available → kaos returned (delay)                 ${returnDelays.length ? ms(median(returnDelays)) : 'n/a'}`)
  console.log(`kaos mcp list                                     ${ms(median(listKaos))}`)
  console.log(`kubectl get deploy -l …                           ${ms(median(listKubectl))}`)
} finally {
  ac.abort()
  await watching.catch(() => {})
  kubectl('delete', 'namespace', ns, '--wait=false')
}
