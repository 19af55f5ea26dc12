// Serving for real, on the test bed: readiness that means MCP answers, bearer tokens checked by the
// server and printed by `kaos mcp token`, NetworkPolicies the API server accepts and that select the
// right pods, Ingresses and HTTPRoutes (with the Gateway API CRDs installed), and a rollout under
// continuous calls that drops none. One namespace and one exposed rawpython server (`calc`, two
// replicas) serve every test, the rollout included: this suite runs in CI on every change.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type WebSocket from 'ws'

import {isPodReady} from '../../src/lib/cluster/portforward.js'
import {forwardSocket} from '../../src/lib/cluster/portforward-stream.js'
import {McpSession} from '../../src/lib/mcp/session.js'
import {type CliResult, ROOT, cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {admin, createNamespace, deleteNamespace, ensureGatewayApi, kubectl, writeKubeconfig} from '../helpers/kube.js'
import {describeOrSkip} from '../helpers/mocha.js'
import {ensureOwnImages} from '../helpers/own-images.js'
import {requireTestbed, serviceNetworking, testKubeconfig, uniqueNamespace} from '../helpers/testbed.js'

const skip = cliUnavailable() || requireTestbed('cluster')
const KC = testKubeconfig() ?? ''

function kaos(args: string[], ns: string, timeoutMs = 90_000): Promise<CliResult> {
  return runCli([...args, '-n', ns, '--kubeconfig', KC], {timeoutMs})
}

function ok(r: CliResult): CliResult {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
  return r
}

function file(text: string, name = 'doc.yaml'): string {
  const p = join(tempDir(), name)
  writeFileSync(p, text)
  return p
}

const pods = (ns: string, selector: string): any[] => JSON.parse(kubectl('get', 'pods', '-n', ns, '-l', selector, '-o', 'json')).items
const live = (ns: string, selector: string): string[] =>
  pods(ns, selector)
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name)
    .sort()

/**
 * Parts of these tests need a test bed started from this checkout: its pod runner shuts pods down
 * like a kubelet, and runs this checkout's rawpython. Locally an older bed skips them loudly; CI
 * starts the bed from the same checkout, so there they always run.
 */
function bedFromThisCheckout(ctx: Mocha.Context, what: string, fromHere: boolean): void {
  if (fromHere) return
  const msg = `the test bed does not run this checkout's ${what}: start one from it (test/cluster/up)`
  if (process.env.CI) throw new Error(msg)
  process.stderr.write(`\n!!! SKIPPING: ${msg} !!!\n\n`)
  ctx.skip()
}

/**
 * The one server of the suite: rawpython with two tools, two replicas, exposed through an Ingress
 * with TLS (so it checks a bearer token), with a NetworkPolicy. `work` says which version answered,
 * which the rollout changes. SHUTDOWN_TIMEOUT=0: rawpython then stops at once on SIGTERM, as many
 * servers do, so only the preStop pause keeps the calls that still reach a terminating pod alive.
 */
const calc = (version: string) => `apiVersion: kaos.tools/v1alpha1
kind: MCPServer
metadata: {name: calc}
spec:
  runtime: rawpython
  replicas: 2
  networkPolicy: true
  expose: {type: ingress, host: calc.example.com, tlsSecret: calc-tls}
  container:
    env: [{name: SHUTDOWN_TIMEOUT, value: "0"}]
  params: |
    import time

    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    def work(ms: int = 300) -> str:
        """Works for ms milliseconds, then says which version answered."""
        time.sleep(ms / 1000)
        return "${version}"
`

