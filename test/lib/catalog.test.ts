// Catalog documents (MCPTool, MCPPrompt, MCPResource) and the gateway runtime: parsing, label
// selection, what a gateway's configuration holds and when it changes, and errors that name the
// document a person wrote.
import assert from 'node:assert/strict'

import * as gatewayChecks from '../../runtimes/gateway/src/config.js'
import {type CatalogDoc, selectorMatches, selectorQuery} from '../../src/lib/catalog.js'
import {storedCatalogDoc} from '../../src/lib/catalog-store.js'
import {type AnyDoc, type MCPServerDoc, parseDocuments} from '../../src/lib/documents.js'
import {requireKind} from '../../src/lib/inputs.js'
import {builtinRegistry, mergeRegistry} from '../../src/lib/registry.js'
import {type KubernetesObject, type RenderContext, render} from '../../src/lib/render/index.js'

const registry = mergeRegistry([builtinRegistry()])
const NS = 'shop'

function docs(...parts: Array<Record<string, unknown>>): AnyDoc[] {
  return parseDocuments(parts.map((p) => JSON.stringify({apiVersion: 'kaos.tools/v1alpha1', ...p})).join('\n---\n'), 'test.yaml')
}
const gateway = (spec: Record<string, unknown> = {}, name = 'gw') => ({kind: 'MCPServer', metadata: {name}, spec: {runtime: 'gateway', toolSelector: {matchLabels: {app: 'shop'}}, ...spec}})
const tool = (name: string, labels: Record<string, string> = {app: 'shop'}, spec: Record<string, unknown> = {}) => ({
  kind: 'MCPTool',
  metadata: {name, labels},
  spec: {description: `tool ${name}`, http: {service: {name: 'items', port: 8080}, path: `/${name}`}, ...spec},
})

function run(input: AnyDoc[], ctx: Partial<RenderContext> = {}) {
  return render(input, {namespace: NS, registry, gatewayChecks, ...ctx})
}
const configOf = (objects: KubernetesObject[], name = 'gw') => JSON.parse((objects.find((o) => o.metadata.name === `mcpserver-${name}-gateway`) as any).data['config.json'])
const hashOf = (objects: KubernetesObject[]) => (objects.find((o) => o.kind === 'Deployment') as any).spec.template.metadata.annotations['kaos.tools/config-hash']
const invalid = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: any) => e.code === 'INVALID_INPUT' && re.test(e.message), String(re))

describe('label selectors', () => {
  it('follow Kubernetes semantics', () => {
    const labels = {app: 'shop', tier: 'read'}
    assert.ok(selectorMatches({}, labels), 'empty selects everything')
    assert.ok(selectorMatches({matchLabels: {app: 'shop'}}, labels))
    assert.ok(!selectorMatches({matchLabels: {app: 'shop', tier: 'write'}}, labels))
    assert.ok(selectorMatches({matchExpressions: [{key: 'tier', operator: 'In', values: ['read', 'list']}]}, labels))
    assert.ok(!selectorMatches({matchExpressions: [{key: 'tier', operator: 'NotIn', values: ['read']}]}, labels))
    assert.ok(selectorMatches({matchExpressions: [{key: 'stage', operator: 'NotIn', values: ['draft']}]}, labels), 'NotIn matches an absent key')
    assert.ok(selectorMatches({matchExpressions: [{key: 'app', operator: 'Exists'}]}, labels))
    assert.ok(!selectorMatches({matchExpressions: [{key: 'stage', operator: 'Exists'}]}, labels))
    assert.ok(selectorMatches({matchExpressions: [{key: 'stage', operator: 'DoesNotExist'}]}, labels))
    assert.ok(!selectorMatches({matchExpressions: [{key: 'tier', operator: 'In', values: ['write']}]}, {}))
  })
  it('print as the API server reads them', () => {
    assert.equal(
      selectorQuery({matchLabels: {app: 'shop'}, matchExpressions: [{key: 'tier', operator: 'In', values: ['a', 'b']}, {key: 'x', operator: 'DoesNotExist'}, {key: 'y', operator: 'Exists'}]}),
      'app=shop,tier in (a,b),!x,y',
    )
  })
})

