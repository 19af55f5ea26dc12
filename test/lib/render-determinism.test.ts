// Rendering is a pure function: same input, same bytes; the pod-spec hash moves exactly when what
// runs in the pod moves, and the config hash with the LiteLLM config.
import assert from 'node:assert/strict'

import {type KaosDoc, parseDocuments} from '../../src/lib/documents.js'
import {toYamlDocuments} from '../../src/cli/format/objects.js'
import {builtinRegistry, mergeRegistry} from '../../src/lib/registry.js'
import {type KubernetesObject, deepMerge, render, shortHash, stableStringify} from '../../src/lib/render/index.js'

const registry = mergeRegistry([builtinRegistry()])
const ctx = {namespace: 'kaos-test', registry, authTokens: {s: 'tok-1'}}

const mcp = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): KaosDoc =>
  parseDocuments(JSON.stringify({apiVersion: 'kaos.tools/v1alpha1', kind: 'MCPServer', metadata: {name: 's', ...metadata}, spec}), 'test')[0] as KaosDoc
const proxy = (proxyConfig: Record<string, unknown>, extra: Record<string, unknown> = {}): KaosDoc =>
  parseDocuments(JSON.stringify({apiVersion: 'kaos.tools/v1alpha1', kind: 'ModelAPI', metadata: {name: 'm'}, spec: {mode: 'Proxy', proxyConfig, ...extra}}), 'test')[0] as KaosDoc

const deployment = (objects: KubernetesObject[]) => objects.find((o) => o.kind === 'Deployment') as any
const podHash = (doc: KaosDoc, c: Partial<typeof ctx> = {}) => deployment(render([doc], {...ctx, ...c}).objects).spec.template.metadata.annotations['kaos.tools/pod-spec-hash'] as string
const configHash = (doc: KaosDoc) => deployment(render([doc], ctx).objects).spec.template.metadata.annotations['kaos.tools/config-hash'] as string

const base = {runtime: 'rawpython', params: 'code: pass'}

describe('determinism', () => {
  it('rendering twice gives identical objects and bytes', () => {
    const docs = [mcp(base), proxy({models: ['a', 'b'], provider: 'openai', apiKey: {value: 'k'}})]
    const a = render(docs, ctx)
    const b = render(docs, ctx)
    assert.deepEqual(a, b)
    assert.equal(toYamlDocuments(a.objects), toYamlDocuments(b.objects))
    // …and from freshly parsed documents, not shared references.
    const c = render([mcp(base), proxy({models: ['a', 'b'], provider: 'openai', apiKey: {value: 'k'}})], ctx)
    assert.equal(toYamlDocuments(a.objects), toYamlDocuments(c.objects))
  })

  it('rendering does not mutate its input documents', () => {
    const doc = mcp({...base, podSpec: {containers: [{name: 'mcp-server', env: [{name: 'A', value: '1'}]}]}})
    const before = structuredClone(doc)
    render([doc], ctx)
    assert.deepEqual(doc, before)
  })

  it('key order in the input does not change the output or the hash', () => {
    const a = mcp({...base, podSpec: {containers: [{name: 'side', image: 'x:1', args: ['a']}]}})
    const b = mcp({podSpec: {containers: [{args: ['a'], image: 'x:1', name: 'side'}]}, params: 'code: pass', runtime: 'rawpython'})
    assert.equal(podHash(a), podHash(b))
  })

  it('stableStringify sorts keys and drops undefined; shortHash is 16 hex', () => {
    assert.equal(stableStringify({b: 1, a: [{d: 2, c: undefined}]}), '{"a":[{"d":2}],"b":1}')
    assert.match(shortHash({a: 1}), /^[0-9a-f]{16}$/)
    assert.equal(shortHash({a: 1, b: 2}), shortHash({b: 2, a: 1}))
  })
})

