// Golden rendering per runtime and feature, schema validation of every object, and the KAOS
// conventions each fixture is there to show. Inputs: test/fixtures/inputs/*.yaml; goldens:
// test/fixtures/golden/*.yaml (`npm run golden:update` rewrites them).
import assert from 'node:assert/strict'
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {parseAllDocuments} from 'yaml'

import {parseDocuments} from '../../src/lib/documents.js'
import {toYamlDocuments} from '../../src/cli/format/objects.js'
import {builtinRegistry, mergeRegistry, parseRegistry} from '../../src/lib/registry.js'
import {type KubernetesObject, render} from '../../src/lib/render/index.js'
import * as gatewayChecks from '../../runtimes/gateway/src/config.js'
import {INPUTS_DIR, expectGolden} from '../helpers/golden.js'
import {validateK8sObject} from '../helpers/k8s-schema.js'

export const NAMESPACE = 'kaos-test'
export const AUTH_TOKEN = 'test-token-0123456789'

/** Only the built-in registry: no user file, no cluster, no plugins. */
export const registry = () => mergeRegistry([builtinRegistry()])

export function renderFile(file: string): {objects: KubernetesObject[]; warnings: string[]} {
  const docs = parseDocuments(readFileSync(join(INPUTS_DIR, file), 'utf8'), file)
  const authTokens = Object.fromEntries(docs.filter((d) => d.kind === 'MCPServer').map((d) => [d.metadata.name, AUTH_TOKEN]))
  return render(docs, {namespace: NAMESPACE, registry: registry(), authTokens, gatewayChecks})
}

/** What a golden file holds: the warnings as comments, then the objects as YAML documents. */
function goldenText(r: {objects: KubernetesObject[]; warnings: string[]}): string {
  const header = r.warnings.map((w) => `# warning: ${w}\n`).join('')
  return header + toYamlDocuments(r.objects)
}

const inputs = readdirSync(INPUTS_DIR).filter((f) => f.endsWith('.yaml')).sort()

const find = (objects: KubernetesObject[], kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name)
  assert.ok(o, `${kind} ${name} not rendered; got ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`)
  return o as any
}
const podSpec = (d: any) => d.spec.template.spec
const container = (d: any, name: string) => {
  const c = [...podSpec(d).containers, ...(podSpec(d).initContainers ?? [])].find((x: any) => x.name === name)
  assert.ok(c, `container ${name} missing`)
  return c
}
const envOf = (c: any): Record<string, any> => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]))

describe('golden rendering', () => {
  it('has an input for every feature', () => {
    assert.ok(inputs.length >= 12, `only ${inputs.length} inputs`)
  })
  for (const file of inputs) {
    it(file, () => {
      const r = renderFile(file)
      expectGolden(file, goldenText(r))
    })
  }
})

describe('every rendered object validates against the Kubernetes OpenAPI schema', () => {
  for (const file of inputs) {
    it(file, () => {
      const {objects} = renderFile(file)
      for (const o of objects) validateK8sObject(o)
      // The YAML round-trips to the same objects (no anchors, no lost types).
      const reparsed = parseAllDocuments(toYamlDocuments(objects)).map((d) => d.toJS())
      assert.deepEqual(reparsed, objects)
    })
  }

  it('the schema check catches unknown and mistyped fields', () => {
    const {objects} = renderFile('mcpserver-rawpython.yaml')
    const d = structuredClone(find(objects, 'Deployment', 'mcpserver-calc'))
    podSpec(d).containers[0].readinessprobe = {}
    assert.throws(() => validateK8sObject(d), /containers\[0\]\.readinessprobe: unknown field/)
    const s = structuredClone(find(objects, 'Service', 'mcpserver-calc'))
    s.spec.ports[0].port = 'eight thousand'
    assert.throws(() => validateK8sObject(s), /must be integer/)
  })
})

