// Client-side validation, pure parts: the Kubernetes value formats, key-like field names, the
// schema check of rendered objects (which must accept every render kaos makes and refuse what the
// API server would), and the one-line messages for documents.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {parseDocument, parseDocuments} from '../../src/lib/documents.js'
import {checkRenderedObjects, documentField, extraIssues, schemaIssues, unknownFieldIssues} from '../../src/lib/k8s-schema.js'
import {annotationsSize, imageProblem, isDnsSubdomain, isLabelValue, isQualifiedName, isQuantity} from '../../src/lib/k8s-values.js'
import {builtinRegistry, mergeRegistry} from '../../src/lib/registry.js'
import * as gatewayChecks from '../../runtimes/gateway/src/config.js'
import {render} from '../../src/lib/render/index.js'
import {litellmConfig} from '../../src/lib/render/modelapi.js'
import {knownKeys} from '../../src/lib/schema-issues.js'
import {isKeyLike} from '../../src/lib/secrets.js'
import {invalidInput} from '../helpers/assert.js'
import {ROOT} from '../helpers/cli.js'
import {INPUTS_DIR, fixtureRegistry} from '../helpers/golden.js'
import {MCPServerSpecSchema} from '../../src/lib/documents.js'

const registry = () => mergeRegistry([builtinRegistry()])
const mcp = (spec: Record<string, unknown>, name = 'calc') => ({apiVersion: 'kaos.tools/v1alpha1', kind: 'MCPServer', metadata: {name}, spec: {runtime: 'rawpython', params: 'x', ...spec}})
const renderOne = (raw: unknown, tokens: Record<string, string> = {}) => {
  const docs = [parseDocument(raw, 'f.yaml', {record: true})]
  return {docs, ...render(docs, {namespace: 'ns', registry: registry(), authTokens: tokens})}
}

describe('Kubernetes value formats', () => {
  it('image references: what a runtime can pull', () => {
    for (const ok of ['busybox', 'busybox:1.36', 'library/busybox:1.36', 'ghcr.io/acme/Tools-x/server:1'.replace('Tools-x', 'tools-x'), 'localhost:5001/calc:0.1.0', 'Registry.Example.com:443/a/b:v1', 'a/b@sha256:' + '0'.repeat(64), '[::1]:5000/x:1', 'kaos-test.invalid/crash:1'])
      assert.equal(imageProblem(ok), undefined, ok)
    assert.equal(imageProblem('a b'), 'contains white space')
    assert.equal(imageProblem('python:3\nRUN x'), 'contains white space')
    assert.equal(imageProblem('x\u0000y'), 'contains control characters')
    assert.equal(imageProblem(''), 'is empty')
    assert.match(imageProblem('Acme/Server:1')!, /capital letters/)
    assert.match(imageProblem('ghcr.io/Acme/server:1')!, /capital letters/)
    assert.match(imageProblem('a:b:c')!, /not a valid image reference/)
    assert.match(imageProblem('a/b:' + 't'.repeat(129))!, /not a valid image reference/)
  })
  it('quantities as resource.ParseQuantity reads them', () => {
    for (const ok of ['1', '0.5', '.5', '500m', '1Gi', '256Mi', '1e3', '1E-2', '+1', 2, 0.25, '1k']) assert.ok(isQuantity(ok), String(ok))
    for (const bad of ['1Gi!', '2 cores', 'Gi', '', '1gi', '1KiB', Number.NaN, Infinity]) assert.ok(!isQuantity(bad), String(bad))
  })
  it('names, keys and label values', () => {
    assert.ok(isDnsSubdomain('my.secret-1'))
    assert.ok(!isDnsSubdomain('My_Secret'))
    assert.ok(!isDnsSubdomain('a'.repeat(254)))
    assert.ok(isQualifiedName('app.kubernetes.io/name'))
    assert.ok(!isQualifiedName('a/b/c'))
    assert.ok(isLabelValue(''))
    assert.ok(!isLabelValue('a b'))
    assert.ok(!isLabelValue('x'.repeat(64)))
    assert.equal(annotationsSize({ab: 'cd', é: 'x'}), 4 + 3)
  })
  it('key-like field names hold secrets; token counts do not', () => {
    for (const k of ['api_key', 'API_KEY', 'apiKey', 'aws_secret_access_key', 'vertex_credentials', 'password', 'db_passwd', 'access_token', 'key', 'client-secret']) assert.ok(isKeyLike(k), k)
    for (const k of ['max_tokens', 'max_completion_tokens', 'timeout', 'model', 'api_base', 'keywords']) assert.ok(!isKeyLike(k), k)
  })
})