describe('catalog documents', () => {
  it('are parsed with their own schemas and strict fields', () => {
    invalid(() => docs(tool('t', {}, {description: ''})), /MCPTool "t": spec\.description must not be empty/)
    invalid(() => docs(tool('t', {}, {http: {url: 'http://a.b.svc:1/x', service: {name: 'a', port: 1}}})), /needs either url or service/)
    invalid(() => docs(tool('t', {}, {htp: {}})), /unknown field spec\.htp/)
    invalid(() => docs({kind: 'MCPResource', metadata: {name: 'r'}, spec: {uri: 'docs://a'}}), /needs exactly one of text, blob or http/)
    invalid(() => docs({kind: 'MCPPrompt', metadata: {name: 'p'}, spec: {messages: []}}), /needs at least one message/)
    invalid(() => docs({kind: 'MCPTol', metadata: {name: 'x'}, spec: {}}), /unknown kind "MCPTol".*Did you mean "MCPTool"\?/)
  })

  it('are checked alone by the gateway\'s parser: a placeholder must name a declared argument', () => {
    invalid(() => run(docs(tool('t', {}, {inputSchema: {type: 'object', properties: {id: {type: 'string'}}}, http: {service: {name: 'items', port: 8080}, path: '/x/{{args.ident}}'}}))),
      /^test\.yaml: MCPTool "t" spec\.http\.path: \{\{args\.ident\}\}: no argument "ident" \(known: id\)/)
    invalid(() => run(docs(tool('t', {}, {http: {url: 'http://{{args.host}}.svc:80/'}}))), /MCPTool "t" spec\.http\.url/)
    invalid(() => run(docs(tool('t', {}, {inputSchema: {type: 'string'}}))), /MCPTool "t" spec\.inputSchema: must have "type": "object"/)
  })

  it('become labelled ConfigMaps holding the document', () => {
    const {objects} = run(docs(tool('get', {app: 'shop', 'kaos.tools/kind': 'spoof'})))
    const cm = objects.find((o) => o.metadata.name === 'mcptool-get') as any
    assert.deepEqual(cm.metadata.labels, {app: 'shop', 'app.kubernetes.io/managed-by': 'kaos', 'kaos.tools/kind': 'MCPTool', 'kaos.tools/name': 'get'}, 'kaos\'s labels win')
    const back = storedCatalogDoc({metadata: {name: cm.metadata.name, namespace: NS}, data: cm.data})
    assert.equal(back.doc?.metadata.namespace, NS)
    assert.deepEqual(back.doc?.spec, docs(tool('get'))[0].spec, 'read back as applied')
    assert.match(storedCatalogDoc({metadata: {name: 'mcptool-x', namespace: NS}, data: {'document.json': '{"kind":"MCPTool"}'}}).problem!, /apiVersion must be/)
  })

  it('go to `kaos mcp deploy`, not to other topics', () => {
    requireKind(docs(tool('t')), 'MCPServer')
    assert.throws(() => requireKind(docs(tool('t')), 'Agent'), /MCPTool "t" cannot be deployed with `kaos agent deploy`/)
  })
})

