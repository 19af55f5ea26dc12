// kaos deploy / wait / list / get / logs / delete against the real control plane (test/cluster).
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {spawn} from 'node:child_process'

import {BIN, type CliResult, ROOT, runCli, tempDir} from '../helpers/cli.js'
import {admin, createNamespace, deleteNamespace, faultProxy, kubectl, restartApiserver, waitReady, writeKubeconfig} from '../helpers/kube.js'
import {requireTestbed, testKubeconfig, uniqueNamespace} from '../helpers/testbed.js'
import {describeOrSkip} from '../helpers/mocha.js'
import {ensureOwnImages} from '../helpers/own-images.js'
import {builtinRegistry, mergeRegistry} from '../../src/lib/registry.js'
import {selectImages} from '../../src/lib/system/images.js'

const skip = requireTestbed('cluster')
const KC = testKubeconfig() ?? ''

function kaos(args: string[], opts: {timeoutMs?: number; kubeconfig?: string; input?: string} = {}): Promise<CliResult> {
  return runCli([...args, '--kubeconfig', opts.kubeconfig ?? KC], {timeoutMs: opts.timeoutMs ?? 90_000, input: opts.input})
}

function json(r: CliResult): any {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

const RAWPY = (name: string, code = 'def add(a: int, b: int) -> int:\n    """Add."""\n    return a + b\n') => `apiVersion: kaos.tools/v1alpha1
kind: MCPServer
metadata: {name: ${name}}
spec:
  runtime: rawpython
  params: |
${code
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`

function file(text: string): string {
  const p = join(tempDir(), 'doc.yaml')
  writeFileSync(p, text)
  return p
}

async function objectsOf(ns: string, name: string): Promise<string[]> {
  const out = kubectl('get', 'deploy,svc,cm,secret,sa,rs', '-n', ns, '-l', `kaos.tools/name=${name}`, '-o', 'name')
  return out.split('\n').filter(Boolean).sort()
}

describeOrSkip('deploy against the real API server', skip, function () {
  this.timeout(600_000)
  const ns = uniqueNamespace('deploy')
  before(async () => {
    await ensureOwnImages(['rawpython'])
    await createNamespace(ns)
  })
  after(async () => deleteNamespace(ns))

  it('MCPServer: create, unchanged on redeploy without rolling, configured on change, then delete leaves nothing', async () => {
    const f = file(RAWPY('calc'))
    const first = json(await kaos(['mcp', 'deploy', '-f', f, '-n', ns, '--wait', '--timeout', '60s', '--json']))
    assert.deepEqual(
      first.applied.map((a: any) => `${a.kind}:${a.action}`),
      ['Deployment:created', 'Service:created'],
    )
    assert.equal(first.ready[0].ready, true)
    const rs1 = kubectl('get', 'rs', '-n', ns, '-l', 'mcpserver=calc', '-o', 'name').trim()

    const again = json(await kaos(['mcp', 'deploy', '-f', f, '-n', ns, '--wait', '--json']))
    assert.deepEqual(
      again.applied.map((a: any) => a.action),
      ['unchanged', 'unchanged'],
    )
    assert.equal(kubectl('get', 'rs', '-n', ns, '-l', 'mcpserver=calc', '-o', 'name').trim(), rs1, 'an unchanged deploy must not roll the pods')

    const changed = json(await kaos(['mcp', 'deploy', '-f', file(RAWPY('calc', 'def sub(a: int, b: int) -> int:\n    return a - b\n')), '-n', ns, '--wait', '--json']))
    assert.equal(changed.applied.find((a: any) => a.kind === 'Deployment').action, 'configured')
    assert.equal(kubectl('get', 'rs', '-n', ns, '-l', 'mcpserver=calc', '-o', 'name').trim().split('\n').length, 2, 'a changed spec rolls the pods')

    const list = json(await kaos(['mcp', 'list', '-n', ns, '--json']))
    assert.equal(list.items.length, 1)
    assert.equal(list.items[0].type, 'rawpython')
    assert.equal(list.items[0].ready, '1/1')
    assert.equal(list.items[0].endpoint, `http://mcpserver-calc.${ns}.svc.cluster.local:8000/mcp`)

    const got = json(await kaos(['mcp', 'get', 'calc', '-n', ns, '--json']))
    assert.equal(got.kind, 'MCPServer')
    assert.match(got.spec.params, /def sub/)
    assert.equal(got.status.readyReplicas, 1)
    assert.equal(got.metadata.namespace, ns)
    // get's output fed back (no -n): the same object in the same namespace, unchanged.
    const yaml = await kaos(['mcp', 'get', 'calc', '-n', ns])
    const roundTrip = await kaos(['mcp', 'deploy', '-f', '-'], {input: yaml.stdout})
    assert.equal(roundTrip.code, 0, roundTrip.stderr)
    assert.match(roundTrip.stdout, /^deployment\/mcpserver-calc unchanged$/m)
    assert.match(roundTrip.stderr, /status ignored: it is state the cluster observed, not configuration/)

    const endpoints = json(await kaos(['mcp', 'endpoints', '-n', ns, '--json']))
    assert.deepEqual(endpoints.endpoints, [{name: 'calc', namespace: ns, url: `http://mcpserver-calc.${ns}.svc.cluster.local:8000/mcp`, transport: 'streamable-http'}])

    // -o json is the same shape as --json, for every command that has both.
    for (const args of [['mcp', 'list'], ['mcp', 'get', 'calc'], ['mcp', 'endpoints']]) {
      const a = json(await kaos([...args, '-n', ns, '--json']))
      const b = json(await kaos([...args, '-n', ns, '-o', 'json']))
      for (const x of [a, b]) for (const i of x.items ?? []) delete i.age
      assert.deepEqual(b, a, `${args.join(' ')}: -o json and --json differ`)
    }

    const logs = await kaos(['mcp', 'logs', 'calc', '-n', ns, '--tail', '50'])
    assert.equal(logs.code, 0, logs.stderr)
    assert.match(logs.stdout, /^\[mcpserver-calc-[a-z0-9-]+\/mcp-server\] /m)

    const del = json(await kaos(['mcp', 'delete', 'calc', '-n', ns, '--wait', '--json']))
    assert.deepEqual(del.deleted.map((d: any) => d.kind).sort(), ['Deployment', 'Service'])
    // Garbage collection removes the ReplicaSets and pods the Deployment owned: nothing orphaned.
    for (let i = 0; i < 50 && (await objectsOf(ns, 'calc')).length > 0; i++) await new Promise((r) => setTimeout(r, 200))
    assert.deepEqual(await objectsOf(ns, 'calc'), [])
    assert.equal(kubectl('get', 'pods', '-n', ns, '-l', 'mcpserver=calc', '-o', 'name').trim(), '')

    const gone = await kaos(['mcp', 'delete', 'calc', '-n', ns])
    assert.equal(gone.code, 8)
    assert.equal((await kaos(['mcp', 'delete', 'calc', '-n', ns, '--ignore-not-found'])).code, 0)
  })

  it('delete takes several names, as kubectl does: one missing stops it before anything is deleted; an invalid name is exit 2', async () => {
    const params = ['--runtime', 'rawpython', '--params', 'def one() -> int:\n    return 1\n', '-n', ns]
    await Promise.all(['del-a', 'del-b'].map(async (n) => assert.equal((await kaos(['mcp', 'deploy', n, ...params])).code, 0)))
    const missing = await kaos(['mcp', 'delete', 'del-a', 'del-nope', 'del-b', '-n', ns])
    assert.equal(missing.code, 8)
    assert.equal(missing.error, `MCPServer "del-nope" not found in namespace "${ns}" (nothing was deleted)`)
    assert.equal(kubectl('get', 'deploy', '-n', ns, 'mcpserver-del-a', 'mcpserver-del-b', '-o', 'name').split('\n').filter(Boolean).length, 2)
    const bad = await kaos(['mcp', 'delete', 'del-a', 'a/b', '-n', ns])
    assert.equal(bad.code, 2)
    assert.match(bad.error!, /^NAME "a\/b" must be a DNS-1123 label/)
    const both = await kaos(['mcp', 'delete', 'del-a', 'del-b', 'del-nope', '-n', ns, '--ignore-not-found', '--wait'])
    assert.equal(both.code, 0, both.stderr)
    assert.match(both.stdout, /^deployment\/mcpserver-del-a deleted$/m)
    assert.match(both.stdout, /^deployment\/mcpserver-del-b deleted$/m)
    assert.match(both.stdout, /^MCPServer del-nope was not there$/m)
    assert.deepEqual([...(await objectsOf(ns, 'del-a')), ...(await objectsOf(ns, 'del-b'))], [])
  })

  it('ModelAPI: prunes the Secret a literal key created once the key comes from a Secret ref', async () => {
    kubectl('create', 'secret', 'generic', 'openai', '-n', ns, '--from-literal=api-key=sk-test')
    const literal = json(await kaos(['modelapi', 'deploy', 'llm', '--mode', 'Proxy', '--model', 'gpt-4o', '--provider', 'openai', '-n', ns, '--json', '--dry-run=none'].concat([]), {}).then((r) => r))
    assert.ok(literal.applied.every((a: any) => a.action === 'created'))
    // same name, now with a literal key → Secret modelapi-llm-api-key appears
    const withLiteral = `apiVersion: kaos.tools/v1alpha1
kind: ModelAPI
metadata: {name: llm}
spec:
  mode: Proxy
  proxyConfig: {models: [gpt-4o], provider: openai, apiKey: {value: sk-literal}}
`
    const r1 = json(await kaos(['modelapi', 'deploy', '-f', file(withLiteral), '-n', ns, '--json']))
    assert.ok(r1.applied.some((a: any) => a.kind === 'Secret' && a.name === 'modelapi-llm-api-key' && a.action === 'created'))
    const cm = kubectl('get', 'cm', 'modelapi-llm-config', '-n', ns, '-o', 'jsonpath={.data.config\\.yaml}')
    assert.doesNotMatch(cm, /sk-literal/, 'keys never land in the ConfigMap')
    assert.match(cm, /os\.environ\/MODEL_API_KEY/)

    const r2 = json(await kaos(['modelapi', 'deploy', 'llm', '--mode', 'Proxy', '--model', 'gpt-4o', '--provider', 'openai', '--api-key-secret', 'openai/api-key', '-n', ns, '--json']))
    assert.deepEqual(r2.pruned, [{kind: 'Secret', name: 'modelapi-llm-api-key', namespace: ns}])
    assert.deepEqual(await objectsOf(ns, 'llm').then((o) => o.filter((x) => !x.startsWith('replicaset'))), ['configmap/modelapi-llm-config', 'deployment.apps/modelapi-llm', 'service/modelapi-llm'])

    json(await kaos(['modelapi', 'delete', 'llm', '-n', ns, '--wait', '--json']))
  })

  it('prunes an object whose labels were edited away (from the inventory read before applying); the server dry run reports the same', async () => {
    const withLiteral = `apiVersion: kaos.tools/v1alpha1
kind: ModelAPI
metadata: {name: inv}
spec:
  mode: Proxy
  proxyConfig: {models: [gpt-4o], provider: openai, apiKey: {value: sk-literal}}
`
    const withRef = withLiteral.replace('apiKey: {value: sk-literal}', 'apiKey: {valueFrom: {secretKeyRef: {name: openai-inv, key: api-key}}}')
    kubectl('create', 'secret', 'generic', 'openai-inv', '-n', ns, '--from-literal=api-key=sk-test')
    json(await kaos(['modelapi', 'deploy', '-f', file(withLiteral), '-n', ns, '--json']))
    // Someone strips kaos's labels: only the inventory on the live Deployment still names it.
    kubectl('label', 'secret', 'modelapi-inv-api-key', '-n', ns, 'kaos.tools/name-', 'kaos.tools/kind-', 'app.kubernetes.io/managed-by-')
    const planned = json(await kaos(['modelapi', 'deploy', '-f', file(withRef), '-n', ns, '--dry-run=server', '--json']))
    assert.deepEqual(planned.pruned, [{kind: 'Secret', name: 'modelapi-inv-api-key', namespace: ns}])
    assert.equal(kubectl('get', 'secret', '-n', ns, 'modelapi-inv-api-key', '-o', 'name').trim(), 'secret/modelapi-inv-api-key', 'a dry run deletes nothing')
    const real = json(await kaos(['modelapi', 'deploy', '-f', file(withRef), '-n', ns, '--json']))
    assert.deepEqual(real.pruned, planned.pruned, 'the real deploy prunes what its dry run said')
    assert.equal(kubectl('get', 'secret', '-n', ns, '--ignore-not-found', 'modelapi-inv-api-key', '-o', 'name').trim(), '')
    // Nothing left to prune once the inventory no longer lists it.
    assert.deepEqual(json(await kaos(['modelapi', 'deploy', '-f', file(withRef), '-n', ns, '--json'])).pruned, [])
    json(await kaos(['modelapi', 'delete', 'inv', '-n', ns, '--wait', '--json']))
  })

  it('Agent and hosted ModelAPI round trip, with waits', async () => {
    const docs = `apiVersion: kaos.tools/v1alpha1
kind: ModelAPI
metadata: {name: local}
spec: {mode: Hosted, hostedConfig: {model: smollm2:135m}}
`
    json(await kaos(['modelapi', 'deploy', '-f', file(docs), '-n', ns, '--wait', '--json']))
    const agent = json(await kaos(['agent', 'deploy', 'helper', '--model-api', 'local', '--model', 'smollm2:135m', '--mcp-server', 'calc', '-n', ns, '--wait', '--json']))
    assert.equal(agent.ready[0].ready, true)
    const list = json(await kaos(['agent', 'list', '-n', ns, '--json']))
    assert.equal(list.items[0].type, 'local')
    const models = json(await kaos(['modelapi', 'list', '-n', ns, '--json']))
    assert.equal(models.items[0].type, 'Hosted')
    assert.match(models.items[0].endpoint, /:11434$/)
    json(await kaos(['agent', 'delete', 'helper', '-n', ns, '--wait', '--json']))
    json(await kaos(['modelapi', 'delete', 'local', '-n', ns, '--wait', '--json']))
    assert.deepEqual(await objectsOf(ns, 'helper'), [])
  })

  it('server-side dry run validates and writes nothing', async () => {
    const r = json(await kaos(['mcp', 'deploy', '-f', file(RAWPY('dry')), '-n', ns, '--dry-run=server', '--json']))
    assert.equal(r.dryRun, 'server')
    assert.deepEqual(
      r.applied.map((a: any) => a.action),
      ['created', 'created'],
    )
    assert.deepEqual(await objectsOf(ns, 'dry'), [])
  })

  it('a document\'s httpGet probes replace the tcpSocket ones runtime custom renders: the server takes it, the pod gets Ready on them', async () => {
    // What `kaos mcp build --from` records (httpGet /readyz, /healthz over custom): here with
    // kaos's rawpython image, which serves the same paths and is on the nodes.
    const image = selectImages(mergeRegistry([builtinRegistry()]), ['rawpython']).find((i) => i.name === 'rawpython')!.ref
    const doc = (probe: string) => `apiVersion: kaos.tools/v1alpha1
kind: MCPServer
metadata: {name: probed}
spec:
  runtime: custom
  container:
    image: ${image}
    env: [{name: MCP_TOOLS_STRING, value: "def add(a: int, b: int) -> int:\\n    return a + b\\n"}]
  podSpec:
    containers:
      - name: mcp-server
        readinessProbe: {${probe}, periodSeconds: 2}
        livenessProbe: {httpGet: {path: /healthz, port: http}}
`
    const f = file(doc('httpGet: {path: /readyz, port: http}'))
    const planned = json(await kaos(['mcp', 'deploy', '-f', f, '-n', ns, '--dry-run=server', '--json']))
    assert.deepEqual(
      planned.applied.map((a: any) => `${a.kind}:${a.action}`),
      ['Deployment:created', 'Service:created'],
    )
    assert.deepEqual(await objectsOf(ns, 'probed'), [])

    const r = json(await kaos(['mcp', 'deploy', '-f', f, '-n', ns, '--wait', '--timeout', '90s', '--json'], {timeoutMs: 150_000}))
    assert.equal(r.ready[0].ready, true)
    const c = JSON.parse(kubectl('get', 'deploy', 'mcpserver-probed', '-n', ns, '-o', 'json')).spec.template.spec.containers[0]
    assert.deepEqual(c.readinessProbe, {httpGet: {path: '/readyz', port: 'http', scheme: 'HTTP'}, periodSeconds: 2, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1})
    assert.deepEqual(c.livenessProbe, {httpGet: {path: '/healthz', port: 'http', scheme: 'HTTP'}, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1})

    // Two handlers in the document itself: refused before the API server is asked, in every mode.
    const two = file(doc('httpGet: {path: /readyz, port: http}, tcpSocket: {port: http}'))
    for (const mode of [[], ['--dry-run'], ['--dry-run=server']]) {
      const bad = await kaos(['mcp', 'deploy', '-f', two, '-n', ns, ...mode])
      assert.equal(bad.code, 2, `${mode}: ${bad.stderr}`)
      assert.match(bad.error ?? '', /MCPServer "probed": spec\.podSpec\.containers\[0\]\.readinessProbe has 2 handlers \(httpGet, tcpSocket\); a probe takes exactly one of exec, httpGet, tcpSocket or grpc \(Deployment mcpserver-probed\)$/)
      assert.equal(bad.stdout, '', 'nothing printed')
    }
    assert.equal(JSON.parse(kubectl('get', 'deploy', 'mcpserver-probed', '-n', ns, '-o', 'json')).metadata.generation, 1, 'the refused deploys changed nothing')
  })

  it('an object the server rejects leaves nothing applied', async () => {
    const bad = `apiVersion: kaos.tools/v1alpha1
kind: MCPServer
metadata: {name: bad}
spec:
  runtime: rawpython
  params: "def f(): pass"
  podSpec:
    dnsPolicy: None
`
    // Valid against the OpenAPI schema (kaos's offline check passes); only the server's own
    // validation knows that dnsPolicy None needs a dnsConfig.
    const r = await kaos(['mcp', 'deploy', '-f', file(bad), '-n', ns])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.error ?? '', /rejected Deployment\/mcpserver-bad in .*dnsConfig/)
    assert.deepEqual(await objectsOf(ns, 'bad'), [])
  })

  it('a missing Secret or key stops the deploy before anything is applied', async () => {
    const r = await kaos(['mcp', 'deploy', 'sl', '--runtime', 'slack', '--secret-env', 'SLACK_BOT_TOKEN=nosuch/token', '--env', 'SLACK_TEAM_ID=T1', '-n', ns])
    assert.equal(r.code, 8, r.stderr)
    assert.match(r.error ?? '', /^Secret "nosuch" in namespace ".*" does not exist \(needed by mcpserver-sl\/mcp-server env SLACK_BOT_TOKEN\)$/)
    kubectl('create', 'secret', 'generic', 'slack', '-n', ns, '--from-literal=token=x')
    const r2 = await kaos(['mcp', 'deploy', 'sl', '--runtime', 'slack', '--secret-env', 'SLACK_BOT_TOKEN=slack/bot', '--env', 'SLACK_TEAM_ID=T1', '-n', ns])
    assert.equal(r2.code, 8)
    assert.match(r2.error ?? '', /has no key "bot"/)
    assert.deepEqual(await objectsOf(ns, 'sl'), [])
    const skipped = await kaos(['mcp', 'deploy', 'sl', '--runtime', 'slack', '--secret-env', 'SLACK_BOT_TOKEN=slack/bot', '--env', 'SLACK_TEAM_ID=T1', '-n', ns, '--skip-secret-check', '--json'])
    assert.equal(skipped.code, 0, skipped.stderr)
    // the generated bearer token is kept across redeploys
    const tok1 = kubectl('get', 'secret', 'mcpserver-sl-auth', '-n', ns, '-o', 'jsonpath={.data.token}')
    const again = json(await kaos(['mcp', 'deploy', 'sl', '--runtime', 'slack', '--secret-env', 'SLACK_BOT_TOKEN=slack/bot', '--env', 'SLACK_TEAM_ID=T1', '-n', ns, '--skip-secret-check', '--json']))
    assert.ok(again.applied.every((a: any) => a.action === 'unchanged'), JSON.stringify(again.applied))
    assert.equal(kubectl('get', 'secret', 'mcpserver-sl-auth', '-n', ns, '-o', 'jsonpath={.data.token}'), tok1)
    json(await kaos(['mcp', 'delete', 'sl', '-n', ns, '--json']))
  })

  it('a field owned by another manager is a conflict unless --force-conflicts', async () => {
    const f = file(RAWPY('owned'))
    json(await kaos(['mcp', 'deploy', '-f', f, '-n', ns, '--json']))
    await admin().request('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/mcpserver-owned`, {
      body: {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'mcpserver-owned'}, spec: {replicas: 3}},
      contentType: 'application/apply-patch+yaml',
      query: {fieldManager: 'ops-team', force: true},
    })
    const r = await kaos(['mcp', 'deploy', '-f', f, '-n', ns])
    assert.equal(r.code, 7, r.stderr)
    assert.match(r.error ?? '', /apply conflict on Deployment\/mcpserver-owned.*\.spec\.replicas owned by "ops-team"/)
    const forced = json(await kaos(['mcp', 'deploy', '-f', f, '-n', ns, '--force-conflicts', '--json']))
    assert.equal(forced.applied[0].action, 'configured')
    assert.equal(kubectl('get', 'deploy', 'mcpserver-owned', '-n', ns, '-o', 'jsonpath={.spec.replicas}'), '1')
  })

  it('logs --follow picks up the new pod after a rollout', async () => {
    json(await kaos(['mcp', 'deploy', '-f', file(RAWPY('tail')), '-n', ns, '--wait', '--json']))
    const oldPod = kubectl('get', 'pods', '-n', ns, '-l', 'mcpserver=tail', '-o', 'jsonpath={.items[0].metadata.name}')
    const child = spawn(process.execPath, [BIN, 'mcp', 'logs', 'tail', '-n', ns, '-f', '--kubeconfig', KC], {env: {...process.env, CI: 'true'}, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => r(code ?? (signal ? 130 : null))))
    try {
      for (let i = 0; i < 50 && !out.includes(oldPod); i++) await new Promise((r) => setTimeout(r, 200))
      assert.ok(out.includes(`[${oldPod}/mcp-server]`), out)
      json(await kaos(['mcp', 'deploy', '-f', file(RAWPY('tail', 'def two() -> int:\n    return 2\n')), '-n', ns, '--wait', '--json']))
      const pods = kubectl('get', 'pods', '-n', ns, '-l', 'mcpserver=tail', '-o', 'jsonpath={.items[*].metadata.name}').split(' ')
      const newPod = pods.find((p) => p !== oldPod)!
      for (let i = 0; i < 100 && !out.includes(`[${newPod}/`); i++) await new Promise((r) => setTimeout(r, 200))
      assert.ok(out.includes(`[${newPod}/mcp-server]`), `no lines from the new pod ${newPod}:\n${out}`)
    } finally {
      child.kill('SIGINT')
    }
    assert.notEqual(await exited, null)
  })

  it('a missing namespace suggests --create-namespace, which creates it', async () => {
    const fresh = uniqueNamespace('fresh')
    const r = await kaos(['mcp', 'deploy', '-f', file(RAWPY('x')), '-n', fresh])
    assert.equal(r.code, 8)
    assert.match(r.error ?? '', /namespace ".*" does not exist/)
    assert.match(r.suggestions.join(' '), /--create-namespace/)
    json(await kaos(['mcp', 'deploy', '-f', file(RAWPY('x')), '-n', fresh, '--create-namespace', '--json']))
    await deleteNamespace(fresh)
  })

  it('scaling down: --wait returns once the extra pods are out of the count, and says 1/1 (not 3/1)', async () => {
    const flags = ['mcp', 'deploy', 'shrink', '--runtime', 'rawpython', '--params', 'def add(a: int, b: int) -> int:\n    return a + b\n', '-n', ns, '--wait']
    json(await kaos([...flags, '--replicas', '3', '--json']))
    const r = await kaos([...flags, '--replicas', '1'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^deployment\/mcpserver-shrink ready \(1\/1\)$/m)
    assert.match(r.stdout, /^mcpserver\/shrink answers MCP on its Ready pod: 1 tool/m)
  })

  it('a namespace being deleted is exit 8 saying so (not "forbidden", exit 3), and nothing is applied', async () => {
    const going = uniqueNamespace('going')
    await createNamespace(going)
    // A finalizer only this test removes keeps the namespace Terminating as long as needed.
    kubectl('create', 'configmap', 'hold', '-n', going)
    kubectl('patch', 'configmap', 'hold', '-n', going, '--type=merge', '-p', '{"metadata":{"finalizers":["kaos.test/hold"]}}')
    kubectl('delete', 'namespace', going, '--wait=false')
    try {
      for (const args of [[], ['--create-namespace'], ['--dry-run=server']]) {
        const r = await kaos(['mcp', 'deploy', '-f', file(RAWPY('x')), '-n', going, '--json', ...args])
        assert.equal(r.code, 8, `${args}: ${r.stdout}`)
        assert.deepEqual(JSON.parse(r.stdout).error.code, 'NAMESPACE_TERMINATING')
        assert.match(JSON.parse(r.stdout).error.message, new RegExp(`^namespace "${going}" is being deleted`))
      }
      assert.equal(kubectl('get', 'deploy,svc,cm,sa', '-n', going, '-l', 'kaos.tools/name=x', '-o', 'name'), '')
    } finally {
      kubectl('patch', 'configmap', 'hold', '-n', going, '--type=merge', '-p', '{"metadata":{"finalizers":null}}')
    }
  })
})