describe('documents: one line, the field, the value', () => {
  it('quotes the value (kubectl style)', () => {
    invalidInput(() => parseDocument(mcp({}, 'Calc'), 'f'), /^f: MCPServer: metadata\.name "Calc" must be a DNS-1123 label/)
    invalidInput(() => parseDocument({...mcp({}), kind: 'ModelAPI', spec: {mode: 'Weird'}}, 'f'), /^f: ModelAPI "calc": spec\.mode "Weird" must be Proxy or Hosted$/)
    invalidInput(() => parseDocument(mcp({replicas: 1.5}), 'f'), /spec\.replicas 1\.5 must be an integer|spec\.replicas 1\.5 /)
    invalidInput(() => parseDocument(mcp({container: {image: 'a b'}}), 'f'), /spec\.container\.image "a b" contains white space$/)
    invalidInput(() => parseDocument(mcp({container: {env: [{name: 'A', valueFrom: {secretKeyRef: {name: 'Bad_Name', key: 'k'}}}]}}), 'f'), /spec\.container\.env\[0\]\.valueFrom\.secretKeyRef\.name "Bad_Name" must be a DNS-1123 name/)
    invalidInput(() => parseDocument(mcp({container: {resources: {requests: {memory: '1Gi!'}}}}), 'f'), /spec\.container\.resources\.requests\.memory "1Gi!" is not a Kubernetes quantity/)
  })
  it('an unknown field is reported before a missing one, with a did-you-mean', () => {
    invalidInput(() => parseDocument({apiVersion: 'kaos.tools/v1alpha1', kind: 'MCPServer', metadata: {name: 'x'}, spec: {runtme: 'rawpython'}}, 'f'), /^f: MCPServer "x": unknown field spec\.runtme; did you mean runtime\?$/)
    invalidInput(() => parseDocument(mcp({container: {env: [{name: 'A', valu: 'b'}]}}), 'f'), /unknown field spec\.container\.env\[0\]\.valu; did you mean value\?$/)
    // Even when metadata is broken too: the typo explains more.
    invalidInput(() => parseDocument({apiVersion: 'kaos.tools/v1alpha1', kind: 'MCPServer', metadata: {}, spec: {runtme: 'r'}}, 'f'), /unknown field spec\.runtme/)
    invalidInput(() => parseDocument({...mcp({}), metdata: {}}, 'f'), /^f: unknown field metdata; did you mean metadata\?$/)
  })
  it('knownKeys walks optional, array and union schemas', () => {
    assert.ok(knownKeys(MCPServerSpecSchema, []).includes('runtime'))
    assert.deepEqual(knownKeys(MCPServerSpecSchema, ['container', 'env', 0]).sort(), ['name', 'value', 'valueFrom'])
  })
  it('litellmParams references must be well formed', () => {
    const doc = (params: unknown) => ({apiVersion: 'kaos.tools/v1alpha1', kind: 'ModelAPI', metadata: {name: 'llm'}, spec: {mode: 'Proxy', proxyConfig: {models: ['m'], litellmParams: params}}})
    invalidInput(() => parseDocument(doc({api_key: {valueFrom: {secretKeyRef: {name: 's'}}}}), 'f'), /spec\.proxyConfig\.litellmParams\.api_key\.valueFrom\.secretKeyRef\.key is required/)
    const ok = parseDocument(doc({api_key: 'sk-1', rpm: 10}), 'f')
    const config = litellmConfig(ok as never)
    assert.match(config, /api_key: os\.environ\/LITELLM_PARAM_API_KEY/)
    assert.doesNotMatch(config, /sk-1/)
    assert.match(config, /rpm: 10/)
  })
})

