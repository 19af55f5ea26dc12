// Documents written for upstream KAOS: every file in test/fixtures/upstream renders (goldens in
// test/fixtures/golden/upstream/, warnings as comments), each upstream field is supported,
// warned about by name, or refused with the reason; and the agent env kaos renders is what
// upstream's agent runtime (pydantic-ai-server 0.8.4, module pais) reads.
import assert from 'node:assert/strict'
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {toYamlDocuments} from '../../src/cli/format/objects.js'
import {type AnyDoc, parseDocument, parseManifests} from '../../src/lib/documents.js'
import {builtinRegistry, mergeRegistry, parseRegistry} from '../../src/lib/registry.js'
import {type KubernetesObject, plainObjects, render, sortForApply} from '../../src/lib/render/index.js'
import * as gatewayChecks from '../../runtimes/gateway/src/config.js'
import {FIXTURES, expectGolden} from '../helpers/golden.js'
import {validateK8sObject} from '../helpers/k8s-schema.js'

const UPSTREAM = join(FIXTURES, 'upstream')
const NAMESPACE = 'kaos-test'
const registry = () => mergeRegistry([builtinRegistry()])
const files = readdirSync(UPSTREAM).filter((f) => f.endsWith('.yaml')).sort()

/** What `kaos apply -f FILE --dry-run` renders: plain objects first, then the documents' objects. */
export function renderUpstream(file: string): {objects: KubernetesObject[]; warnings: string[]} {
  const m = parseManifests(readFileSync(join(UPSTREAM, file), 'utf8'), file)
  const r = render(m.docs, {namespace: NAMESPACE, registry: registry(), gatewayChecks})
  return {objects: [...sortForApply(plainObjects([...m.namespaces, ...m.rbac], NAMESPACE)), ...r.objects], warnings: [...m.warnings, ...r.warnings]}
}

const doc = (kind: string, spec: Record<string, unknown>, name = 'x'): AnyDoc => parseDocument({apiVersion: 'kaos.tools/v1alpha1', kind, metadata: {name}, spec}, 'f')
const renderDocs = (docs: AnyDoc[]) => render(docs, {namespace: NAMESPACE, registry: registry(), gatewayChecks})
const find = (objects: KubernetesObject[], kind: string, name: string): any => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name)
  assert.ok(o, `${kind} ${name} not rendered: ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`)
  return o
}
const envOf = (d: any): Record<string, any> => Object.fromEntries((d.spec.template.spec.containers[0].env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]))

describe('upstream KAOS documents render (goldens)', () => {
  it('has the samples 1-8, the namespaced snapshot, the e2e documents and the later fields', () => {
    for (const f of ['0-namespaced.yaml', '1-echo-agent.yaml', '6-watcher.yaml', '8-walkthrough.yaml', 'e2e-resources.yaml', 'later-fields.yaml', 'cli-written.yaml', 'exported.yaml'])
      assert.ok(files.includes(f), f)
    assert.equal(files.filter((f) => /^\d-/.test(f)).length, 9)
  })
  for (const file of files) {
    it(file, () => {
      const r = renderUpstream(file)
      for (const o of r.objects) if (['Deployment', 'Service', 'ConfigMap', 'Secret', 'ServiceAccount'].includes(o.kind)) validateK8sObject(o)
      expectGolden(join('upstream', file), r.warnings.map((w) => `# warning: ${w}\n`).join('') + toYamlDocuments(r.objects))
    })
  }
})