describeOrSkip('serving on the test bed', skip, function () {
  this.timeout(60_000)
  const ns = uniqueNamespace('serving')
  let token = ''

  before(async function () {
    // Builds and loads the image only when the nodes lack it (other suites usually did already).
    this.timeout(300_000)
    await Promise.all([ensureOwnImages(['rawpython']), ensureGatewayApi(), createNamespace(ns)])
  })
  after(() => deleteNamespace(ns))

  it('--wait checks MCP on both Ready pods of an exposed server, sending its token; the PDB, Ingress and NetworkPolicy are created', async function () {
    this.timeout(120_000)
    const r = ok(await kaos(['mcp', 'deploy', '-f', file(calc('v1')), '--wait', '--timeout', '100s'], ns, 110_000))
    assert.match(r.stdout, /^mcpserver\/calc answers MCP on all 2 Ready pods: 2 tools, protocol 2025-11-25$/m)
    for (const o of ['poddisruptionbudget', 'ingress', 'networkpolicy', 'secret']) assert.match(r.stdout, new RegExp(`^${o}/mcpserver-calc(-auth)? created$`, 'm'))
    assert.match(r.stderr, new RegExp(`callers at calc\\.example\\.com send its bearer token: kaos mcp token calc -n ${ns}`))
    const ing = JSON.parse(kubectl('get', 'ingress', 'mcpserver-calc', '-n', ns, '-o', 'json'))
    assert.equal(ing.spec.rules[0].http.paths[0].path, '/mcp')
  })

  it('kaos mcp token prints the token (or says it may not read it); invoke sends it; the server refuses calls without it; endpoints shows https://host/mcp and --check counts both pods', async function () {
    const [plain, asJson, listed] = await Promise.all([kaos(['mcp', 'token', 'calc'], ns), kaos(['mcp', 'token', 'calc', '--json'], ns), kaos(['mcp', 'invoke', 'calc', '--json'], ns)])
    token = ok(plain).stdout.trim()
    assert.match(token, /^[A-Za-z0-9_-]{32}$/)
    assert.deepEqual(JSON.parse(ok(asJson).stdout), {name: 'calc', namespace: ns, token, secret: {name: 'mcpserver-calc-auth', key: 'token'}, env: 'MCP_AUTH_TOKEN'})
    assert.equal(Buffer.from(JSON.parse(kubectl('get', 'secret', 'mcpserver-calc-auth', '-n', ns, '-o', 'json')).data.token, 'base64').toString(), token)
    const [sum, endpoints, checked] = await Promise.all([
      kaos(['mcp', 'invoke', 'calc', '--tool', 'add', '--arg', 'a=2', '--arg', 'b=5'], ns),
      kaos(['mcp', 'endpoints', '--json'], ns),
      kaos(['mcp', 'endpoints', '--check', '--json'], ns),
    ])
    assert.equal(ok(sum).stdout.trim(), '7')
    assert.equal(JSON.parse(ok(endpoints).stdout).endpoints[0].external, 'https://calc.example.com/mcp')
    assert.deepEqual(JSON.parse(ok(checked).stdout).endpoints.find((x: any) => x.name === 'calc').check, {ok: true, readyPods: 2, checkedPods: 2, tools: 2, protocolVersion: '2025-11-25'})

    // Someone who may read the Deployment but not the Secret is told so (exit 3), not handed nothing.
    kubectl('create', 'serviceaccount', 'viewer', '-n', ns)
    kubectl('create', 'role', 'deployment-reader', '--verb=get,list', '--resource=deployments', '-n', ns)
    kubectl('create', 'rolebinding', 'viewer', '--role=deployment-reader', `--serviceaccount=${ns}:viewer`, '-n', ns)
    const server = /server: (\S+)/.exec(kubectl('config', 'view', '--minify'))![1]
    const viewer = writeKubeconfig(server, {token: kubectl('create', 'token', 'viewer', '-n', ns).trim(), namespace: ns, caFrom: KC})
    const denied = await runCli(['mcp', 'token', 'calc', '--kubeconfig', viewer])
    assert.equal(denied.code, 3, denied.stderr)
    assert.equal(denied.error, `cannot read Secret ${ns}/mcpserver-calc-auth, which holds the bearer token of MCPServer "calc": forbidden`)

    // The server itself checks the token (this checkout's rawpython: MCP_AUTH_TOKEN).
    const version = readFileSync(join(ROOT, 'runtimes', 'rawpython', 'VERSION'), 'utf8').trim()
    const answered = JSON.parse(ok(listed).stdout).server?.version
    bedFromThisCheckout(this, `rawpython (${version}; the bed's answers ${answered})`, answered === version)
    const refused = await kaos(['mcp', 'invoke', 'calc', '--no-auth'], ns)
    assert.equal(refused.code, 6)
    assert.match(refused.error ?? '', /it wants credentials \(HTTP 401: Unauthorized: this server needs Authorization: Bearer <token>/)
    // What an Ingress forwards to, the Service, wants it too (the bed serves Service names as kube-proxy and DNS would).
    if (serviceNetworking()?.names) {
      const post = (headers: Record<string, string>) =>
        fetch(`http://mcpserver-calc.${ns}.svc.cluster.local:8000/mcp`, {
          method: 'POST',
          headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', connection: 'close', ...headers},
          body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'tools/list'}),
        })
      const none = await post({})
      assert.equal(none.status, 401)
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="mcp"')
      await none.body?.cancel()
      const withToken = await post({authorization: `Bearer ${token}`})
      assert.equal(withToken.status, 200, await withToken.clone().text())
      assert.match(await withToken.text(), /"name":\s*"work"/)
    }
  })

  it('a server that answers TCP but not MCP (python -m http.server): exit 5 with what it answered; --no-verify skips the check', async function () {
    this.timeout(90_000)
    const args = ['mcp', 'deploy', 'plain', '--runtime', 'custom', '--image', 'registry.example.com/plain-http:1.0', '--skip-image-check']
    ok(await kaos(args, ns))
    // The pod runner runs the annotation's command in the pod instead of an image: a plain HTTP
    // server on the container port. kaos's later applies leave the annotation (another manager owns it).
    kubectl('patch', 'deployment', 'mcpserver-plain', '-n', ns, '--type', 'merge', '-p', JSON.stringify({spec: {template: {metadata: {annotations: {'kaos.tools/test-command': JSON.stringify(['python3', '-m', 'http.server', '--bind', '127.0.0.1', '$(KAOS_TEST_PORT_8000)'])}}}}}))
    const r = await kaos([...args, '--wait', '--timeout', '60s'], ns)
    assert.equal(r.code, 5, r.stderr)
    assert.match(r.error ?? '', /^MCPServer "plain" in \S+: pod mcpserver-plain-\S+ is Ready but MCP does not answer there: .*does not look like an MCP endpoint: initialize got HTTP 501 \(text\/html\): an HTML page titled "Error response"$/)
    assert.match(r.stderr, /kaos spoke streamable HTTP at path \/mcp, as the runtime declares/)
    assert.match(r.stderr, /or deploy with --no-verify to skip the check/)
    const [skipped, e] = await Promise.all([kaos([...args, '--wait', '--no-verify', '--timeout', '60s'], ns), kaos(['mcp', 'endpoints', '--check'], ns)])
    assert.doesNotMatch(ok(skipped).stdout, /answers MCP/)
    assert.equal(e.code, 5)
    assert.match(e.stdout, /\splain\s.*FAILED \(NOT_MCP_ENDPOINT\)/)
    assert.match(e.stdout, /\scalc\s.*ok: 2 tools on 2 pods/)
    assert.match(e.stderr, new RegExp(`Warning: mcpserver/plain in ${ns}: `))
  })

  it('a server whose Host allowlist refuses port-forwarded requests: exit 5 naming the 421 (its /readyz passed)', async function () {
    const r = await kaos(['mcp', 'deploy', 'strict', '--runtime', 'rawpython', '--params', 'def one() -> int:\n    return 1\n', '--env', 'MCP_ALLOWED_HOSTS=mcp.example.com', '--wait', '--timeout', '50s'], ns)
    assert.equal(r.code, 5, r.stderr)
    assert.match(r.error ?? '', /is Ready but MCP does not answer there: .*DNS-rebinding protection did not accept the Host.*HTTP 421/)
  })

  it('--expose httproute: a runtime that cannot check a token is refused, --no-auth exposes it with a warning; the Gateway API CRDs validate the route; endpoints reads the Gateway listener', async function () {
    this.timeout(90_000)
    kubectl('create', 'serviceaccount', 'k8s-reader', '-n', ns)
    kubectl('apply', '--server-side', '-f', file(`apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: ${ns}}
spec:
  gatewayClassName: example
  listeners:
    - {name: https, protocol: HTTPS, port: 8443, hostname: "*.example.com", tls: {certificateRefs: [{name: wildcard-tls}]}}
`))
    const args = ['mcp', 'deploy', 'k8s', '--runtime', 'kubernetes', '--sa', 'k8s-reader', '--network-policy', '--expose', 'httproute', '--host', 'k8s.example.com', '--gateway', 'public']
    const refused = await kaos(args, ns)
    assert.equal(refused.code, 2)
    assert.match(refused.error ?? '', /runtime "kubernetes" cannot check a bearer token itself, so kaos will not expose it with one/)
    const r = ok(await kaos([...args, '--no-auth', '--wait', '--timeout', '60s'], ns, 70_000))
    assert.match(r.stderr, /exposed at k8s\.example\.com without a bearer token \(--no-auth\): anyone who reaches that host can call it/)
    assert.match(r.stdout, /^httproute\/mcpserver-k8s created$/m)
    assert.match(r.stdout, /^mcpserver\/k8s answers MCP on its Ready pod/m)
    // The bed's API server runs with --endpoint-reconciler-type none: the kubernetes Service has no endpoints to read.
    assert.match(r.stderr, /lists no endpoints kaos could read, so the policy allows only its ClusterIP 10\.96\.0\.1/)

    const route = JSON.parse(kubectl('get', 'httproute', 'mcpserver-k8s', '-n', ns, '-o', 'json'))
    assert.deepEqual(route.spec.rules[0].backendRefs, [{group: '', kind: 'Service', name: 'mcpserver-k8s', port: 8000, weight: 1}], 'defaulted by the CRD')
    const e = JSON.parse(ok(await kaos(['mcp', 'endpoints', '--json'], ns)).stdout)
    assert.equal(e.endpoints.find((x: any) => x.name === 'k8s').external, 'https://k8s.example.com:8443/mcp')
    // The check is real: the CRD's CEL rules refuse what they should (a PathPrefix that is not a path).
    const bad = {...route, metadata: {name: 'bad', namespace: ns}, spec: {...route.spec, rules: [{...route.spec.rules[0], matches: [{path: {type: 'PathPrefix', value: 'mcp'}}]}]}}
    assert.throws(
      () => execFileSync('kubectl', ['--kubeconfig', KC, 'apply', '--dry-run=server', '-f', file(JSON.stringify(bad), 'bad.json')], {stdio: 'pipe'}),
      (e: {stderr?: Buffer}) => /must be an absolute path/.test(String(e.stderr)),
    )
  })

  it('NetworkPolicies of rawpython, kubernetes and an agent pass strict validation, each selects exactly its workload\'s pods; a redeploy without one prunes it; kaos mcp token of servers without one', async function () {
    // An image the pod runner does not run: kwok makes the pod Ready, which is all a policy needs.
    ok(await kaos(['agent', 'deploy', 'helper', '--model-api', 'llm', '--model', 'gpt-4o', '--mcp-server', 'calc', '--mcp-server', 'k8s', '--network-policy', '--image', 'registry.example.com/agent:1', '--skip-secret-check', '--skip-image-check'], ns))
    const policies = JSON.parse(kubectl('get', 'networkpolicies', '-n', ns, '-o', 'json')).items
    assert.deepEqual(policies.map((p: any) => p.metadata.name).sort(), ['agent-helper', 'mcpserver-calc', 'mcpserver-k8s'])
    for (const p of policies) {
      const selector = Object.entries(p.spec.podSelector.matchLabels).map(([a, b]) => `${a}=${b}`).join(',')
      const own = live(ns, `kaos.tools/name=${p.metadata.labels['kaos.tools/name']}`)
      assert.ok(own.length > 0, p.metadata.name)
      assert.deepEqual(live(ns, selector), own, `${p.metadata.name} selects other pods than its workload's`)
    }
    const byName = Object.fromEntries(policies.map((p: any) => [p.metadata.name, p]))
    assert.deepEqual(byName['mcpserver-calc'].spec.egress.length, 1, 'rawpython: DNS only')
    assert.deepEqual(byName['mcpserver-k8s'].spec.egress.at(-1), {to: [{ipBlock: {cidr: '10.96.0.1/32'}}], ports: [{protocol: 'TCP', port: 443}]})
    assert.deepEqual(
      byName['agent-helper'].spec.egress.slice(1).map((r: any) => r.to[0].podSelector.matchLabels),
      [{app: 'modelapi', modelapi: 'llm'}, {app: 'mcpserver', mcpserver: 'calc'}, {app: 'mcpserver', mcpserver: 'k8s'}],
    )
    // Servers without a token: kaos mcp token says why, exit 8.
    const [k8sToken, strictToken] = await Promise.all([kaos(['mcp', 'token', 'k8s'], ns), kaos(['mcp', 'token', 'strict'], ns)])
    assert.equal(k8sToken.code, 8)
    assert.equal(k8sToken.error, `MCPServer "k8s" in ${ns} has no bearer token: its runtime "kubernetes" checks none`)
    assert.equal(strictToken.code, 8)
    assert.equal(strictToken.error, `MCPServer "strict" in ${ns} has no bearer token: it is not exposed with one (its runtime checks a token only when exposed)`)
    assert.match(strictToken.stderr, /--expose ingress --host H/)
    // The same document without --network-policy: the policy goes, the route stays, no pod rolls.
    const before = live(ns, 'mcpserver=k8s')
    const r = ok(await kaos(['mcp', 'deploy', 'k8s', '--runtime', 'kubernetes', '--sa', 'k8s-reader', '--expose', 'httproute', '--host', 'k8s.example.com', '--gateway', 'public', '--no-auth'], ns))
    assert.match(r.stdout, /^networkpolicy\/mcpserver-k8s pruned$/m)
    assert.doesNotMatch(kubectl('get', 'networkpolicies', '-n', ns, '-o', 'name'), /mcpserver-k8s/)
    assert.match(kubectl('get', 'httproutes', '-n', ns, '-o', 'name'), /mcpserver-k8s/)
    assert.deepEqual(live(ns, 'mcpserver=k8s'), before)
  })

  it('a rollout under continuous calls drops none: calc rolled to a new version under 4 callers (3 Service-like with a 1 s endpoint lag, 1 kaos mcp invoke), a fresh connection per call', async function () {
    this.timeout(150_000)
    assert.ok(token, 'the token test ran first')
    bedFromThisCheckout(this, 'pod runner (kubelet-like termination)', pods(ns, 'mcpserver=calc').every((p) => (p.metadata.finalizers ?? []).includes('kaos.tools/pod-runner')))

    const answers: Record<string, number> = {}
    const failures: string[] = []
    let stop = false
    const record = (answer: string) => (answers[answer] = (answers[answer] ?? 0) + 1)
    const serviceLike = async () => {
      const caller = new ServiceLikeCaller(admin(ns), ns, 'mcpserver=calc', {authorization: `Bearer ${token}`}, 1000)
      while (!stop) await caller.call().then(record, (e: Error) => failures.push(e.message))
    }
    const viaCli = async () => {
      while (!stop) {
        const r = await kaos(['mcp', 'invoke', 'calc', '--tool', 'work', '--arg', 'ms=300'], ns, 40_000)
        if (r.code === 0) record(r.stdout.trim())
        else failures.push(`kaos mcp invoke exit ${r.code}: ${r.error ?? r.stderr}`)
      }
    }
    const callers = [serviceLike(), serviceLike(), serviceLike(), viaCli()]
    const seen = () => `answers ${JSON.stringify(answers)}, ${failures.length} failures: ${failures.slice(0, 3).join('; ')}`
    /** Wait for `cond`, failing with what was seen instead of hanging. */
    const until = async (cond: () => boolean, what: string, ms = 40_000) => {
      for (const end = Date.now() + ms; !cond(); await sleep(200)) if (Date.now() > end) assert.fail(`${what} (${seen()})`)
    }
    try {
      await until(() => (answers.v1 ?? 0) >= 5, 'no v1 answers before the rollout')
      const started = Date.now()
      const deployed = ok(await kaos(['mcp', 'deploy', '-f', file(calc('v2')), '--wait', '--timeout', '80s'], ns, 90_000))
      const rolledOut = Date.now() - started
      assert.match(deployed.stdout, /answers MCP on all 2 Ready pods/)
      // Keep calling until every old pod has gone (each shuts down after its preStop pause).
      let terminatingSeen = 0
      await until(
        () => {
          const now = pods(ns, 'mcpserver=calc')
          terminatingSeen = Math.max(terminatingSeen, now.filter((p) => p.metadata.deletionTimestamp).length)
          return now.length === 2 && now.every((p) => !p.metadata.deletionTimestamp)
        },
        'the old pods did not go away',
        30_000,
      )
      const drained = Date.now() - started
      const v2Before = answers.v2 ?? 0
      await until(() => (answers.v2 ?? 0) >= v2Before + 3, 'no v2 answers after the rollout')
      stop = true
      await Promise.all(callers)
      const calls = Object.values(answers).reduce((a, b) => a + b, 0) + failures.length
      process.stderr.write(
        `      rollout figures: ${calls} calls (v1 ${answers.v1 ?? 0}, v2 ${answers.v2 ?? 0}), ${failures.length} failed; rollout --wait ${(rolledOut / 1000).toFixed(1)} s, old pods gone after ${(drained / 1000).toFixed(1)} s\n`,
      )
      assert.deepEqual(failures, [], `${failures.length} of ${calls} calls failed`)
      assert.deepEqual(Object.keys(answers).sort(), ['v1', 'v2'])
      assert.ok(terminatingSeen > 0, 'the old pods were seen terminating while calls went on')
    } finally {
      // Never leave callers running (they would keep mocha alive): each ends within one call.
      stop = true
      await Promise.all(callers.map((c) => c.catch(() => {})))
    }
  })

  it('kaos mcp token --rotate --wait: a new token in the Secret, the pods restarted; the old token is refused, the new one and kaos mcp invoke work', async function () {
    this.timeout(150_000)
    const old = ok(await kaos(['mcp', 'token', 'calc'], ns)).stdout.trim()
    const before = live(ns, 'mcpserver=calc')
    const r = ok(await kaos(['mcp', 'token', 'calc', '--rotate', '--wait', '--json'], ns, 120_000))
    const rotated = JSON.parse(r.stdout)
    assert.match(rotated.token, /^[A-Za-z0-9_-]{32}$/)
    assert.notEqual(rotated.token, old)
    assert.deepEqual(rotated.restarted, ['deployment/mcpserver-calc'])
    assert.deepEqual(rotated.ready.map((x: any) => [x.name, x.ready]), [['mcpserver-calc', true]])
    assert.equal(Buffer.from(JSON.parse(kubectl('get', 'secret', 'mcpserver-calc-auth', '-n', ns, '-o', 'json')).data.token, 'base64').toString(), rotated.token)
    const after = live(ns, 'mcpserver=calc')
    assert.equal(after.length, 2)
    assert.deepEqual(after.filter((p) => before.includes(p)), [], 'every pod was replaced')
    assert.equal(ok(await kaos(['mcp', 'token', 'calc'], ns)).stdout.trim(), rotated.token)
    assert.equal(ok(await kaos(['mcp', 'invoke', 'calc', '--tool', 'add', '--arg', 'a=20', '--arg', 'b=22'], ns)).stdout.trim(), '42')
    if (serviceNetworking()?.names) {
      const status = async (bearer: string) => {
        const res = await fetch(`http://mcpserver-calc.${ns}.svc.cluster.local:8000/mcp`, {
          method: 'POST',
          headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', connection: 'close', authorization: `Bearer ${bearer}`},
          body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'tools/list'}),
        })
        await res.body?.cancel()
        return res.status
      }
      assert.deepEqual([await status(old), await status(rotated.token)], [401, 200])
    }
    // --wait belongs to --rotate.
    const bad = await kaos(['mcp', 'token', 'calc', '--wait'], ns)
    assert.equal(bad.code, 2, bad.stderr)
  })
})