describe('pod-spec-hash', () => {
  const h0 = podHash(mcp(base))

  const changes: Array<[string, KaosDoc]> = [
    ['params', mcp({...base, params: 'code: other'})],
    ['image', mcp({...base, container: {image: 'ghcr.io/x/y:2'}})],
    ['env', mcp({...base, container: {env: [{name: 'A', value: '1'}]}})],
    ['env value', mcp({...base, container: {env: [{name: 'A', value: '2'}]}})],
    ['resources', mcp({...base, container: {resources: {limits: {memory: '1Gi'}}}})],
    ['service account', mcp({...base, serviceAccountName: 'sa'})],
    ['podSpec field', mcp({...base, podSpec: {nodeSelector: {a: 'b'}}})],
    ['podSpec sidecar', mcp({...base, podSpec: {containers: [{name: 'side', image: 'x:1'}]}})],
    ['podSpec null', mcp({...base, podSpec: {automountServiceAccountToken: null}})],
  ]
  it('changes whenever the pod spec changes', () => {
    const seen = new Map<string, string>([[h0, 'base']])
    for (const [what, doc] of changes) {
      const h = podHash(doc)
      assert.ok(!seen.has(h), `${what}: hash ${h} equals that of ${seen.get(h)}`)
      seen.set(h, what)
    }
  })

  it('stays when only things outside the pod spec change', () => {
    assert.equal(podHash(mcp({...base, replicas: 3})), h0, 'replicas')
    assert.equal(podHash(mcp(base, {annotations: {note: 'x'}})), h0, 'document annotations')
    assert.equal(podHash(mcp(base, {namespace: 'kaos-test'})), h0, 'explicit namespace equal to the context')
    // The slack auth token lives in a Secret; rotating it must not roll pods by itself.
    const slack = mcp({runtime: 'slack', container: {env: [{name: 'SLACK_BOT_TOKEN', value: 'a'}, {name: 'SLACK_TEAM_ID', value: 'b'}]}})
    assert.equal(podHash(slack, {authTokens: {s: 'one'}}), podHash(slack, {authTokens: {s: 'two'}}), 'auth token')
  })

  it('equals the hash of the final pod spec and template annotations', () => {
    const d = deployment(render([mcp(base)], ctx).objects)
    const {'kaos.tools/pod-spec-hash': h, ...rest} = d.spec.template.metadata.annotations
    assert.equal(h, shortHash({spec: d.spec.template.spec, annotations: rest}))
  })
})

describe('config-hash (ModelAPI Proxy)', () => {
  const c0 = configHash(proxy({models: ['gpt-4o'], provider: 'openai'}))

  it('changes with the LiteLLM config', () => {
    const others = [
      proxy({models: ['gpt-4o', 'gpt-4o-mini'], provider: 'openai'}),
      proxy({models: ['gpt-4o'], provider: 'azure'}),
      proxy({models: ['gpt-4o'], provider: 'openai', apiBase: 'https://example.com/v1'}),
      proxy({models: ['gpt-4o'], provider: 'openai', litellmParams: {timeout: 30}}),
      proxy({models: ['gpt-4o'], provider: 'openai', apiKey: {valueFrom: {secretKeyRef: {name: 's', key: 'k'}}}}),
    ].map(configHash)
    assert.equal(new Set([c0, ...others]).size, others.length + 1)
  })

  it('matches the ConfigMap content and rolls the pods with it', () => {
    const {objects} = render([proxy({models: ['gpt-4o'], provider: 'openai'})], ctx)
    const cm = objects.find((o) => o.kind === 'ConfigMap') as any
    assert.equal(c0, shortHash(cm.data['config.yaml']))
    const p0 = podHash(proxy({models: ['gpt-4o'], provider: 'openai'}))
    assert.notEqual(p0, podHash(proxy({models: ['gpt-4o-mini'], provider: 'openai'})))
  })

  it('stays when only the key value changes (it lives in a Secret, the config says os.environ)', () => {
    const a = configHash(proxy({models: ['gpt-4o'], apiKey: {value: 'one'}}))
    const b = configHash(proxy({models: ['gpt-4o'], apiKey: {value: 'two'}}))
    assert.equal(a, b)
    assert.equal(configHash(proxy({models: ['gpt-4o'], provider: 'openai'}, {replicas: 2})), c0, 'replicas')
  })
})