describe('upstream fields', () => {
  it('runtime python-string is kaos rawpython: the same pods, the upstream name kept in the document', () => {
    const params = 'def hi(name: str) -> str:\n    """Greet."""\n    return f"hi {name}"\n'
    const a = find(renderDocs([doc('MCPServer', {runtime: 'python-string', params})]).objects, 'Deployment', 'mcpserver-x')
    const b = find(renderDocs([doc('MCPServer', {runtime: 'rawpython', params})]).objects, 'Deployment', 'mcpserver-x')
    assert.deepEqual(a.spec.template, b.spec.template)
    assert.equal(a.metadata.annotations['kaos.tools/runtime'], 'rawpython')
    assert.match(a.metadata.annotations['kaos.tools/source'], /"runtime":"python-string"/)
  })

  it('a registry entry named python-string wins over the alias', () => {
    const reg = mergeRegistry([builtinRegistry(), parseRegistry({runtimes: {'python-string': {type: 'python', image: 'team/py:1', paramsEnvVar: 'CODE'}}}, 'file:team.yaml')])
    const r = render([doc('MCPServer', {runtime: 'python-string', params: 'x'})], {namespace: NAMESPACE, registry: reg, gatewayChecks})
    assert.equal(envOf(find(r.objects, 'Deployment', 'mcpserver-x')).CODE, 'x')
  })

  it('upstream runtimes kaos does not ship are refused with what to do', () => {
    assert.throws(() => renderDocs([doc('MCPServer', {runtime: 'fastmcp-codemode', params: 'def f(): pass'})]), /spec\.runtime "fastmcp-codemode" is upstream KAOS's FastMCP CodeMode server .* which kaos does not ship/)
  })

  it('params on a runtime that takes none are a warning naming the field', () => {
    const r = renderDocs([doc('MCPServer', {runtime: 'kubernetes', params: 'namespaces: [a]', serviceAccountName: 'sa'})])
    assert.ok(r.warnings.some((w) => /MCPServer "x": spec\.params ignored: runtime "kubernetes" takes no params/.test(w)), r.warnings.join('\n'))
    assert.equal(envOf(find(r.objects, 'Deployment', 'mcpserver-x')).MCP_TOOLS_STRING, undefined)
  })

  it('every field only an operator acts on is a warning naming it', () => {
    const r = renderDocs([
      doc('Agent', {modelAPI: 'm', model: 'x', gatewayRoute: {timeout: '30s'}, security: {id: 'a'}, waitForDependencies: true, agentNetwork: {expose: false}, config: {memory: {type: 'remote', memoryStore: 's', tools: 'read'}}}, 'a'),
      doc('ModelAPI', {mode: 'Hosted', hostedConfig: {model: 'x'}, telemetry: {enabled: true, endpoint: 'http://o:4317'}}, 'm'),
    ])
    const text = r.warnings.join('\n')
    for (const field of ['spec.gatewayRoute ignored', 'spec.security ignored', 'spec.waitForDependencies ignored', 'spec.agentNetwork.expose: false ignored', 'spec.config.memory.type: remote, spec.config.memory.memoryStore, spec.config.memory.tools ignored', 'ModelAPI "m": spec.telemetry ignored: Ollama'])
      assert.ok(text.includes(field), `${field}\n${text}`)
  })

  it('an MCP server the agent runtime cannot reach (SSE, or a path other than /mcp) is a warning', () => {
    const reg = mergeRegistry([builtinRegistry(), parseRegistry({runtimes: {legacy: {type: 'python', image: 'team/sse:1', transport: 'sse', path: '/sse'}}}, 'file:team.yaml')])
    const r = render([doc('MCPServer', {runtime: 'legacy'}, 'old'), doc('Agent', {modelAPI: 'm', model: 'x', mcpServers: ['old']}, 'a')], {namespace: NAMESPACE, registry: reg, gatewayChecks})
    assert.ok(r.warnings.some((w) => /Agent "a": MCPServer "old" serves SSE at \/sse, but the agent runtime calls MCP servers over streamable HTTP at \/mcp only/.test(w)), r.warnings.join('\n'))
  })

  it('waitForDependencies: false and the defaults say nothing', () => {
    const r = renderDocs([doc('Agent', {modelAPI: 'm', model: 'x', waitForDependencies: false, agentNetwork: {expose: true, access: []}})])
    assert.deepEqual(r.warnings, [])
  })

  it('old (pre-2026) spellings are refused with the current one', () => {
    assert.throws(() => doc('MCPServer', {type: 'python-runtime', config: {tools: {fromString: 'x'}}}), /spec\.type is the old upstream KAOS spelling \(before 2026\): write spec\.runtime/)
    assert.throws(() => doc('Agent', {modelAPI: 'm', model: 'x', config: {env: []}}), /spec\.config\.env is the old upstream KAOS spelling: write spec\.container\.env/)
    assert.throws(() => doc('ModelAPI', {mode: 'Proxy', proxyConfig: {models: ['*'], env: []}}), /spec\.proxyConfig\.env is the old upstream KAOS spelling/)
  })

  it("an agent's model must be one its model API (in the input) serves, as upstream's operator checks", () => {
    const api = doc('ModelAPI', {mode: 'Proxy', proxyConfig: {models: ['openai/*', 'small']}}, 'm')
    renderDocs([api, doc('Agent', {modelAPI: 'm', model: 'openai/gpt-4.1'}, 'a'), doc('Agent', {modelAPI: 'm', model: 'small'}, 'b')])
    assert.throws(() => renderDocs([api, doc('Agent', {modelAPI: 'm', model: 'large'}, 'a')]), /Agent "a": spec\.model "large" is not served by ModelAPI "m" \(it serves "openai\/\*", "small"\)/)
    const hosted = doc('ModelAPI', {mode: 'Hosted', hostedConfig: {model: 'qwen'}}, 'h')
    assert.throws(() => renderDocs([hosted, doc('Agent', {modelAPI: 'h', model: 'other'}, 'a')]), /not served by ModelAPI "h"/)
  })

  it('configYaml: upstream checks (model_name in models) and no literal key in the ConfigMap', () => {
    const api = (fromString: string) => doc('ModelAPI', {mode: 'Proxy', proxyConfig: {models: ['a'], configYaml: {fromString}}}, 'm')
    assert.throws(() => renderDocs([api('model_list:\n- model_name: b\n  litellm_params: {model: x/b}\n')]), /model_list\[0\]\.model_name "b" is not in spec\.proxyConfig\.models \(a\)/)
    assert.throws(() => renderDocs([api('model_list:\n- model_name: a\n  litellm_params: {model: x/a, api_key: sk-123}\n')]), /litellm_params\.api_key is a literal secret, and the config is stored in a ConfigMap/)
    const r = renderDocs([api('model_list:\n- model_name: a\n  litellm_params: {model: x/a, api_key: os.environ/PROXY_API_KEY}\n')])
    assert.equal(find(r.objects, 'ConfigMap', 'modelapi-m-config').data['config.yaml'], 'model_list:\n- model_name: a\n  litellm_params: {model: x/a, api_key: os.environ/PROXY_API_KEY}\n')
  })

  it('configYaml.fromSecretKeyRef mounts that key as config.yaml (no ConfigMap)', () => {
    const r = renderDocs([doc('ModelAPI', {mode: 'Proxy', proxyConfig: {models: ['a'], configYaml: {fromSecretKeyRef: {name: 'llm-config', key: 'litellm.yaml'}}}}, 'm')])
    assert.equal(r.objects.filter((o) => o.kind === 'ConfigMap').length, 0)
    assert.deepEqual(find(r.objects, 'Deployment', 'modelapi-m').spec.template.spec.volumes, [{name: 'config', secret: {secretName: 'llm-config', items: [{key: 'litellm.yaml', path: 'config.yaml'}]}}])
  })
})

describe('the agent env is what pais 0.8.4 reads', () => {
  // AgentServerSettings of pais 0.8.4 (pais/serverutils.py), read case-insensitively from the env,
  // plus what its other modules read with os.getenv. An env kaos renders outside this list would
  // be a variable nothing reads.
  const PAIS_SETTINGS = new Set([
    'AGENT_NAME', 'AGENT_DESCRIPTION', 'AGENT_INSTRUCTIONS', 'AGENT_SYSTEM_PROMPT', 'AGENT_PORT', 'AGENT_LOG_LEVEL', 'AGENT_SUB_AGENTS',
    'MODEL_API_URL', 'MODEL_NAME', 'AGENTIC_LOOP_MAX_STEPS', 'TOOL_CALL_MODE', 'MCP_SERVERS', 'PEER_AGENTS',
    'MEMORY_ENABLED', 'MEMORY_TYPE', 'MEMORY_CONTEXT_LIMIT', 'MEMORY_MAX_SESSIONS', 'MEMORY_MAX_SESSION_EVENTS',
    'AUTONOMOUS_GOAL', 'AUTONOMOUS_INTERVAL_SECONDS', 'AUTONOMOUS_MAX_ITER_RUNTIME_SECONDS',
    'TASK_MAX_ITERATIONS', 'TASK_MAX_RUNTIME_SECONDS', 'TASK_MAX_TOOL_CALLS',
    'OTEL_SDK_DISABLED', 'OTEL_SERVICE_NAME', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_RESOURCE_ATTRIBUTES', 'OTEL_PYTHON_FASTAPI_EXCLUDED_URLS',
  ])
  const perServer = /^(MCP_SERVER_[a-z0-9-]+_URL|PEER_AGENT_[A-Z0-9_]+_CARD_URL)$/

  it('every variable of a full upstream agent is one pais reads, spelled as pais reads it', () => {
    const {objects} = renderUpstream('later-fields.yaml')
    const rendered = [...objects.filter((o) => o.kind === 'Deployment' && o.metadata.name.startsWith('agent-'))]
    assert.ok(rendered.length >= 3)
    for (const d of rendered) for (const name of Object.keys(envOf(d))) assert.ok(PAIS_SETTINGS.has(name) || perServer.test(name), `${d.metadata.name}: ${name}`)
  })

  it('MCP servers by their name as written, peers upper-cased: MCP_SERVER_<name>_URL, PEER_AGENT_<NAME>_CARD_URL', () => {
    const env = envOf(find(renderUpstream('2-team.yaml').objects, 'Deployment', 'agent-lead'))
    assert.equal(env.MCP_SERVERS, 'team-tools')
    assert.equal(env['MCP_SERVER_team-tools_URL'], 'http://mcpserver-team-tools.kaos-test.svc.cluster.local:8000')
    assert.equal(env.PEER_AGENTS, 'helper-a,helper-b')
    assert.equal(env.PEER_AGENT_HELPER_A_CARD_URL, 'http://agent-helper-a.kaos-test.svc.cluster.local:8000')
    assert.equal(env.MODEL_API_URL, 'http://modelapi-team-llm.kaos-test.svc.cluster.local:11434')
  })

  it('autonomous and task budgets, local memory, system prompt, tool-call mode and telemetry', () => {
    const watcher = envOf(find(renderUpstream('6-watcher.yaml').objects, 'Deployment', 'agent-watcher'))
    assert.equal(watcher.AUTONOMOUS_GOAL, 'Check the pods in this namespace and summarise their health.')
    assert.equal(watcher.AUTONOMOUS_INTERVAL_SECONDS, '300')
    assert.equal(watcher.AUTONOMOUS_MAX_ITER_RUNTIME_SECONDS, '90')
    assert.deepEqual([watcher.TASK_MAX_ITERATIONS, watcher.TASK_MAX_RUNTIME_SECONDS, watcher.TASK_MAX_TOOL_CALLS], ['4', '240', '12'])
    const later = envOf(find(renderUpstream('later-fields.yaml').objects, 'Deployment', 'agent-later-agent'))
    assert.equal(later.AGENT_SYSTEM_PROMPT, 'You are terse.')
    assert.equal(later.TOOL_CALL_MODE, 'string')
    assert.deepEqual([later.MEMORY_ENABLED, later.MEMORY_CONTEXT_LIMIT, later.MEMORY_MAX_SESSIONS, later.MEMORY_MAX_SESSION_EVENTS], ['true', '10', '200', '50'])
    assert.equal(later.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://otel-collector.observability:4317')
    assert.equal(later.OTEL_RESOURCE_ATTRIBUTES, 'service.namespace=kaos-test,kaos.resource.name=later-agent')
    const store = envOf(find(renderUpstream('later-fields.yaml').objects, 'Deployment', 'agent-later-store'))
    // No store endpoint and no memory tools without upstream's memory service.
    assert.equal(store.MEMORY_STORE_ENDPOINT, undefined)
    assert.equal(store.MEMORY_TOOLS, undefined)
  })
})