describe('rendered objects against the Kubernetes schema', () => {
  it('accepts every render of the fixtures', () => {
    for (const f of readdirSync(INPUTS_DIR).filter((x) => x.endsWith('.yaml'))) {
      const docs = parseDocuments(readFileSync(join(INPUTS_DIR, f), 'utf8'), f)
      const tokens = Object.fromEntries(docs.map((d) => [d.metadata.name, 'token']))
      const {objects} = render(docs, {namespace: 'ns', registry: fixtureRegistry(f), authTokens: tokens, gatewayChecks})
      checkRenderedObjects(objects, docs)
    }
  })
  it('reports schema errors by the document field they came from', () => {
    const side = renderOne(mcp({podSpec: {containers: [{image: 'busybox:1.36'}]}}))
    invalidInput(() => checkRenderedObjects(side.objects, side.docs), /^f\.yaml: MCPServer "calc": spec\.podSpec\.containers\[0\]\.name is required \(Deployment mcpserver-calc\)$/)
    const q = renderOne(mcp({podSpec: {containers: [{name: 'mcp-server', resources: {limits: {cpu: 'lots'}}}]}}))
    invalidInput(() => checkRenderedObjects(q.objects, q.docs), /spec\.podSpec\.containers\[0\]\.resources\.limits\.cpu "lots" is not a Kubernetes quantity/)
    const t = renderOne(mcp({podSpec: {terminationGracePeriodSeconds: 'soon'}}))
    invalidInput(() => checkRenderedObjects(t.objects, t.docs), /spec\.podSpec\.terminationGracePeriodSeconds "soon" must be an integer/)
  })
  it('unknown fields, as strict field validation reports them, with a did-you-mean', () => {
    const typo = renderOne(mcp({podSpec: {nodeselector: {pool: 'a'}, containers: [{name: 'side', image: 'x:1', readinessprobe: {}}]}}))
    invalidInput(() => checkRenderedObjects(typo.objects, typo.docs), /^f\.yaml: MCPServer "calc": unknown field spec\.podSpec\.containers\[0\]\.readinessprobe; did you mean readinessProbe\? \(Deployment mcpserver-calc\)$/)
    const d = typo.objects.find((o) => o.kind === 'Deployment')!
    assert.deepEqual(unknownFieldIssues(d).map((i) => i.path).sort(), ['spec.template.spec.containers[1].readinessprobe', 'spec.template.spec.nodeselector'])
    // Maps (labels, nodeSelector values) and free-form fields are not walked as objects.
    assert.deepEqual(unknownFieldIssues({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'c', labels: {anything: 'x'}}, data: {any: 'x'}}), [])
    assert.deepEqual(unknownFieldIssues({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'n'}, spc: {}}), [], 'kinds kaos does not render are skipped')
  })
  it('a volume with two sources is refused by the document field; one named like a rendered volume replaces its source', () => {
    const two = renderOne(mcp({podSpec: {volumes: [{name: 'extra', emptyDir: {}, configMap: {name: 'c'}}]}}))
    invalidInput(() => checkRenderedObjects(two.objects, two.docs), /^f\.yaml: MCPServer "calc": spec\.podSpec\.volumes\[\d+\] has 2 sources \(emptyDir, configMap\); a volume takes exactly one \(Deployment mcpserver-calc\)$/)
    const d = structuredClone(renderOne(mcp({})).objects.find((o) => o.kind === 'Deployment')!) as any
    d.spec.template.spec.volumes = [{name: 'data-0', emptyDir: {}, persistentVolumeClaim: {claimName: 'x'}}]
    assert.deepEqual(extraIssues(d), [{path: 'spec.template.spec.volumes[0]', message: 'has 2 sources (emptyDir, persistentVolumeClaim); a volume takes exactly one'}])
  })

  it('a probe or lifecycle handler with two handlers, or none, is refused by the document field (the schema does not say)', () => {
    // Only a document can give two: its own handler replaces the runtime's (render.test.ts).
    const two = renderOne(mcp({podSpec: {containers: [{name: 'side', image: 'x:1'}, {name: 'mcp-server', readinessProbe: {httpGet: {path: '/r', port: 'http'}, tcpSocket: {port: 'http'}}}]}}))
    invalidInput(
      () => checkRenderedObjects(two.objects, two.docs),
      /^f\.yaml: MCPServer "calc": spec\.podSpec\.containers\[1\]\.readinessProbe has 2 handlers \(httpGet, tcpSocket\); a probe takes exactly one of exec, httpGet, tcpSocket or grpc \(Deployment mcpserver-calc\)$/,
    )
    for (const probe of ['livenessProbe', 'startupProbe']) {
      const r = renderOne(mcp({podSpec: {containers: [{name: 'side', image: 'x:1', [probe]: {exec: {command: ['x']}, grpc: {port: 1}}}]}}))
      invalidInput(() => checkRenderedObjects(r.objects, r.docs), new RegExp(`spec\\.podSpec\\.containers\\[0\\]\\.${probe} has 2 handlers \\(exec, grpc\\)`))
    }
    const pre = renderOne(mcp({podSpec: {containers: [{name: 'side', image: 'x:1', lifecycle: {preStop: {sleep: {seconds: 1}, exec: {command: ['x']}}}}]}}))
    invalidInput(() => checkRenderedObjects(pre.objects, pre.docs), /spec\.podSpec\.containers\[0\]\.lifecycle\.preStop has 2 handlers \(exec, sleep\); a lifecycle handler takes exactly one of exec, httpGet, tcpSocket or sleep/)
    const none = renderOne(mcp({podSpec: {containers: [{name: 'side', image: 'x:1', readinessProbe: {periodSeconds: 5}}]}}))
    invalidInput(() => checkRenderedObjects(none.objects, none.docs), /spec\.podSpec\.containers\[0\]\.readinessProbe has no handler; a probe takes exactly one of/)
    // An init container kaos renders is checked too, by its rendered field.
    const d = structuredClone(renderOne(mcp({})).objects.find((o) => o.kind === 'Deployment')!) as any
    d.spec.template.spec.initContainers = [{name: 'i', image: 'x:1', lifecycle: {postStart: {httpGet: {path: '/', port: 1}, tcpSocket: {port: 1}}}}]
    assert.deepEqual(extraIssues(d), [{path: 'spec.template.spec.initContainers[0].lifecycle.postStart', message: 'has 2 handlers (httpGet, tcpSocket); a lifecycle handler takes exactly one of exec, httpGet, tcpSocket or sleep'}])
  })
  it('the field table is generated from the pinned client-node models (node scripts/gen-k8s-fields.mjs)', () => {
    const r = spawnSync(process.execPath, ['scripts/gen-k8s-fields.mjs', '--check'], {cwd: ROOT, encoding: 'utf8'})
    assert.equal(r.status, 0, r.stderr)
  })
  it('the rules beyond the schema: names, images, env, envFrom, annotations', () => {
    const dep = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}) => ({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'd', ...meta}, spec: {selector: {}, template: {spec}}})
    assert.deepEqual(extraIssues(dep({containers: [{name: 'Bad', image: 'x'}]})).map((i) => i.path), ['spec.template.spec.containers[0].name'])
    assert.match(extraIssues(dep({containers: [{name: 'a', image: 'x y'}]}))[0].message, /"x y" contains white space/)
    assert.match(extraIssues(dep({containers: [{name: 'a', env: [{name: 'A', value: '1'}, {name: 'A', value: '2'}]}]}))[0].message, /"A" appears twice/)
    assert.match(extraIssues(dep({initContainers: [{name: 'a', envFrom: [{configMapRef: {name: 'X'}}]}]}))[0].path, /initContainers\[0\]\.envFrom\[0\]\.configMapRef\.name/)
    assert.match(extraIssues(dep({volumes: [{name: 'V'}]}))[0].path, /volumes\[0\]\.name/)
    assert.match(extraIssues(dep({containers: [{name: 'a'}, {name: 'a'}]}))[0].message, /"a": two containers have this name/)
    assert.match(extraIssues(dep({}, {annotations: {a: 'x'.repeat(257 * 1024)}}))[0].message, /above Kubernetes' limit of 256 KiB/)
    assert.deepEqual(extraIssues(dep({}, {annotations: {a: 'x'.repeat(200 * 1024)}})), [])
    assert.deepEqual(schemaIssues({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'x'}}), [], 'kinds kaos does not render are skipped')
  })
  it('the annotation limit names params and what to do', () => {
    const big = renderOne(mcp({params: 'x'.repeat(300 * 1024)}))
    assert.throws(
      () => checkRenderedObjects(big.objects, big.docs),
      (e: any) => /metadata\.annotations total \d+ KiB, above Kubernetes' limit of 256 KiB$/.test(e.message) && e.suggestions.some((s: string) => /spec\.params is \d+ KiB: .*kaos mcp build/.test(s)),
    )
  })
  it('maps rendered paths to the document field', () => {
    const {docs, objects} = renderOne(mcp({replicas: 2, container: {resources: {limits: {memory: '1Gi'}}}, podSpec: {nodeSelector: {a: 'b'}, containers: [{name: 'side', image: 'x:1'}]}}))
    const d = objects.find((o) => o.kind === 'Deployment')!
    assert.equal(documentField(docs[0], d, 'spec.replicas'), 'spec.replicas')
    assert.equal(documentField(docs[0], d, 'spec.template.spec.containers[0].resources.limits.memory'), 'spec.container.resources.limits.memory')
    assert.equal(documentField(docs[0], d, 'spec.template.spec.containers[1].image'), 'spec.podSpec.containers[0].image')
    assert.equal(documentField(docs[0], d, 'spec.template.spec.nodeSelector.a'), 'spec.podSpec.nodeSelector.a')
    assert.equal(documentField(docs[0], d, 'spec.template.spec.containers[0].ports[0].name'), undefined, 'from the runtime, not the document')
  })
  it('an offline render of a runtime with auth has no Secret and says how to create one', () => {
    const slack = {apiVersion: 'kaos.tools/v1alpha1', kind: 'MCPServer', metadata: {name: 's'}, spec: {runtime: 'slack', container: {env: [{name: 'SLACK_BOT_TOKEN', value: 'x'}, {name: 'SLACK_TEAM_ID', value: 'y'}]}}}
    const offline = renderOne(slack)
    assert.deepEqual(offline.objects.map((o) => o.kind), ['Deployment', 'Service'])
    assert.match(offline.warnings[0], /no Secret mcpserver-s-auth rendered .*kubectl create secret generic mcpserver-s-auth -n ns --from-literal=token=/)
    const deployed = renderOne(slack, {s: 'tok'})
    assert.deepEqual(deployed.objects.map((o) => o.kind), ['Secret', 'Deployment', 'Service'])
    assert.deepEqual(deployed.warnings, [])
  })
  it('rawpython without params is refused (paramsRequired), with params or the env variable it is fine', () => {
    const docs = [parseDocument({apiVersion: 'kaos.tools/v1alpha1', kind: 'MCPServer', metadata: {name: 'c'}, spec: {runtime: 'rawpython'}}, 'f')]
    invalidInput(() => render(docs, {namespace: 'ns', registry: registry()}), /^MCPServer "c": runtime "rawpython" needs spec\.params/)
    const viaEnv = [parseDocument(mcp({params: undefined, container: {env: [{name: 'MCP_TOOLS_STRING', valueFrom: {configMapKeyRef: {name: 'tools', key: 'py'}}}]}}), 'f')]
    assert.equal(render(viaEnv, {namespace: 'ns', registry: registry()}).objects.length, 2)
  })
})
