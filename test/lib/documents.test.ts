import assert from 'node:assert/strict'

import {
  API_VERSION,
  MAX_NAME_LENGTH,
  parseDocument,
  parseDocuments,
  parseKeyValues,
  resolveRuntime,
  validateAgainstRegistry,
  type MCPServerDoc,
} from '../../src/lib/documents.js'
import {KaosError} from '../../src/lib/errors.js'
import {builtinRegistry, mergeRegistry} from '../../src/lib/registry.js'

const registry = mergeRegistry([builtinRegistry()])
const doc = (kind: string, spec: unknown, metadata: Record<string, unknown> = {name: 'x'}, extra: Record<string, unknown> = {}) => ({apiVersion: API_VERSION, kind, metadata, spec, ...extra})

/** Assert `fn` throws an invalid-input KaosError (exit 2) whose message matches `re`. */
function invalidInput(fn: () => unknown, re: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KaosError, `not a KaosError: ${e}`)
    assert.equal(e.exit, 2)
    assert.equal(e.code, 'INVALID_INPUT')
    assert.match(e.message, re)
    assert.ok(!e.message.includes('\n'), `message is not one line: ${JSON.stringify(e.message)}`)
    return true
  })
}

describe('parseDocument', () => {
  it('accepts each kind and applies defaults', () => {
    const a = parseDocument(doc('Agent', {modelAPI: 'llm', model: 'm'}), 'f')
    assert.equal(a.kind, 'Agent')
    assert.deepEqual((a as any).spec.mcpServers, [])
    const m = parseDocument(doc('ModelAPI', {mode: 'Hosted', hostedConfig: {model: 'x'}}), 'f')
    assert.equal(m.kind, 'ModelAPI')
    const s = parseDocument(doc('MCPServer', {runtime: 'rawpython'}), 'f')
    assert.equal(s.metadata.name, 'x')
  })

  it('rejects names that are not DNS-1123 labels, and too-long names', () => {
    invalidInput(() => parseDocument(doc('MCPServer', {runtime: 'r'}, {name: 'Bad_Name'}), 'f.yaml'), /^f\.yaml: MCPServer: metadata\.name "Bad_Name" must be a DNS-1123 label/)
    invalidInput(() => parseDocument(doc('MCPServer', {runtime: 'r'}, {name: '-x'}), 'f'), /DNS-1123/)
    invalidInput(() => parseDocument(doc('MCPServer', {runtime: 'r'}, {name: 'a'.repeat(MAX_NAME_LENGTH + 1)}), 'f'), /at most 53 characters/)
    assert.equal(parseDocument(doc('MCPServer', {runtime: 'r'}, {name: 'a'.repeat(MAX_NAME_LENGTH)}), 'f').metadata.name.length, 53)
    invalidInput(() => parseDocument(doc('MCPServer', {runtime: 'r'}, {}), 'f'), /metadata\.name is required/)
  })

  it('names unknown fields with their full path', () => {
    invalidInput(() => parseDocument(doc('MCPServer', {runtime: 'r', replica: 2}), 'f'), /^f: MCPServer "x": unknown field spec\.replica; did you mean replicas\?$/)
    invalidInput(() => parseDocument(doc('MCPServer', {runtime: 'r', container: {image: 'i', imagePullPolice: 'Always'}}), 'f'), /unknown field spec\.container\.imagePullPolice; did you mean imagePullPolicy\?$/)
    invalidInput(() => parseDocument(doc('MCPServer', {runtime: 'r'}, {name: 'x', label: {}}), 'f'), /unknown field metadata\.label; did you mean labels\?/)
    invalidInput(() => parseDocument(doc('MCPServer', {runtime: 'r'}, {name: 'x'}, {stat: {}}), 'f'), /^f: unknown field stat$/)
    invalidInput(
      () => parseDocument(doc('MCPServer', {runtime: 'r', container: {env: [{name: 'A', valueFrom: {secretKeyRef: {name: 's', key: 'k', extra: 1}}}]}}), 'f'),
      /unknown field spec\.container\.env\[0\]\.valueFrom\.secretKeyRef\.extra/,
    )
  })

  it('reports wrong types and missing required fields', () => {
    invalidInput(() => parseDocument(doc('MCPServer', {runtime: 'r', replicas: 'two'}), 'f'), /spec\.replicas "two" must be a number$/)
    invalidInput(() => parseDocument(doc('MCPServer', {}), 'f'), /spec\.runtime is required$/)
    invalidInput(() => parseDocument(doc('Agent', {model: 'm'}), 'f'), /spec\.modelAPI is required$/)
    invalidInput(() => parseDocument(doc('ModelAPI', {mode: 'Weird'}), 'f'), /spec\.mode "Weird" must be Proxy or Hosted$/)
    invalidInput(() => parseDocument(doc('ModelAPI', {mode: 'Proxy', proxyConfig: {models: []}}), 'f'), /needs at least one model/)
    invalidInput(() => parseDocument(doc('MCPServer', {runtime: 'r', container: {env: [{name: '1BAD', value: 'x'}]}}), 'f'), /not a valid environment variable name/)
  })

  it('checks apiVersion and kind, with a did-you-mean for kinds', () => {
    invalidInput(() => parseDocument({...doc('MCPServer', {}), apiVersion: 'kaos.tools/v1'}, 'f'), /apiVersion must be "kaos\.tools\/v1alpha1" \(got "kaos\.tools\/v1"\)/)
    invalidInput(() => parseDocument(doc('McpServer', {}), 'f'), /unknown kind "McpServer"; expected one of MCPServer, Agent, ModelAPI, MCPTool, MCPPrompt, MCPResource\. Did you mean "MCPServer"\?/)
    invalidInput(() => parseDocument(doc('Pod', {}), 'f'), /unknown kind "Pod"; expected one of MCPServer, Agent, ModelAPI, MCPTool, MCPPrompt, MCPResource\.$/)
    invalidInput(() => parseDocument(['a'], 'f'), /expected a mapping/)
  })
})