/**
 * A client the way a Service sends it: a random pod from an endpoint list that lags the cluster
 * by `lagMs` (kube-proxy, ingress controllers and gateways learn of a terminating pod a little
 * later), reached through a port-forward stream to that pod. Unlike `kaos mcp invoke` (a fresh
 * list, the newest Ready pod) it keeps sending calls to a pod that has begun to shut down.
 */
class ServiceLikeCaller {
  private endpoints: string[] = []
  private listedAt = 0
  constructor(
    private readonly cluster: ReturnType<typeof admin>,
    private readonly ns: string,
    private readonly selector: string,
    private readonly headers: Record<string, string>,
    private readonly lagMs: number,
  ) {}

  private async pick(): Promise<string> {
    if (Date.now() - this.listedAt > this.lagMs || this.endpoints.length === 0) {
      const list = await this.cluster.request<{items: any[]}>('GET', `/api/v1/namespaces/${this.ns}/pods`, {query: {labelSelector: this.selector}})
      this.endpoints = list.items.filter((p) => isPodReady(p)).map((p) => p.metadata.name)
      this.listedAt = Date.now()
    }
    return this.endpoints[Math.floor(Math.random() * this.endpoints.length)]
  }

  /** One call on its own connection; returns what answered, or throws. */
  async call(): Promise<string> {
    const pod = await this.pick()
    const sockets = new Set<net.Socket>()
    const streams = new Set<WebSocket>()
    const server = net.createServer((socket) => {
      sockets.add(socket)
      socket.pause()
      forwardSocket(this.cluster, this.ns, pod, 8000, socket, {onError: () => socket.destroy(), onClose: () => socket.destroy()}).then(
        ({ws}) => {
          streams.add(ws)
          // The stream ends with the local connection (a WebSocket left open keeps the process alive).
          if (socket.destroyed) ws.terminate()
          else socket.once('close', () => ws.terminate())
          socket.resume()
        },
        () => socket.destroy(),
      )
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as net.AddressInfo).port
    let session: McpSession | undefined
    try {
      session = await McpSession.connect({url: `http://127.0.0.1:${port}/mcp`, headers: this.headers, timeoutMs: 30_000, target: `pod ${pod}`})
      const r = await session.callTool('work', {ms: 300})
      if (r.isError) throw new Error(`tool error: ${JSON.stringify(r.content)}`)
      return String(r.content[0]?.text)
    } catch (error) {
      throw new Error(`pod ${pod}: ${(error as Error).message}`)
    } finally {
      await session?.close()
      // Close what this call opened, whatever happened to it: no socket or stream outlives the call.
      for (const s of sockets) s.destroy()
      for (const ws of streams) ws.terminate()
      server.close()
    }
  }
}