describeOrSkip('wait diagnostics (kwok failure stages)', skip, function () {
  this.timeout(300_000)
  const ns = uniqueNamespace('wait')
  before(async () => {
    await ensureOwnImages(['rawpython'])
    await createNamespace(ns)
  })
  after(async () => deleteNamespace(ns))

  it('ErrImagePull names the image (exit 5)', async () => {
    const r = await kaos(['mcp', 'deploy', 'pull', '--runtime', 'custom', '--image', 'kaos-test.invalid/errimagepull:1', '-n', ns, '--wait', '--timeout', '60s'])
    assert.equal(r.code, 5, r.stderr)
    assert.match(r.error ?? '', /(ErrImagePull|ImagePullBackOff) for image "kaos-test.invalid\/errimagepull:1"/)
  })

  it('CrashLoopBackOff gives the exit code and the last log lines (exit 5), also as JSON', async () => {
    const r = await kaos(['mcp', 'deploy', 'crash', '--runtime', 'custom', '--image', 'kaos-test.invalid/crashloop:1', '-n', ns, '--wait', '--timeout', '60s', '--json'])
    assert.equal(r.code, 5, r.stderr)
    const err = JSON.parse(r.stdout).error
    assert.equal(err.code, 'WORKLOAD_FAILED')
    assert.equal(err.data.problem.reason, 'CrashLoopBackOff')
    assert.equal(err.data.problem.exitCode, 1)
    assert.ok(Array.isArray(err.data.problem.logs))
  })

  it('logs --previous shows the run before the last restart (why it crashed); a workload that never restarted says so', async () => {
    const ok = (r: CliResult) => assert.equal(r.code, 0, r.stderr)
    ok(await kaos(['mcp', 'deploy', 'prev', '--runtime', 'custom', '--image', 'registry.example.com/prev:1', '--skip-image-check', '-n', ns]))
    // The pod runner runs this instead of the image: a line naming the run, then a crash.
    const cmd = ['python3', '-c', 'import os,sys; print("crashing run", os.getpid(), flush=True); sys.exit(3)']
    kubectl('patch', 'deployment', 'mcpserver-prev', '-n', ns, '--type', 'merge', '-p', JSON.stringify({spec: {template: {metadata: {annotations: {'kaos.tools/test-command': JSON.stringify(cmd)}}}}}))
    const restarts = () => Number(kubectl('get', 'pods', '-n', ns, '-l', 'mcpserver=prev', '-o', 'jsonpath={.items[*].status.containerStatuses[0].restartCount}').split(' ').map(Number).reduce((a, b) => Math.max(a, b), 0))
    for (let i = 0; i < 300 && restarts() < 1; i++) await new Promise((r) => setTimeout(r, 200))
    assert.ok(restarts() >= 1, 'the container restarted')
    const r = await kaos(['mcp', 'logs', 'prev', '-n', ns, '--previous'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^\[mcpserver-prev-[a-z0-9-]+\/mcp-server\] crashing run \d+$/m)
    const both = await kaos(['mcp', 'logs', 'prev', '-n', ns, '-p', '-f'])
    assert.equal(both.code, 2)
    assert.match(both.error ?? '', /--follow|--previous/)
    ok(await kaos(['mcp', 'deploy', 'steady', '--runtime', 'rawpython', '--params', 'def one() -> int:\n    return 1\n', '-n', ns, '--wait']))
    const none = await kaos(['mcp', 'logs', 'steady', '-n', ns, '--previous'])
    assert.equal(none.code, 0, none.stderr)
    assert.equal(none.stdout, '')
    assert.match(none.stderr, /no container has restarted: there is no previous run to show/)
  })

  it('a pod that never gets Ready times out (exit 4) and names the failing probe', async () => {
    const r = await kaos(['mcp', 'deploy', 'slow', '--runtime', 'custom', '--image', 'kaos-test.invalid/never-ready:1', '-n', ns, '--wait', '--timeout', '8s'])
    assert.equal(r.code, 4, r.stderr)
    assert.match(r.error ?? '', /timed out after 8s waiting for Deployment mcpserver-slow.*Readiness probe failed/)
  })

  it('Unschedulable quotes the scheduler (exit 5)', async () => {
    const doc = `apiVersion: kaos.tools/v1alpha1
kind: MCPServer
metadata: {name: nowhere}
spec:
  runtime: custom
  container: {image: bench.local/app:1}
  podSpec:
    nodeSelector: {kaos.tools/no-such-node: "true"}
`
    const r = await kaos(['mcp', 'deploy', '-f', file(doc), '-n', ns, '--wait', '--timeout', '60s'])
    assert.equal(r.code, 5, r.stderr)
    assert.match(r.error ?? '', /Unschedulable: 0\/\d+ nodes are available/)
  })

  it('CreateContainerConfigError names the missing Secret (exit 5)', async () => {
    const r = await kaos(['mcp', 'deploy', 'nocfg', '--runtime', 'rawpython', '--params', 'def f() -> int:\n    return 1\n', '-n', ns, '--secret-env', 'TOKEN=absent/key', '--skip-secret-check', '--wait', '--timeout', '60s'])
    assert.equal(r.code, 5, r.stderr)
    assert.match(r.error ?? '', /CreateContainerConfigError: .*absent/)
    assert.match(r.suggestions.join(' '), /Create the missing Secret/)
  })

  it('a rawpython server whose code does not load is reported from the real process', async () => {
    const r = await kaos(['mcp', 'deploy', '-f', file(RAWPY('broken', 'def f(:\n    pass\n')), '-n', ns, '--wait', '--timeout', '60s'])
    assert.notEqual(r.code, 0)
    assert.ok(r.code === 5 || r.code === 4, `exit ${r.code}: ${r.stderr}`)
    assert.match(r.stderr, /SyntaxError/)
  })
})

describeOrSkip('resilience', skip, function () {
  this.timeout(300_000)
  const ns = uniqueNamespace('res')
  before(async () => {
    await ensureOwnImages(['rawpython'])
    await createNamespace(ns)
  })
  after(async () => deleteNamespace(ns))

  it('retries injected 429 and 503 answers with backoff', async () => {
    for (const status of [429, 503]) {
      const proxy = await faultProxy({faults: 3, status})
      try {
        const kc = writeKubeconfig(proxy.url, {namespace: ns})
        const r = await kaos(['mcp', 'deploy', '-f', file(RAWPY(`retry${status}`)), '--json'], {kubeconfig: kc})
        assert.equal(r.code, 0, r.stderr)
        assert.equal(proxy.injected(), 3)
      } finally {
        await proxy.close()
      }
    }
  })

  it('gives up after repeated 503s with exit 3', async () => {
    const proxy = await faultProxy({faults: 1000, status: 503})
    try {
      const r = await kaos(['mcp', 'list'], {kubeconfig: writeKubeconfig(proxy.url, {namespace: ns})})
      assert.equal(r.code, 3)
      assert.match(r.error ?? '', /answered 503/)
    } finally {
      await proxy.close()
    }
  })

  it('unreachable server and 403 Forbidden get their own messages (exit 3)', async () => {
    const down = await kaos(['mcp', 'list'], {kubeconfig: writeKubeconfig('https://127.0.0.1:1')})
    assert.equal(down.code, 3)
    assert.match(down.error ?? '', /cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:1 .*ECONNREFUSED/)

    kubectl('create', 'serviceaccount', 'viewer', '-n', ns)
    kubectl('create', 'role', 'ns-reader', '--verb=get', '--resource=namespaces', '-n', ns)
    kubectl('create', 'clusterrole', `ns-get-${ns}`, '--verb=get', '--resource=namespaces')
    kubectl('create', 'clusterrolebinding', `ns-get-${ns}`, `--clusterrole=ns-get-${ns}`, `--serviceaccount=${ns}:viewer`)
    const token = kubectl('create', 'token', 'viewer', '-n', ns).trim()
    const server = /server: (\S+)/.exec(kubectl('config', 'view', '--minify'))![1]
    const kc = writeKubeconfig(server, {token, namespace: ns, caFrom: KC})
    const r = await kaos(['mcp', 'deploy', '-f', file(RAWPY('denied'))], {kubeconfig: kc})
    assert.equal(r.code, 3, r.stderr)
    assert.match(r.error ?? '', new RegExp(`^forbidden: system:serviceaccount:${ns}:viewer cannot (get|patch|list) [a-z.]+ in namespace "${ns}"$`))
    kubectl('delete', 'clusterrolebinding', `ns-get-${ns}`)
    kubectl('delete', 'clusterrole', `ns-get-${ns}`)

    const badToken = await kaos(['mcp', 'list'], {kubeconfig: writeKubeconfig(server, {token: 'not-a-token', caFrom: KC})})
    assert.equal(badToken.code, 3)
    assert.match(badToken.error ?? '', /refused the credentials .*401 Unauthorized/)

    const noCa = await kaos(['mcp', 'list'], {kubeconfig: writeKubeconfig(server, {token})})
    assert.equal(noCa.code, 3)
    assert.match(noCa.error ?? '', /^TLS verification failed talking to https:/)
  })

  it('--wait survives an API server restart', async () => {
    // The server loads slowly (sleeps at import), so the restart lands while kaos is waiting.
    const f = file(RAWPY('survivor', 'import time\ntime.sleep(10)\n\ndef ping() -> str:\n    return "pong"\n'))
    const child = spawn(process.execPath, [BIN, 'mcp', 'deploy', '-f', f, '-n', ns, '--wait', '--timeout', '120s', '--kubeconfig', KC], {
      env: {...process.env, CI: 'true'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    const waiting = new Promise<void>((resolve) =>
      child.stderr.on('data', (c) => {
        stderr += c
        // Once kaos reports pod progress it has listed the Deployment and is watching it.
        if (/deployment\/mcpserver-survivor: \d+\/\d+ pods/.test(stderr)) resolve()
      }),
    )
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)))
    await waiting
    await new Promise((r) => setTimeout(r, 500))
    await restartApiserver(2000)
    await waitReady()
    const code = await exited
    assert.equal(code, 0, stderr)
    assert.match(stdout, /deployment\/mcpserver-survivor ready \(1\/1\)/)
    assert.match(stderr, /connection lost|watch closed|re-listing/, 'the watch noticed the restart')
  })
})

void ROOT