describe('parseDocuments', () => {
  it('parses several documents and skips empty ones', () => {
    const text = `---\napiVersion: ${API_VERSION}\nkind: MCPServer\nmetadata: {name: a}\nspec: {runtime: rawpython}\n---\n---\napiVersion: ${API_VERSION}\nkind: MCPServer\nmetadata: {name: b}\nspec: {runtime: rawpython}\n`
    assert.deepEqual(parseDocuments(text, 'f').map((d) => d.metadata.name), ['a', 'b'])
  })

  it('names the document of a multi-document file in errors', () => {
    const text = `apiVersion: ${API_VERSION}\nkind: MCPServer\nmetadata: {name: a}\nspec: {runtime: rawpython}\n---\napiVersion: ${API_VERSION}\nkind: MCPServer\nmetadata: {name: b}\nspec: {runtime: rawpython, foo: 1}\n`
    invalidInput(() => parseDocuments(text, 'mcp.yaml'), /^mcp\.yaml \(document 2\): MCPServer "b": unknown field spec\.foo \(known: runtime, params, sessions, egress, expose, toolSelector, upstreamSelector, gateway, container, podSpec, replicas, serviceAccountName, networkPolicy, telemetry, gatewayRoute, security\)$/)
  })

  it('reports invalid YAML with a line number', () => {
    invalidInput(() => parseDocuments('apiVersion: x\nkind: [unclosed\nspec:\n  a: b\n', 'bad.yaml'), /^bad\.yaml: invalid YAML at line \d+, column \d+: \S/)
    invalidInput(() => parseDocuments('kind: MCPServer\nmetadata:\n  name: a\n  name: b\n', 'bad.yaml'), /^bad\.yaml: invalid YAML at line 4, column 3: Map keys must be unique$/)
  })

  it('rejects a file with no documents', () => {
    invalidInput(() => parseDocuments('', 'empty.yaml'), /^empty\.yaml: no documents found$/)
    invalidInput(() => parseDocuments('# only a comment\n---\n', 'c.yaml'), /no documents found/)
  })
})

