// kaos apply's input: kaos documents of every kind plus plain Namespaces, and the order they are
// applied (and deleted) in.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {dependencyLayers, referencesOutside} from '../../src/lib/dependencies.js'
import {type KaosDoc, parseDocuments, parseManifests} from '../../src/lib/documents.js'
import {readManifestFiles, requireKind} from '../../src/lib/inputs.js'
import {invalidInput} from '../helpers/assert.js'

const dir = mkdtempSync(join(tmpdir(), 'kaos-apply-input-'))
after(() => rmSync(dir, {recursive: true, force: true}))

const doc = (kind: string, name: string, spec: Record<string, unknown>, namespace?: string) =>
  `apiVersion: kaos.tools/v1alpha1\nkind: ${kind}\nmetadata: ${JSON.stringify({name, ...(namespace ? {namespace} : {})})}\nspec: ${JSON.stringify(spec)}\n`
const mcp = (name: string, ns?: string) => doc('MCPServer', name, {runtime: 'rawpython', params: 'def f(): pass'}, ns)
const llm = (name: string, ns?: string) => doc('ModelAPI', name, {mode: 'Hosted', hostedConfig: {model: 'm'}}, ns)
const agent = (name: string, spec: Record<string, unknown>, ns?: string) => doc('Agent', name, {modelAPI: 'llm', model: 'm', ...spec}, ns)
const all = (...texts: string[]) => texts.join('---\n')

const names = (layers: KaosDoc[][]) => layers.map((l) => l.map((d) => `${d.kind}/${d.metadata.name}`))

describe('parseManifests', () => {
  it('takes kaos documents of every kind and plain v1 Namespaces, in input order', () => {
    const m = parseManifests(all('apiVersion: v1\nkind: Namespace\nmetadata: {name: team, labels: {tier: dev}}\n', agent('a', {}), llm('llm'), mcp('calc')), 'team.yaml')
    assert.deepEqual(m.namespaces, [{apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'team', labels: {tier: 'dev'}}}])
    assert.deepEqual(
      m.docs.map((d) => d.kind),
      ['Agent', 'ModelAPI', 'MCPServer'],
    )
  })

  it('refuses any other Kubernetes kind, naming kubectl apply and the file', () => {
    invalidInput(
      () => parseManifests(all(mcp('calc'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: b}\n'), 'team.yaml'),
      /^team\.yaml \(document 2\): v1 ConfigMap "cfg" is not a kaos document: kaos applies MCPServer, Agent, ModelAPI, MCPTool, MCPPrompt, MCPResource documents, plain Namespaces, ServiceAccounts, Roles and RoleBindings$/,
    )
    try {
      parseManifests('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n', 'd.yaml')
      assert.fail('no error')
    } catch (error) {
      assert.deepEqual((error as {suggestions: string[]}).suggestions, ['Apply it with `kubectl apply -f d.yaml`, and keep it in a file of its own.'])
    }
  })

  it('a kaos kind under another apiVersion gets the apiVersion error; a Namespace with spec is refused', () => {
    invalidInput(() => parseManifests('apiVersion: v1\nkind: MCPServer\nmetadata: {name: x}\nspec: {runtime: rawpython}\n', 'x.yaml'), /^x\.yaml: apiVersion must be "kaos\.tools\/v1alpha1" \(got "v1"\)$/)
    invalidInput(() => parseManifests('apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\nspec: {finalizers: [kubernetes]}\n', 'ns.yaml'), /^ns\.yaml: Namespace: unknown or unsupported field spec/)
    invalidInput(() => parseManifests('apiVersion: v1\nkind: Namespace\nmetadata: {name: Team_A}\n', 'ns.yaml'), /^ns\.yaml: Namespace: metadata\.name "Team_A"/)
    invalidInput(() => parseManifests('# nothing\n', 'empty.yaml'), /^empty\.yaml: no documents found$/)
  })

  it('the same Namespace twice across files is an error; folders are read as kubectl does', () => {
    writeFileSync(join(dir, 'a.yaml'), all('apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n', mcp('calc')))
    writeFileSync(join(dir, 'b.yml'), all(llm('llm'), agent('bot', {mcpServers: ['calc']})))
    const m = readManifestFiles([dir])
    assert.deepEqual(
      m.docs.map((d) => d.metadata.name),
      ['calc', 'llm', 'bot'],
    )
    invalidInput(() => readManifestFiles([join(dir, 'a.yaml'), join(dir, 'a.yaml')]), /^Namespace "team" appears twice in the input$/)
  })

  it('per-kind deploy -f: a Namespace or another kind points at kaos apply', () => {
    invalidInput(() => parseDocuments(all('apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n', mcp('calc')), 'team.yaml'), /^team\.yaml \(document 1\): a v1 Namespace document: `kaos <kind> deploy` takes only kaos documents$/)
    const docs = parseDocuments(all(mcp('calc'), llm('llm')), 'mix.yaml')
    try {
      requireKind(docs, 'MCPServer')
      assert.fail('no error')
    } catch (error) {
      assert.match((error as Error).message, /^ModelAPI "llm" cannot be deployed with `kaos mcp deploy`$/)
      assert.match((error as {suggestions: string[]}).suggestions[0], /^Use `kaos apply -f` for files with several kinds/)
    }
  })
})

describe('dependency layers', () => {
  const ns = () => 'default'

  it('model APIs and MCP servers before the agents that name them, peers before their callers', () => {
    const docs = parseDocuments(all(agent('boss', {mcpServers: ['calc'], agentNetwork: {access: ['worker']}}), agent('worker', {}), mcp('calc'), llm('llm'), mcp('unused')), 'x.yaml') as KaosDoc[]
    assert.deepEqual(names(dependencyLayers(docs, ns)), [['MCPServer/calc', 'ModelAPI/llm', 'MCPServer/unused'], ['Agent/worker'], ['Agent/boss']])
  })

  it('agents that are each other\'s peers share a layer; names in other namespaces are not dependencies', () => {
    const docs = parseDocuments(all(agent('a', {agentNetwork: {access: ['b']}}), agent('b', {agentNetwork: {access: ['a']}}), llm('llm')), 'x.yaml') as KaosDoc[]
    assert.deepEqual(names(dependencyLayers(docs, ns)), [['ModelAPI/llm'], ['Agent/a', 'Agent/b']])
    const split = parseDocuments(all(llm('llm', 'other'), agent('a', {}, 'team')), 'x.yaml') as KaosDoc[]
    const nsOf = (d: KaosDoc) => d.metadata.namespace!
    assert.deepEqual(names(dependencyLayers(split, nsOf)), [['ModelAPI/llm', 'Agent/a']])
    assert.deepEqual(
      referencesOutside(split, nsOf).map((r) => `${r.field} → ${r.kind}/${r.namespace}/${r.name}`),
      ['spec.modelAPI → ModelAPI/team/llm'],
    )
  })

  it('referencesOutside lists what the input does not have, with the naming field', () => {
    const docs = parseDocuments(all(agent('bot', {mcpServers: ['calc', 'search'], agentNetwork: {access: ['peer']}}), mcp('calc')), 'x.yaml') as KaosDoc[]
    assert.deepEqual(
      referencesOutside(docs, ns).map((r) => `${r.from.metadata.name} ${r.field} → ${r.kind}/${r.name}`),
      ['bot spec.modelAPI → ModelAPI/llm', 'bot spec.mcpServers[1] → MCPServer/search', 'bot spec.agentNetwork.access[0] → Agent/peer'],
    )
  })
})
