// Direct cluster access for integration tests: the admin connection, a fault-injecting proxy in
// front of the real API server, and a way to restart the API server mid-test.
import {execFile, execFileSync, spawn} from 'node:child_process'
import {closeSync, existsSync, openSync, readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {Cluster} from '../../src/lib/cluster/client.js'
import {ROOT, tempDir} from './cli.js'
import {testKubeconfig} from './testbed.js'

export function admin(namespace?: string): Cluster {
  return Cluster.connect({kubeconfig: testKubeconfig(), namespace})
}

export async function createNamespace(name: string): Promise<void> {
  await admin().request('POST', '/api/v1/namespaces', {body: {apiVersion: 'v1', kind: 'Namespace', metadata: {name}}})
}

export async function deleteNamespace(name: string): Promise<void> {
  await admin().request('DELETE', `/api/v1/namespaces/${name}`, {allow404: true})
}

/**
 * The Gateway API CRDs on the test bed (test/cluster/gateway-api: pinned, idempotent, restarts
 * nothing), so the API server validates HTTPRoutes. Once per test process.
 */
let gatewayApi: Promise<void> | undefined
export function ensureGatewayApi(): Promise<void> {
  gatewayApi ??= new Promise((resolve, reject) => {
    execFile('bash', [join(ROOT, 'test', 'cluster', 'gateway-api')], {env: {...process.env, KUBECONFIG: testKubeconfig()}, timeout: 180_000}, (err, _out, stderr) =>
      err ? reject(new Error(`test/cluster/gateway-api failed: ${stderr || err.message}`)) : resolve(),
    )
  })
  return gatewayApi
}

/** `kubectl` against the test cluster. */
export function kubectl(...args: string[]): string {
  return execFileSync('kubectl', ['--kubeconfig', testKubeconfig()!, ...args], {encoding: 'utf8'})
}

/** Write a kubeconfig for `server` with a bearer token (or none) and return its path. */
export function writeKubeconfig(server: string, opts: {token?: string; namespace?: string; caFrom?: string} = {}): string {
  const dir = tempDir('kaos-kc-')
  const ca = opts.caFrom ? /certificate-authority-data: (\S+)/.exec(readFileSync(opts.caFrom, 'utf8'))?.[1] : undefined
  const caPath = opts.caFrom ? /certificate-authority: (\S+)/.exec(readFileSync(opts.caFrom, 'utf8'))?.[1] : undefined
  const p = join(dir, 'kubeconfig')
  writeFileSync(
    p,
    `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: ${server}
${ca ? `    certificate-authority-data: ${ca}\n` : caPath ? `    certificate-authority: ${caPath}\n` : ''}${server.startsWith('http:') ? '    insecure-skip-tls-verify: true\n' : ''}users:
- name: u
  user: ${opts.token ? `{token: ${opts.token}}` : '{}'}
contexts:
- name: ctx
  context: {cluster: c, user: u${opts.namespace ? `, namespace: ${opts.namespace}` : ''}}
current-context: ctx
`,
  )
  return p
}

/**
 * A plain-HTTP proxy in front of the real API server (forwarding with admin credentials) that
 * answers the first `faults` requests matching `match` with `status` instead.
 */
export async function faultProxy(opts: {faults: number; status: number; match?: (req: http.IncomingMessage) => boolean}): Promise<{url: string; injected: () => number; close: () => Promise<void>}> {
  const upstream = admin()
  let injected = 0
  const server = http.createServer(async (req, res) => {
    if (injected < opts.faults && (opts.match?.(req) ?? true)) {
      injected++
      res.writeHead(opts.status, {'Content-Type': 'application/json', ...(opts.status === 429 ? {'Retry-After': '0'} : {})})
      res.end(JSON.stringify({kind: 'Status', apiVersion: 'v1', status: 'Failure', code: opts.status, reason: opts.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable', message: 'injected fault'}))
      return
    }
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    try {
      const up = await upstream.open(req.method!, req.url!.split('?')[0], {
        query: Object.fromEntries(new URL(req.url!, 'http://x').searchParams),
        body: body || undefined,
        contentType: req.headers['content-type'],
      })
      res.writeHead(up.statusCode ?? 502, {'Content-Type': up.headers['content-type'] ?? 'application/json'})
      up.pipe(res)
    } catch (error) {
      res.writeHead(502)
      res.end(String(error))
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    injected: () => injected,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

const RUN = join(process.env.KAOS_TESTBED_DIR ?? join(ROOT, '.testbed'), 'run')

/** Kill the test bed's kube-apiserver hard and start it again with the same command line. */
export async function restartApiserver(downMs = 1500): Promise<void> {
  const pidFile = join(RUN, 'kube-apiserver.pid')
  if (!existsSync(pidFile)) throw new Error('no kube-apiserver pid file: is the test bed up?')
  const pid = Number(readFileSync(pidFile, 'utf8').trim())
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  const cwd = execFileSync('readlink', [`/proc/${pid}/cwd`], {encoding: 'utf8'}).trim()
  // SIGKILL: a crash, so open watch streams really drop (SIGTERM lets them drain for a minute).
  process.kill(pid, 'SIGKILL')
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await sleep(100)
  await sleep(downMs)
  const logPath = join(RUN, '..', 'logs', 'kube-apiserver.log')
  const out = openSync(logPath, 'a')
  const child = spawn(argv[0], argv.slice(1), {cwd, detached: true, stdio: ['ignore', out, out]})
  closeSync(out)
  child.unref()
  writeFileSync(pidFile, `${child.pid}\n`)
}

/** Wait until the admin connection answers /readyz. */
export async function waitReady(timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    try {
      const res = await admin().open('GET', '/readyz')
      res.resume()
      if (res.statusCode === 200) return
    } catch {
      await sleep(300)
    }
  }
  throw new Error('API server not ready again')
}