describe('deepMerge (strategic-merge-style podSpec patches)', () => {
  it('merges named lists by name, replaces other lists, deletes on null', () => {
    const out = deepMerge(
      {containers: [{name: 'a', image: 'x', args: ['1'], env: [{name: 'E', value: '1'}]}], tolerations: [{key: 'k1'}], hostNetwork: true},
      {containers: [{name: 'a', args: ['2'], env: [{name: 'F', value: '2'}, {name: 'E', value: '3'}]}, {name: 'b', image: 'y'}], tolerations: [{key: 'k2'}], hostNetwork: null},
    )
    assert.deepEqual(out, {
      containers: [
        {name: 'a', image: 'x', args: ['2'], env: [{name: 'E', value: '3'}, {name: 'F', value: '2'}]},
        {name: 'b', image: 'y'},
      ],
      tolerations: [{key: 'k2'}],
    })
  })

  it('merges unnamed ports by containerPort and volumeMounts by mountPath', () => {
    const out = deepMerge(
      {ports: [{name: 'http', containerPort: 8000}], volumeMounts: [{name: 'a', mountPath: '/a'}]},
      {ports: [{containerPort: 9090, protocol: 'TCP'}, {name: 'http', containerPort: 8080}], volumeMounts: [{name: 'b', mountPath: '/a', readOnly: true}]},
    )
    assert.deepEqual(out.ports, [{name: 'http', containerPort: 8080}, {containerPort: 9090, protocol: 'TCP'}])
    assert.deepEqual(out.volumeMounts, [{name: 'b', mountPath: '/a', readOnly: true}])
  })

  it('a probe or lifecycle handler that names its handler drops the base\'s other one (a strategic merge would keep both)', () => {
    const tcp = {tcpSocket: {port: 'http'}, periodSeconds: 10, failureThreshold: 3}
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      const out = deepMerge({containers: [{name: 'a', [probe]: tcp}]}, {containers: [{name: 'a', [probe]: {httpGet: {path: '/r', port: 8000}, failureThreshold: 1}}]})
      assert.deepEqual(out.containers[0][probe], {httpGet: {path: '/r', port: 8000}, periodSeconds: 10, failureThreshold: 1}, probe)
    }
    const sleep = {lifecycle: {preStop: {sleep: {seconds: 5}}, postStart: {exec: {command: ['a']}}}}
    const out = deepMerge(sleep, {lifecycle: {preStop: {httpGet: {path: '/stop', port: 80}}, postStart: {tcpSocket: {port: 80}}}})
    assert.deepEqual(out.lifecycle, {preStop: {httpGet: {path: '/stop', port: 80}}, postStart: {tcpSocket: {port: 80}}})
    // No handler given: the base's stays; null on the old one and a new one also works.
    assert.deepEqual(deepMerge({readinessProbe: tcp}, {readinessProbe: {periodSeconds: 1}}).readinessProbe, {...tcp, periodSeconds: 1})
    assert.deepEqual(deepMerge({readinessProbe: tcp}, {readinessProbe: {tcpSocket: null, exec: {command: ['x']}}}).readinessProbe, {exec: {command: ['x']}, periodSeconds: 10, failureThreshold: 3})
    // Elsewhere a key named like a handler is an ordinary field.
    assert.deepEqual(deepMerge({x: {exec: 1, sleep: 2}}, {x: {httpGet: 3}}), {x: {exec: 1, sleep: 2, httpGet: 3}})
  })

  it('does not mutate its inputs', () => {
    const a = {containers: [{name: 'a', env: [{name: 'E', value: '1'}]}]}
    const b = {containers: [{name: 'a', env: [{name: 'E', value: '2'}]}]}
    const [ca, cb] = [structuredClone(a), structuredClone(b)]
    deepMerge(a, b)
    assert.deepEqual([a, b], [ca, cb])
  })
})