describe('validateAgainstRegistry', () => {
  const mcp = (spec: Record<string, unknown>) => parseDocument(doc('MCPServer', spec, {name: 's'}), 'f') as MCPServerDoc

  it('unknown runtime, with a did-you-mean and the known list', () => {
    invalidInput(() => resolveRuntime(mcp({runtime: 'rawpyton'}), registry), /spec\.runtime "rawpyton" is an unknown runtime\. Did you mean "rawpython"\? Known runtimes: rawpython, kubernetes, slack, fetch, memory, filesystem, github, discord, chroma, google-cloud, gateway, custom/)
  })

  it('custom needs container.image', () => {
    invalidInput(() => validateAgainstRegistry(mcp({runtime: 'custom'}), registry), /runtime "custom" needs spec\.container\.image/)
    validateAgainstRegistry(mcp({runtime: 'custom', container: {image: 'x:1'}}), registry)
  })

  it('params on a runtime without a paramsEnvVar are no error (the render warns, as upstream KAOS drops them)', () => {
    validateAgainstRegistry(mcp({runtime: 'kubernetes', params: 'x'}), registry)
  })

  it('requiredEnv is enforced, as value or valueFrom; envFrom defers the check to deploy', () => {
    invalidInput(() => validateAgainstRegistry(mcp({runtime: 'slack'}), registry), /requires env SLACK_BOT_TOKEN, SLACK_TEAM_ID/)
    invalidInput(() => validateAgainstRegistry(mcp({runtime: 'slack', container: {env: [{name: 'SLACK_BOT_TOKEN', value: 'x'}]}}), registry), /requires env SLACK_TEAM_ID \(/)
    validateAgainstRegistry(
      mcp({runtime: 'slack', container: {env: [{name: 'SLACK_BOT_TOKEN', value: 'x'}, {name: 'SLACK_TEAM_ID', valueFrom: {secretKeyRef: {name: 's', key: 'k'}}}]}}),
      registry,
    )
    validateAgainstRegistry(mcp({runtime: 'slack', container: {envFrom: [{secretRef: {name: 'slack'}}]}}), registry)
  })

  it('ModelAPI mode and config must agree', () => {
    const m = (spec: unknown) => parseDocument(doc('ModelAPI', spec), 'f')
    invalidInput(() => validateAgainstRegistry(m({mode: 'Proxy'}), registry), /mode Proxy needs spec\.proxyConfig\.models/)
    invalidInput(() => validateAgainstRegistry(m({mode: 'Hosted'}), registry), /mode Hosted needs spec\.hostedConfig\.model/)
    invalidInput(() => validateAgainstRegistry(m({mode: 'Proxy', proxyConfig: {models: ['a']}, hostedConfig: {model: 'b'}}), registry), /hostedConfig is only for mode Hosted/)
  })

  it('an agent cannot list itself as a peer', () => {
    invalidInput(() => validateAgainstRegistry(parseDocument(doc('Agent', {modelAPI: 'l', model: 'm', agentNetwork: {access: ['x']}}), 'f'), registry), /lists the agent itself/)
  })
})

describe('parseKeyValues', () => {
  it('splits at the first =, keeps empty values', () => {
    assert.deepEqual(parseKeyValues(['A=1', 'B=x=y', 'C='], '--env'), [['A', '1'], ['B', 'x=y'], ['C', '']])
  })
  it('rejects missing = and bad names', () => {
    invalidInput(() => parseKeyValues(['FOO'], '--env'), /^--env "FOO" is not KEY=VALUE$/)
    invalidInput(() => parseKeyValues(['=x'], '--env'), /is not KEY=VALUE/)
    invalidInput(() => parseKeyValues(['1A=x'], '--env'), /"1A" is not a valid name/)
  })
})