describe('KAOS conventions', () => {
  it('MCPServer: Deployment and Service mcpserver-<name>, labels, container mcp-server, port 8000, one replica, hash', () => {
    const {objects, warnings} = renderFile('mcpserver-rawpython.yaml')
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`), ['Deployment/mcpserver-calc', 'Service/mcpserver-calc'])
    assert.deepEqual(warnings, [])
    const d = find(objects, 'Deployment', 'mcpserver-calc')
    assert.equal(d.metadata.namespace, NAMESPACE)
    assert.equal(d.metadata.labels.app, 'mcpserver')
    assert.equal(d.metadata.labels.mcpserver, 'calc')
    assert.deepEqual(d.spec.selector.matchLabels, {app: 'mcpserver', mcpserver: 'calc'})
    assert.equal(d.spec.replicas, 1)
    assert.match(d.spec.template.metadata.annotations['kaos.tools/pod-spec-hash'], /^[0-9a-f]{16}$/)
    const c = container(d, 'mcp-server')
    assert.equal(c.ports[0].containerPort, 8000)
    assert.match(envOf(c).MCP_TOOLS_STRING, /def add/)
    assert.equal(podSpec(d).automountServiceAccountToken, false, 'rawpython runs user code: no API token')
    const s = find(objects, 'Service', 'mcpserver-calc')
    assert.equal(s.spec.ports[0].port, 8000)
    assert.deepEqual(s.spec.selector, {app: 'mcpserver', mcpserver: 'calc'})
  })

  it('kubernetes runtime: a ServiceAccount, the pod uses it, and a warning about RBAC', () => {
    const {objects, warnings} = renderFile('mcpserver-kubernetes.yaml')
    assert.deepEqual(objects.map((o) => o.kind), ['ServiceAccount', 'Deployment', 'Service'])
    const d = find(objects, 'Deployment', 'mcpserver-k8s')
    assert.equal(podSpec(d).serviceAccountName, 'mcpserver-k8s')
    assert.equal(podSpec(d).automountServiceAccountToken, undefined)
    assert.deepEqual(container(d, 'mcp-server').args, ['--port', '8000'])
    assert.equal(warnings.length, 1)
    assert.match(warnings[0], /kaos system create-rbac k8s -n kaos-test/)
  })

  it('kubernetes runtime with spec.serviceAccountName: no ServiceAccount, no warning', () => {
    const {objects, warnings} = renderFile('mcpserver-kubernetes-sa.yaml')
    assert.deepEqual(objects.map((o) => o.kind), ['Deployment', 'Service'])
    assert.deepEqual(warnings, [])
    assert.equal(podSpec(find(objects, 'Deployment', 'mcpserver-k8s-ro')).serviceAccountName, 'mcp-reader')
  })

  it('slack: flags in args (not command), AUTH_TOKEN from Secret mcpserver-<name>-auth', () => {
    const {objects} = renderFile('mcpserver-slack.yaml')
    const secret = find(objects, 'Secret', 'mcpserver-slack-auth')
    assert.deepEqual(secret.stringData, {token: AUTH_TOKEN})
    const c = container(find(objects, 'Deployment', 'mcpserver-slack'), 'mcp-server')
    assert.equal(c.command, undefined)
    assert.deepEqual(c.args, ['--transport', 'http', '--port', '8000'])
    const env = envOf(c)
    assert.deepEqual(env.AUTH_TOKEN, {secretKeyRef: {name: 'mcpserver-slack-auth', key: 'token'}})
    assert.deepEqual(env.SLACK_BOT_TOKEN, {secretKeyRef: {name: 'slack', key: 'bot-token'}})
    // The token never appears outside its Secret.
    for (const o of objects.filter((x) => x.kind !== 'Secret')) assert.ok(!JSON.stringify(o).includes(AUTH_TOKEN), `${o.kind} holds the token`)
  })

  it('custom: the document image, user labels/annotations kept, replicas, unpinned image gets no pull policy', () => {
    const {objects} = renderFile('mcpserver-custom.yaml')
    const d = find(objects, 'Deployment', 'mcpserver-mine')
    const c = container(d, 'mcp-server')
    assert.equal(c.image, 'registry.example.com/tools/my-mcp:latest')
    assert.equal(c.imagePullPolicy, undefined)
    assert.deepEqual(c.command, ['python', '-m', 'my_mcp'])
    assert.equal(d.spec.replicas, 2)
    assert.equal(d.metadata.labels.team, 'tools')
    assert.equal(d.metadata.annotations.owner, 'alice')
  })

  it('container overrides: env merged by name (later wins, first position kept), image, resources', () => {
    const {objects} = renderFile('mcpserver-overrides.yaml')
    const c = container(find(objects, 'Deployment', 'mcpserver-tuned'), 'mcp-server')
    assert.deepEqual(
      c.env.map((e: any) => `${e.name}=${e.value}`),
      ['MCP_TOOLS_STRING=code: overridden', 'LOG_LEVEL=debug'],
    )
    assert.match(c.image, /@sha256:/)
    assert.equal(c.imagePullPolicy, 'Always')
    assert.deepEqual(c.resources, {requests: {cpu: '100m', memory: '128Mi'}, limits: {memory: '256Mi'}})
    assert.deepEqual(c.envFrom, [{configMapRef: {name: 'tuned-settings'}}])
  })

  it('podSpec: merge by name for containers, initContainers, volumes, env, volumeMounts; null deletes', () => {
    const {objects} = renderFile('mcpserver-podspec.yaml')
    const d = find(objects, 'Deployment', 'mcpserver-patched')
    const ps = podSpec(d)
    assert.deepEqual(ps.containers.map((c: any) => c.name), ['mcp-server', 'log-shipper'])
    assert.deepEqual(ps.initContainers.map((c: any) => c.name), ['fetch-data'])
    assert.deepEqual(ps.volumes, [{name: 'data', emptyDir: {}}])
    assert.equal('automountServiceAccountToken' in ps, false)
    assert.deepEqual(ps.nodeSelector, {'kubernetes.io/os': 'linux'})
    const main = container(d, 'mcp-server')
    assert.equal('livenessProbe' in main, false)
    assert.ok(main.readinessProbe, 'fields not named in the patch stay')
    assert.equal(main.image, mergeRegistry([builtinRegistry()]).runtimes.get('rawpython')!.image, 'the runtime image stays')
    assert.deepEqual(Object.keys(envOf(main)), ['MCP_TOOLS_STRING', 'DATA_DIR'])
    assert.deepEqual(main.volumeMounts, [{name: 'data', mountPath: '/data', readOnly: true}])
    assert.deepEqual(main.securityContext, {runAsNonRoot: true})
    assert.deepEqual(container(d, 'log-shipper').securityContext, {runAsNonRoot: true}, 'no nulls left in new entries')
  })

  it('podSpec on an existing init container and volume (Hosted ModelAPI)', () => {
    const {objects} = renderFile('modelapi-hosted-podspec.yaml')
    const d = find(objects, 'Deployment', 'modelapi-ollama-big')
    const pull = container(d, 'pull-model')
    assert.deepEqual(pull.resources, {limits: {memory: '1Gi'}})
    assert.ok(pull.command, 'the rest of the init container stays')
    assert.deepEqual(podSpec(d).volumes, [{name: 'models', persistentVolumeClaim: {claimName: 'ollama-models'}}])
    assert.deepEqual(container(d, 'model-api').resources, {limits: {memory: '4Gi'}})
  })

  it('secrets: valueFrom and envFrom pass through unchanged', () => {
    const {objects} = renderFile('mcpserver-secrets.yaml')
    const c = container(find(objects, 'Deployment', 'mcpserver-secretive'), 'mcp-server')
    const env = envOf(c)
    assert.deepEqual(env.API_TOKEN, {secretKeyRef: {name: 'tokens', key: 'api'}})
    assert.deepEqual(env.REGION, {configMapKeyRef: {name: 'settings', key: 'region', optional: true}})
    assert.deepEqual(env.POD_NAME, {fieldRef: {fieldPath: 'metadata.name'}})
    assert.deepEqual(c.envFrom, [{secretRef: {name: 'extra-env'}, prefix: 'EXTRA_'}])
  })

  it('agent: env contract for two MCP servers, a peer, the model API; probes /health and /ready', () => {
    const {objects} = renderFile('agent-network.yaml')
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`),
      [
        'ConfigMap/modelapi-llm-config',
        'Deployment/modelapi-llm',
        'Deployment/mcpserver-calc',
        'Deployment/mcpserver-web-search',
        'Deployment/agent-researcher',
        'Deployment/agent-coordinator',
        'Service/modelapi-llm',
        'Service/mcpserver-calc',
        'Service/mcpserver-web-search',
        'Service/agent-researcher',
        'Service/agent-coordinator',
      ],
    )
    const d = find(objects, 'Deployment', 'agent-coordinator')
    const c = container(d, 'agent')
    assert.equal(c.image, 'axsauze/kaos-agent:0.8.4')
    const env = envOf(c)
    const svc = (p: string) => `http://${p}.${NAMESPACE}.svc.cluster.local`
    assert.equal(env.AGENT_NAME, 'coordinator')
    assert.equal(env.AGENT_DESCRIPTION, 'Plans work and delegates research')
    assert.equal(env.AGENT_INSTRUCTIONS, 'Use the tools; ask the researcher for facts.')
    assert.equal(env.MODEL_API_URL, `${svc('modelapi-llm')}:8000`)
    assert.equal(env.MODEL_NAME, 'gpt-4o-mini')
    assert.equal(env.MCP_SERVERS, 'calc,web-search')
    assert.equal(env.MCP_SERVER_calc_URL, `${svc('mcpserver-calc')}:8000`)
    assert.equal(env['MCP_SERVER_web-search_URL'], `${svc('mcpserver-web-search')}:8000`)
    assert.equal(env.PEER_AGENTS, 'researcher')
    // The agent appends /.well-known/agent and /v1/chat/completions to this base URL itself.
    assert.equal(env.PEER_AGENT_RESEARCHER_CARD_URL, `${svc('agent-researcher')}:8000`)
    assert.equal(env.AGENTIC_LOOP_MAX_STEPS, '8')
    const readiness = c.readinessProbe.httpGet.path
    const liveness = c.livenessProbe.httpGet.path
    assert.deepEqual([readiness, liveness], ['/ready', '/health'])
    assert.equal(find(objects, 'Service', 'agent-coordinator').spec.ports[0].port, 8000)
    // The researcher has no tools, peers or instructions: those variables are left out so the
    // agent's own defaults apply (an empty AGENT_INSTRUCTIONS would blank its system prompt).
    const plain = envOf(container(find(objects, 'Deployment', 'agent-researcher'), 'agent'))
    for (const k of ['MCP_SERVERS', 'PEER_AGENTS', 'AGENT_INSTRUCTIONS', 'AGENTIC_LOOP_MAX_STEPS']) assert.equal(plain[k], undefined, k)
  })

  it('agent: MODEL_API_URL uses the Hosted ModelAPI port when the ModelAPI is in the same input', () => {
    const {objects} = renderFile('agent-hosted-model.yaml')
    const env = envOf(container(find(objects, 'Deployment', 'agent-tiny'), 'agent'))
    assert.equal(env.MODEL_API_URL, `http://modelapi-local.${NAMESPACE}.svc.cluster.local:11434`)
  })

  it('agent: MCP_SERVER_<n>_URL uses the runtime port of an MCPServer in the same input, else 8000', () => {
    const reg = mergeRegistry([builtinRegistry(), parseRegistry({runtimes: {odd: {type: 'go', image: 'x/odd:1', port: 9000}}}, 'file:/odd.yaml')])
    const docs = parseDocuments(
      [
        'apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: odd}\nspec: {runtime: odd}\n',
        'apiVersion: kaos.tools/v1alpha1\nkind: Agent\nmetadata: {name: a}\nspec: {modelAPI: llm, model: m, mcpServers: [odd, elsewhere]}\n',
      ].join('---\n'),
      'inline',
    )
    const {objects} = render(docs, {namespace: NAMESPACE, registry: reg})
    assert.equal(find(objects, 'Service', 'mcpserver-odd').spec.ports[0].port, 9000)
    const env = envOf(container(find(objects, 'Deployment', 'agent-a'), 'agent'))
    assert.equal(env.MCP_SERVER_odd_URL, `http://mcpserver-odd.${NAMESPACE}.svc.cluster.local:9000`)
    assert.equal(env.MCP_SERVER_elsewhere_URL, `http://mcpserver-elsewhere.${NAMESPACE}.svc.cluster.local:8000`)
    const viaCtx = render([docs[1]], {namespace: NAMESPACE, registry: reg, mcpServerPorts: {elsewhere: 7000}}).objects
    assert.match(envOf(container(find(viaCtx, 'Deployment', 'agent-a'), 'agent')).MCP_SERVER_elsewhere_URL, /:7000$/)
  })

  it('ModelAPI Proxy with a key from a Secret: LiteLLM args, config in a ConfigMap, os.environ key', () => {
    const {objects} = renderFile('modelapi-proxy-secret.yaml')
    assert.deepEqual(objects.map((o) => o.kind), ['ConfigMap', 'Deployment', 'Service'])
    const cm = find(objects, 'ConfigMap', 'modelapi-openai-config')
    assert.match(cm.data['config.yaml'], /api_key: os\.environ\/MODEL_API_KEY/)
    assert.match(cm.data['config.yaml'], /model: openai\/gpt-4o\n/)
    const d = find(objects, 'Deployment', 'modelapi-openai')
    const c = container(d, 'model-api')
    assert.match(c.image, /^ghcr\.io\/berriai\/litellm:/)
    assert.deepEqual(c.args, ['--config', '/etc/litellm/config.yaml', '--port', '8000'])
    assert.equal(c.readinessProbe.httpGet.path, '/health/liveliness')
    assert.deepEqual(envOf(c).MODEL_API_KEY, {secretKeyRef: {name: 'openai', key: 'api-key'}})
    assert.match(d.spec.template.metadata.annotations['kaos.tools/config-hash'], /^[0-9a-f]{16}$/)
    assert.deepEqual(podSpec(d).volumes, [{name: 'config', configMap: {name: 'modelapi-openai-config'}}])
  })

  it('ModelAPI Proxy with literal keys (apiKey.value, key-like litellmParams): a Secret holds them, nothing else does', () => {
    const {objects} = renderFile('modelapi-proxy-literal.yaml')
    assert.deepEqual(objects.map((o) => o.kind), ['ConfigMap', 'Secret', 'Deployment', 'Service'])
    const secret = find(objects, 'Secret', 'modelapi-mock-api-key')
    assert.deepEqual(secret.stringData, {'api-key': 'sk-literal-test-key-123', 'litellm-aws_secret_access_key': 'literal-aws-secret'})
    for (const o of objects.filter((x) => x.kind !== 'Secret'))
      for (const literal of ['sk-literal-test-key-123', 'literal-aws-secret']) assert.ok(!JSON.stringify(o).includes(literal), `${o.kind} ${o.metadata.name} holds ${literal}`)
    const c = container(find(objects, 'Deployment', 'modelapi-mock'), 'model-api')
    assert.deepEqual(envOf(c).MODEL_API_KEY, {secretKeyRef: {name: 'modelapi-mock-api-key', key: 'api-key'}})
    assert.deepEqual(envOf(c).LITELLM_PARAM_AWS_SECRET_ACCESS_KEY, {secretKeyRef: {name: 'modelapi-mock-api-key', key: 'litellm-aws_secret_access_key'}})
    const config = find(objects, 'ConfigMap', 'modelapi-mock-config').data['config.yaml']
    assert.match(config, /mock_response: hello from the mock/)
    assert.match(config, /aws_secret_access_key: os\.environ\/LITELLM_PARAM_AWS_SECRET_ACCESS_KEY/)
    assert.match(config, /max_tokens: 64/)
  })

  it('ModelAPI Hosted: Ollama on 11434, an init container pulls the model through $MODEL, probe /', () => {
    const {objects} = renderFile('modelapi-hosted.yaml')
    assert.deepEqual(objects.map((o) => o.kind), ['Deployment', 'Service'])
    const d = find(objects, 'Deployment', 'modelapi-ollama')
    const pull = container(d, 'pull-model')
    assert.equal(envOf(pull).MODEL, 'smollm2:135m')
    assert.match(pull.command.join(' '), /ollama pull "\$MODEL"/)
    assert.ok(!pull.command.join(' ').includes('smollm2'), 'the model name is never spliced into the script')
    const c = container(d, 'model-api')
    assert.match(c.image, /^alpine\/ollama:/)
    assert.equal(c.ports[0].containerPort, 11434)
    assert.equal(c.readinessProbe.httpGet.path, '/')
    assert.equal(find(objects, 'Service', 'modelapi-ollama').spec.ports[0].port, 11434)
  })
})