describe('gateway runtime', () => {
  it('selects by label in its namespace: the input first, then what the cluster holds', () => {
    const input = docs(gateway(), tool('a'), tool('other', {app: 'billing'}))
    const stored = docs({...tool('b'), metadata: {name: 'b', namespace: NS, labels: {app: 'shop'}}}, {...tool('c'), metadata: {name: 'c', namespace: 'elsewhere', labels: {app: 'shop'}}}) as CatalogDoc[]
    const storedA = {...(docs(tool('a', {app: 'shop'}, {description: 'stale copy'}))[0] as CatalogDoc)}
    storedA.metadata = {...storedA.metadata, namespace: NS}
    const {objects, warnings} = run(input, {stored: {catalog: [...stored, storedA], mcpServers: []}})
    const config = configOf(objects)
    assert.deepEqual(config.tools.map((t: any) => [t.name, t.description]), [['a', 'tool a'], ['b', 'tool b']])
    assert.deepEqual(warnings, [], 'no "input only" warning when the cluster was read')
    const offline = run(input)
    assert.match(offline.warnings.join('\n'), /selected from the input only \(1 tool, 0 prompts, 0 resources, 0 upstreams\)/)
  })

  it('rolls only when what it serves changes', () => {
    const base = hashOf(run(docs(gateway(), tool('a'), tool('x', {app: 'billing'}))).objects)
    assert.equal(hashOf(run(docs(gateway(), tool('a'), tool('x', {app: 'billing'}, {description: 'changed'}))).objects), base, 'an unselected tool changed')
    assert.notEqual(hashOf(run(docs(gateway(), tool('a', {app: 'shop'}, {description: 'changed'}))).objects), base, 'a selected tool changed')
    assert.notEqual(hashOf(run(docs(gateway(), tool('a'), tool('b'))).objects), base, 'a tool joined the selection')
  })

  it('aggregates selected MCP servers, never itself, sending the token kaos gave them', () => {
    const input = docs(
      {...gateway({upstreamSelector: {matchLabels: {gateway: 'gw'}}}), metadata: {name: 'gw', labels: {gateway: 'gw'}}},
      {kind: 'MCPServer', metadata: {name: 'calc', labels: {gateway: 'gw'}}, spec: {runtime: 'rawpython', params: 'def add(a: int, b: int) -> int:\n    return a + b\n'}},
      {kind: 'MCPServer', metadata: {name: 'chat', labels: {gateway: 'gw'}}, spec: {runtime: 'slack', container: {env: [{name: 'SLACK_BOT_TOKEN', value: 'x'}, {name: 'SLACK_TEAM_ID', value: 'T'}]}}},
    )
    const {objects} = run(input, {authTokens: {chat: 't'}})
    const config = configOf(objects)
    assert.deepEqual(config.upstreams, [
      {name: 'calc', url: 'http://mcpserver-calc.shop.svc.cluster.local:8000/mcp'},
      {name: 'chat', url: 'http://mcpserver-chat.shop.svc.cluster.local:8000/mcp', headers: {Authorization: {fromEnv: 'KAOS_UPSTREAM_TOKEN_0', prefix: 'Bearer '}}},
    ])
    const env = (objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'mcpserver-gw') as any).spec.template.spec.containers[0].env
    assert.deepEqual(env.find((e: any) => e.name === 'KAOS_UPSTREAM_TOKEN_0').valueFrom, {secretKeyRef: {name: 'mcpserver-chat-auth', key: 'token'}})
  })

  it('one env variable per Secret key, however many headers use it; nothing secret in the ConfigMap', () => {
    const header = {Authorization: {secretKeyRef: {name: 'items-api', key: 'token'}, prefix: 'Bearer '}}
    const {objects} = run(docs(gateway(), tool('a', {app: 'shop'}, {http: {service: {name: 'items', port: 8080}, path: '/a', headers: header}}), tool('b', {app: 'shop'}, {http: {service: {name: 'items', port: 8080}, path: '/b', headers: header}})))
    const env = (objects.find((o) => o.kind === 'Deployment') as any).spec.template.spec.containers[0].env
    assert.deepEqual(env.map((e: any) => e.name), ['KAOS_GATEWAY_CONFIG', 'KAOS_GATEWAY_SECRET_0'])
    assert.ok(!JSON.stringify(configOf(objects)).includes('secretKeyRef'))
  })

  it('refuses what the gateway would refuse, naming the document', () => {
    // Two documents giving the same MCP tool name, both selected.
    invalid(() => run(docs(gateway(), tool('a', {app: 'shop'}, {name: 'same'}), tool('b', {app: 'shop'}, {name: 'same'}))), /^MCPServer "gw": test\.yaml \(document \d\): MCPTool "b": the name is already used by test\.yaml \(document \d\): MCPTool "a"/)
    // A prompt embedding a resource the gateway does not serve.
    invalid(
      () => run(docs(gateway(), {kind: 'MCPPrompt', metadata: {name: 'p', labels: {app: 'shop'}}, spec: {messages: [{role: 'user', resource: 'docs://missing'}]}})),
      /MCPPrompt "p" spec\.messages\[0\]\.resource: docs:\/\/missing is not one of this gateway's resources/,
    )
  })

  it('gateway fields belong to gateway runtimes, and a gateway needs a selector', () => {
    invalid(() => run(docs({kind: 'MCPServer', metadata: {name: 'x'}, spec: {runtime: 'custom', container: {image: 'a/b:1'}, toolSelector: {}}})), /spec\.toolSelector is only for a gateway runtime; runtime "custom" is not one/)
    invalid(() => run(docs({kind: 'MCPServer', metadata: {name: 'x'}, spec: {runtime: 'gateway'}})), /neither is set/)
  })

  it('an empty selection is served, with a warning', () => {
    const {objects, warnings} = run(docs(gateway({toolSelector: {matchLabels: {app: 'none'}}})), {stored: {catalog: [], mcpServers: [] as MCPServerDoc[]}})
    assert.deepEqual(configOf(objects), {formatVersion: 1, server: {name: 'gw'}})
    assert.match(warnings.join('\n'), /match no MCPTool, MCPPrompt, MCPResource or MCPServer yet/)
  })
})
