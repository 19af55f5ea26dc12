// Golden rendering per runtime and feature, schema validation of every object, and the KAOS
// conventions each fixture is there to show. Inputs: test/fixtures/inputs/*.yaml; goldens:
// test/fixtures/golden/*.yaml (`npm run golden:update` rewrites them).
import assert from 'node:assert/strict'
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {parseAllDocuments} from 'yaml'

import {parseDocuments} from '../../src/lib/documents.js'
import {toYamlDocuments} from '../../src/cli/format/objects.js'
import {builtinRegistry, mergeRegistry, parseRegistry, parseRegistryYaml} from '../../src/lib/registry.js'
import {type KubernetesObject, render} from '../../src/lib/render/index.js'
import * as gatewayChecks from '../../runtimes/gateway/src/config.js'
import {INPUTS_DIR, expectGolden, fixtureRegistry} from '../helpers/golden.js'
import {invalidInput} from '../helpers/assert.js'
import {validateK8sObject} from '../helpers/k8s-schema.js'

export const NAMESPACE = 'kaos-test'
export const AUTH_TOKEN = 'test-token-0123456789'

/** Only the built-in registry: no user file, no cluster, no plugins. */
export const registry = () => mergeRegistry([builtinRegistry()])

/** Where pods reach the API server in the goldens (a deploy reads it from the cluster). */
export const API_SERVER = {clusterIP: '10.96.0.1', servicePort: 443, endpoints: [{ip: '172.18.0.2', port: 6443}]}

export function renderFile(file: string): {objects: KubernetesObject[]; warnings: string[]} {
  const docs = parseDocuments(readFileSync(join(INPUTS_DIR, file), 'utf8'), file)
  const authTokens = Object.fromEntries(docs.filter((d) => d.kind === 'MCPServer').map((d) => [d.metadata.name, AUTH_TOKEN]))
  return render(docs, {namespace: NAMESPACE, registry: fixtureRegistry(file), authTokens, apiServer: API_SERVER, gatewayChecks})
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
    assert.deepEqual(container(d, 'mcp-server').args, ['--port', '8000', '--stateless'])
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

/** Render documents given as YAML text with the built-in registry (plus `extraRegistry`). */
function renderText(yaml: string, opts: {extraRegistry?: string; apiServer?: typeof API_SERVER | null} = {}) {
  const reg = opts.extraRegistry ? mergeRegistry([builtinRegistry(), parseRegistryYaml(opts.extraRegistry, 'file:test')]) : registry()
  const docs = parseDocuments(yaml, 'test.yaml')
  return render(docs, {namespace: NAMESPACE, registry: reg, authTokens: {}, gatewayChecks, ...(opts.apiServer === null ? {} : {apiServer: opts.apiServer ?? API_SERVER})})
}

const CALC = (spec: string) => `apiVersion: kaos.tools/v1alpha1
kind: MCPServer
metadata: {name: calc}
spec:
  runtime: rawpython
  params: "def add(a: int, b: int) -> int:\\n    return a + b\\n"
${spec}`

describe('serving: replicas, sessions, shutdown', () => {
  it('replicas of a runtime that writes to its own disk (memory): a warning that they do not share it, unless the document mounts a volume there', () => {
    const memory = (extra = '') => `apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: mem}\nspec:\n  runtime: memory\n  replicas: 2\n${extra}`
    const own = renderText(memory()).warnings.filter((w) => w.includes('own disk'))
    assert.deepEqual(own, [
      'MCPServer "mem": runtime "memory" keeps its data in /data on each pod\'s own disk (an emptyDir): the 2 replicas do not share it, and a pod\'s copy goes with the pod. To share it, mount a volume there with spec.podSpec (volumes named data-0).',
    ])
    const shared = renderText(memory('  podSpec:\n    volumes: [{name: data-0, persistentVolumeClaim: {claimName: mem-data}}]\n'))
    assert.deepEqual(shared.warnings.filter((w) => w.includes('own disk')), [])
    assert.deepEqual((shared.objects.find((o) => o.kind === 'Deployment') as any).spec.template.spec.volumes.find((v: any) => v.name === 'data-0'), {name: 'data-0', persistentVolumeClaim: {claimName: 'mem-data'}})
    assert.deepEqual(renderText(memory().replace('replicas: 2', 'replicas: 1')).warnings.filter((w) => w.includes('own disk')), [])
  })

  it('every workload gets a preStop sleep (no shell needed) and a grace period that covers it and the drain', () => {
    for (const file of inputs) {
      for (const d of renderFile(file).objects.filter((o) => o.kind === 'Deployment') as any[]) {
        const main = podSpec(d).containers[0]
        assert.deepEqual(main.lifecycle?.preStop, {sleep: {seconds: 5}}, `${file} ${d.metadata.name}`)
        assert.equal(podSpec(d).terminationGracePeriodSeconds, 30)
      }
    }
  })

  it('one replica: no PodDisruptionBudget or explicit strategy (the default rollout already surges); the spread is there, so scaling up rolls nothing', () => {
    const {objects} = renderFile('mcpserver-rawpython.yaml')
    const d = find(objects, 'Deployment', 'mcpserver-calc')
    assert.equal(d.spec.strategy, undefined)
    assert.equal(podSpec(d).topologySpreadConstraints.length, 1)
    assert.ok(!objects.some((o) => o.kind === 'PodDisruptionBudget'))
  })

  it('replicas > 1: a PDB of one, a spread across nodes that never blocks scheduling, maxUnavailable 0', () => {
    const {objects} = renderFile('mcpserver-replicas.yaml')
    const d = find(objects, 'Deployment', 'mcpserver-calc')
    assert.deepEqual(d.spec.strategy, {type: 'RollingUpdate', rollingUpdate: {maxUnavailable: 0, maxSurge: 1}})
    const [spread] = podSpec(d).topologySpreadConstraints
    assert.equal(spread.topologyKey, 'kubernetes.io/hostname')
    assert.equal(spread.whenUnsatisfiable, 'ScheduleAnyway')
    assert.deepEqual(spread.labelSelector.matchLabels, d.spec.selector.matchLabels)
    assert.deepEqual(spread.matchLabelKeys, ['pod-template-hash'])
    const pdb = find(objects, 'PodDisruptionBudget', 'mcpserver-calc')
    assert.equal(pdb.spec.maxUnavailable, 1)
    assert.deepEqual(pdb.spec.selector.matchLabels, d.spec.selector.matchLabels)
    assert.equal(pdb.spec.unhealthyPodEvictionPolicy, 'AlwaysAllow')
    assert.match(d.metadata.annotations['kaos.tools/inventory'], /PodDisruptionBudget\/mcpserver-calc/, 'pruned when replicas go back to 1')
  })

  it('stateless servers need no affinity; sticky ones get ClientIP affinity and a warning that says its limits', () => {
    const {objects, warnings} = renderFile('mcpserver-replicas.yaml')
    assert.equal(find(objects, 'Service', 'mcpserver-calc').spec.sessionAffinity, undefined)
    const slack = find(objects, 'Service', 'mcpserver-slack')
    assert.equal(slack.spec.sessionAffinity, 'ClientIP')
    assert.equal(slack.spec.sessionAffinityConfig.clientIP.timeoutSeconds, 10_800)
    assert.equal(warnings.length, 1)
    assert.match(warnings[0], /^MCPServer "slack": .*sessions: sticky.*NAT.*port-forward.*loses its sessions.*Ingress/)
    // The document can say what the runtime cannot know.
    assert.equal(find(renderText(CALC('  replicas: 2\n  sessions: sticky')).objects, 'Service', 'mcpserver-calc').spec.sessionAffinity, 'ClientIP')
  })

  it('a sticky server with replicas behind an Ingress is refused, with the reason', () => {
    invalidInput(() => renderText(CALC('  replicas: 2\n  sessions: sticky\n  expose: {type: ingress, host: calc.example.com}')), /keeps MCP sessions in memory.*2 replicas behind an Ingress.*ignore the Service's ClientIP affinity/)
  })
})

describe('serving: probes', () => {
  it('rawpython: probe mcp is its /readyz (a real tools/list in-process); liveness /healthz', () => {
    const c = container(find(renderFile('mcpserver-rawpython.yaml').objects, 'Deployment', 'mcpserver-calc'), 'mcp-server')
    assert.equal(c.readinessProbe.httpGet.path, '/readyz')
    assert.equal(c.livenessProbe.httpGet.path, '/healthz')
  })

  it('probe mcp on a third-party image: an exec probe with kaos\'s static binary, copied in by an init container, sending the token', () => {
    const {objects} = renderFile('mcpserver-probe-mcp.yaml')
    const d = find(objects, 'Deployment', 'mcpserver-weather')
    const c = container(d, 'mcp-server')
    assert.deepEqual(c.readinessProbe.exec.command, ['/kaos/kaos-stdio-adapter', 'probe', '--url', 'http://127.0.0.1:8080/mcp', '--bearer-env', 'WEATHER_TOKEN', '--timeout', '4s'])
    assert.ok(c.readinessProbe.timeoutSeconds > 4, 'the probe reports its own timeout before the kubelet kills it')
    assert.equal(c.livenessProbe.httpGet.path, '/healthz')
    assert.deepEqual(c.command, undefined, 'the image\'s own entrypoint still runs')
    assert.deepEqual(container(d, 'kaos-stdio-adapter').command, ['/kaos-stdio-adapter', 'install', '/kaos'])
    assert.ok(c.volumeMounts.some((m: any) => m.mountPath === '/kaos' && m.readOnly))
  })

  it('probe http and tcp, and the default from the paths declared', () => {
    const reg = (probe: string) => `runtimes:\n  w:\n    type: go\n    image: x/w:1\n    healthPath: /healthz\n    probe: ${probe}\n`
    const doc = 'apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: w}\nspec: {runtime: w}\n'
    const probe = (probe: string) => container(find(renderText(doc, {extraRegistry: reg(probe)}).objects, 'Deployment', 'mcpserver-w'), 'mcp-server')
    assert.equal(probe('http').readinessProbe.httpGet.path, '/healthz')
    assert.deepEqual(probe('tcp').readinessProbe.tcpSocket, {port: 'http'})
    assert.equal(probe('tcp').livenessProbe.httpGet.path, '/healthz')
    invalidInput(() => parseRegistryYaml('runtimes:\n  s:\n    type: go\n    image: x/s:1\n    transport: sse\n    probe: mcp\n', 'file:x'), /probe: mcp speaks streamable HTTP/)
    invalidInput(() => parseRegistryYaml('runtimes:\n  s:\n    type: go\n    image: x/s:1\n    probe: http\n', 'file:x'), /probe: http needs readyPath or healthPath/)
  })
})

describe('serving: a document\'s probes and lifecycle handlers replace the rendered ones', () => {
  const CUSTOM = (podSpec: string) => `apiVersion: kaos.tools/v1alpha1
kind: MCPServer
metadata: {name: x}
spec:
  runtime: custom
  container: {image: registry.example/x:1}
  podSpec: ${podSpec}
`
  const main = (yaml: string, name = 'mcpserver-x', c = 'mcp-server') => container(find(renderText(yaml).objects, 'Deployment', name), c)

  it('readinessProbe: httpGet over the runtime\'s tcpSocket keeps only httpGet, and the rendered timings', () => {
    const c = main(CUSTOM('{containers: [{name: mcp-server, readinessProbe: {httpGet: {path: /ready, port: http}}}]}'))
    assert.deepEqual(c.readinessProbe, {httpGet: {path: '/ready', port: 'http'}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3})
    // The probe not given is the runtime's, untouched.
    assert.deepEqual(c.livenessProbe, {tcpSocket: {port: 'http'}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, initialDelaySeconds: 10})
  })

  it('livenessProbe: exec over rawpython\'s httpGet; the fields the user gives win, the others stay', () => {
    const c = main(CALC("  podSpec: {containers: [{name: mcp-server, livenessProbe: {exec: {command: [/bin/true]}, periodSeconds: 30}}]}"), 'mcpserver-calc')
    assert.deepEqual(c.livenessProbe, {exec: {command: ['/bin/true']}, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3, initialDelaySeconds: 10})
    assert.equal(c.readinessProbe.httpGet.path, '/readyz')
  })

  it('readinessProbe: grpc over the exec probe of probe: mcp; the same handler kind merges field by field', () => {
    const reg = 'runtimes:\n  w:\n    type: go\n    image: x/w:1\n    port: 8080\n    probe: mcp\n'
    const doc = (podSpec: string) => `apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: w}\nspec:\n  runtime: w\n  podSpec: ${podSpec}\n`
    assert.ok(container(find(renderText(doc('{}'), {extraRegistry: reg}).objects, 'Deployment', 'mcpserver-w'), 'mcp-server').readinessProbe.exec, 'the runtime renders an exec probe')
    const r = renderText(doc('{containers: [{name: mcp-server, readinessProbe: {grpc: {port: 9090}}}]}'), {extraRegistry: reg})
    assert.deepEqual(container(find(r.objects, 'Deployment', 'mcpserver-w'), 'mcp-server').readinessProbe, {grpc: {port: 9090}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3})
    // httpGet over httpGet: only the path changes, the port stays.
    const c = main(CALC('  podSpec: {containers: [{name: mcp-server, readinessProbe: {httpGet: {path: /ready2}}}]}'), 'mcpserver-calc')
    assert.deepEqual(c.readinessProbe.httpGet, {path: '/ready2', port: 'http'})
  })

  it('startupProbe: tcpSocket over the agent\'s httpGet', () => {
    const agent = `apiVersion: kaos.tools/v1alpha1
kind: Agent
metadata: {name: a}
spec:
  modelAPI: llm
  model: gpt-4o
  podSpec: {containers: [{name: agent, startupProbe: {tcpSocket: {port: http}, failureThreshold: 10}}]}
`
    const c = main(agent, 'agent-a', 'agent')
    assert.deepEqual(c.startupProbe, {tcpSocket: {port: 'http'}, periodSeconds: 2, timeoutSeconds: 5, failureThreshold: 10})
  })

  it('lifecycle: preStop exec replaces the rendered sleep; postStart is added', () => {
    const c = main(CUSTOM('{containers: [{name: mcp-server, lifecycle: {preStop: {exec: {command: [/bin/drain]}}, postStart: {httpGet: {path: /warm, port: http}}}}]}'))
    assert.deepEqual(c.lifecycle, {preStop: {exec: {command: ['/bin/drain']}}, postStart: {httpGet: {path: '/warm', port: 'http'}}})
    // The sleep's seconds can still be changed on its own.
    assert.deepEqual(main(CUSTOM('{containers: [{name: mcp-server, lifecycle: {preStop: {sleep: {seconds: 9}}}}]}')).lifecycle, {preStop: {sleep: {seconds: 9}}})
  })

  it('null deletes a rendered probe; timings alone keep the rendered handler', () => {
    const c = main(CUSTOM('{containers: [{name: mcp-server, readinessProbe: null, livenessProbe: {periodSeconds: 60}}]}'))
    assert.equal(c.readinessProbe, undefined)
    assert.deepEqual(c.livenessProbe.tcpSocket, {port: 'http'})
    assert.equal(c.livenessProbe.periodSeconds, 60)
  })

  it('every rendered probe and lifecycle handler has exactly one handler', () => {
    const yaml = CUSTOM(
      '{containers: [{name: mcp-server, readinessProbe: {httpGet: {path: /r, port: http}}, livenessProbe: {exec: {command: [x]}}, startupProbe: {grpc: {port: 1}}, lifecycle: {preStop: {tcpSocket: {port: http}}}}]}',
    )
    const c = main(yaml)
    for (const [k, v] of Object.entries({readinessProbe: c.readinessProbe, livenessProbe: c.livenessProbe, startupProbe: c.startupProbe, preStop: c.lifecycle.preStop}))
      assert.equal(['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'].filter((h) => (v as any)[h]).length, 1, k)
  })
})

describe('serving: NetworkPolicy per runtime', () => {
  const policies = (file: string) => Object.fromEntries(renderFile(file).objects.filter((o) => o.kind === 'NetworkPolicy').map((o: any) => [o.metadata.name, o]))
  const egressTo = (p: any) => (p.spec.egress ?? []).map((r: any) => ({to: r.to.map((t: any) => t.ipBlock?.cidr ?? Object.values(t.podSelector?.matchLabels ?? t.namespaceSelector?.matchLabels ?? {}).join('/')), ports: (r.ports ?? []).map((x: any) => `${x.port}/${x.protocol}`)}))
  const DNS = {to: ['kube-dns'], ports: ['53/UDP', '53/TCP']}
  const PUBLIC = ['0.0.0.0/0', '::/0']

  it('selects the workload\'s pods, lets in only its port, and is applied before its pods start', () => {
    const {objects} = renderFile('mcpserver-network-policy.yaml')
    for (const p of objects.filter((o) => o.kind === 'NetworkPolicy') as any[]) {
      const d = find(objects, 'Deployment', p.metadata.name)
      assert.deepEqual(p.spec.podSelector.matchLabels, d.spec.selector.matchLabels)
      assert.deepEqual(p.spec.ingress, [{ports: [{protocol: 'TCP', port: 8000}]}])
      assert.ok(objects.indexOf(p) < objects.indexOf(d), 'NetworkPolicy before Deployment')
    }
  })

  it('rawpython: DNS only (egress none); its document may open hosts and CIDRs', () => {
    const p = policies('mcpserver-network-policy.yaml')
    assert.deepEqual(egressTo(p['mcpserver-calc']), [DNS])
    assert.deepEqual(p['mcpserver-calc'].spec.policyTypes, ['Ingress', 'Egress'])
    assert.deepEqual(egressTo(p['mcpserver-weather']), [DNS, {to: PUBLIC, ports: ['443/TCP', '8443/TCP']}, {to: ['10.20.0.0/16'], ports: ['443/TCP', '8443/TCP']}])
    assert.equal(p['mcpserver-weather'].metadata.annotations['kaos.tools/egress-hosts'], 'api.weather.example')
  })

  it('kubernetes: the API server\'s endpoints (address and port) and its ClusterIP on 443', () => {
    assert.deepEqual(egressTo(policies('mcpserver-network-policy.yaml')['mcpserver-k8s']), [DNS, {to: ['172.18.0.2/32'], ports: ['6443/TCP']}, {to: ['10.96.0.1/32'], ports: ['443/TCP']}])
    const offline = renderText('apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: k}\nspec: {runtime: kubernetes, serviceAccountName: r, networkPolicy: true}\n', {apiServer: null})
    assert.ok(offline.warnings.some((w) => /allows no traffic to the Kubernetes API server.*offline/.test(w)), offline.warnings.join('\n'))
    const noEndpoints = renderText('apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: k}\nspec: {runtime: kubernetes, serviceAccountName: r, networkPolicy: true}\n', {apiServer: {clusterIP: '10.96.0.1', servicePort: 443, endpoints: []}})
    assert.ok(noEndpoints.warnings.some((w) => /lists no endpoints.*only its ClusterIP 10\.96\.0\.1/.test(w)))
  })

  it('slack and fetch: host names become every public address on their ports, never private, link-local or loopback', () => {
    const p = policies('mcpserver-network-policy.yaml')
    assert.deepEqual(egressTo(p['mcpserver-slack']), [DNS, {to: PUBLIC, ports: ['443/TCP']}])
    assert.equal(p['mcpserver-slack'].metadata.annotations['kaos.tools/egress-hosts'], 'slack.com,*.slack.com')
    const v4 = p['mcpserver-slack'].spec.egress[1].to[0].ipBlock
    for (const r of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '127.0.0.0/8', '100.64.0.0/10']) assert.ok(v4.except.includes(r), r)
    assert.deepEqual(egressTo(p['mcpserver-fetch']), [DNS, {to: PUBLIC, ports: ['80/TCP', '443/TCP']}])
  })

  it('custom: nothing declared, so ingress only (egress untouched by this policy) and a warning', () => {
    const {warnings} = renderFile('mcpserver-network-policy.yaml')
    assert.deepEqual(policies('mcpserver-network-policy.yaml')['mcpserver-mine'].spec.policyTypes, ['Ingress'])
    assert.ok(warnings.some((w) => /"mine": runtime "custom" declares no egress/.test(w)))
  })

  it('agents reach their model API, MCP servers and peers by pod labels; model APIs their provider', () => {
    const p = policies('agent-network-policy.yaml')
    assert.deepEqual(egressTo(p['agent-helper']), [
      DNS,
      {to: ['modelapi/llm'], ports: ['8000/TCP']},
      {to: ['mcpserver/calc'], ports: ['8000/TCP']},
      {to: ['mcpserver/k8s'], ports: ['8000/TCP']},
      {to: ['agent/researcher'], ports: ['8000/TCP']},
    ])
    assert.deepEqual(egressTo(p['modelapi-llm']), [DNS, {to: PUBLIC, ports: ['443/TCP']}])
    assert.deepEqual(egressTo(p['modelapi-local']), [DNS, {to: ['models'], ports: ['11434/TCP']}])
    assert.deepEqual(egressTo(p['modelapi-ollama']), [DNS, {to: PUBLIC, ports: ['443/TCP']}])
    assert.deepEqual(p['modelapi-ollama'].spec.ingress, [{ports: [{protocol: 'TCP', port: 11434}]}])
  })

  it('gateway: read from its configuration: an upstream by its pods and port, a called Service\'s namespace on any port, an address and a public host on their ports', () => {
    const p = policies('gateway-serving.yaml')['mcpserver-front']
    assert.deepEqual(egressTo(p), [
      DNS,
      {to: ['mcpserver/calc'], ports: ['8000/TCP']},
      // A NetworkPolicy matches the pod's port; only the cluster knows what the Service maps 8080 to.
      {to: ['shop'], ports: []},
      {to: ['10.20.0.7/32'], ports: ['9000/TCP']},
      {to: PUBLIC, ports: ['443/TCP']},
    ])
    assert.equal(p.metadata.annotations['kaos.tools/egress-hosts'], 'status.vendor.example.com')
    assert.ok(!renderFile('gateway-serving.yaml').warnings.some((w) => /declares no egress/.test(w)))
    // spec.egress adds to what the configuration calls; `any` lifts the limit.
    const gw = (egress: string) => `apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: g}\nspec: {runtime: gateway, networkPolicy: true, toolSelector: {matchLabels: {a: b}}, egress: ${egress}}\n`
    const extra = renderText(gw('{cidrs: [192.0.2.0/24], ports: [8443]}')).objects.find((o) => o.kind === 'NetworkPolicy')
    assert.deepEqual(egressTo(extra), [DNS, {to: ['192.0.2.0/24'], ports: ['8443/TCP']}])
    assert.deepEqual((renderText(gw('any')).objects.find((o) => o.kind === 'NetworkPolicy') as any).spec.policyTypes, ['Ingress'])
  })

  it('the registry may turn policies on for every document that does not say', () => {
    const reg = mergeRegistry([builtinRegistry(), parseRegistry({defaults: {networkPolicy: true}}, 'file:x')])
    const docs = parseDocuments(CALC(''), 'x.yaml')
    assert.ok(render(docs, {namespace: 'n', registry: reg}).objects.some((o) => o.kind === 'NetworkPolicy'))
    const off = parseDocuments(CALC('  networkPolicy: false'), 'x.yaml')
    assert.ok(!render(off, {namespace: 'n', registry: reg}).objects.some((o) => o.kind === 'NetworkPolicy'))
  })
})

describe('serving: a way in', () => {
  it('an Ingress to the MCP path, TLS from the given Secret, streaming not buffered', () => {
    const {objects} = renderFile('mcpserver-expose.yaml')
    const ing = find(objects, 'Ingress', 'mcpserver-calc')
    assert.deepEqual(ing.spec.rules, [{host: 'calc.mcp.example.com', http: {paths: [{path: '/mcp', pathType: 'Prefix', backend: {service: {name: 'mcpserver-calc', port: {number: 8000}}}}]}}])
    assert.deepEqual(ing.spec.tls, [{hosts: ['calc.mcp.example.com'], secretName: 'calc-tls'}])
    assert.equal(ing.spec.ingressClassName, 'nginx')
    assert.equal(ing.metadata.annotations['nginx.ingress.kubernetes.io/proxy-buffering'], 'off')
  })

  it('an HTTPRoute attached to the named Gateway; an agent is routed whole (/)', () => {
    const {objects} = renderFile('mcpserver-expose.yaml')
    const r = find(objects, 'HTTPRoute', 'mcpserver-memory')
    assert.deepEqual(r.spec.parentRefs, [{group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateways'}])
    assert.deepEqual(r.spec.rules, [{matches: [{path: {type: 'PathPrefix', value: '/mcp'}}], backendRefs: [{name: 'mcpserver-memory', port: 8000}]}])
    assert.equal(find(objects, 'HTTPRoute', 'agent-helper').spec.rules[0].matches[0].path.value, '/')
  })

  it('exposed with auth, kaos\'s own servers check the token themselves: rawpython MCP_AUTH_TOKEN, the adapter KAOS_ADAPTER_AUTH_TOKEN; slack keeps AUTH_TOKEN', () => {
    const {objects} = renderFile('mcpserver-expose.yaml')
    const ref = (name: string) => ({secretKeyRef: {name: `mcpserver-${name}-auth`, key: 'token'}})
    assert.deepEqual(envOf(container(find(objects, 'Deployment', 'mcpserver-calc'), 'mcp-server')).MCP_AUTH_TOKEN, ref('calc'))
    assert.deepEqual(envOf(container(find(objects, 'Deployment', 'mcpserver-memory'), 'mcp-server')).KAOS_ADAPTER_AUTH_TOKEN, ref('memory'))
    assert.deepEqual(envOf(container(find(objects, 'Deployment', 'mcpserver-slack'), 'mcp-server')).AUTH_TOKEN, ref('slack'))
    for (const n of ['calc', 'memory', 'slack']) find(objects, 'Secret', `mcpserver-${n}-auth`)
    // Not exposed: rawpython checks no token and gets none.
    const plain = renderFile('mcpserver-rawpython.yaml').objects
    assert.equal(envOf(container(find(plain, 'Deployment', 'mcpserver-calc'), 'mcp-server')).MCP_AUTH_TOKEN, undefined)
  })

  it('the gateway: stateless replicas with no affinity; exposed, it checks KAOS_GATEWAY_AUTH_TOKEN and sends an exposed upstream\'s token; its HTTPRoute takes gatewayRoute.timeout', () => {
    const {objects, warnings} = renderFile('gateway-serving.yaml')
    const front = find(objects, 'Deployment', 'mcpserver-front')
    const env = envOf(container(front, 'mcp-server'))
    assert.deepEqual(env.KAOS_GATEWAY_AUTH_TOKEN, {secretKeyRef: {name: 'mcpserver-front-auth', key: 'token'}})
    assert.deepEqual(env.KAOS_UPSTREAM_TOKEN_0, {secretKeyRef: {name: 'mcpserver-calc-auth', key: 'token'}})
    assert.equal(find(objects, 'Service', 'mcpserver-front').spec.sessionAffinity, undefined)
    assert.equal(find(objects, 'PodDisruptionBudget', 'mcpserver-front').spec.maxUnavailable, 1)
    assert.equal(front.spec.strategy.rollingUpdate.maxUnavailable, 0)
    assert.equal(container(front, 'mcp-server').readinessProbe.httpGet.path, '/readyz')
    assert.deepEqual(container(front, 'mcp-server').lifecycle.preStop, {sleep: {seconds: 5}})
    assert.deepEqual(find(objects, 'HTTPRoute', 'mcpserver-front').spec.rules[0].timeouts, {request: '120s'})
    assert.ok(!warnings.some((w) => /gatewayRoute/.test(w)), warnings.join('\n'))
    // Not exposed: no token checked, and an upstream that checks none gets none sent.
    const shop = renderFile('gateway-shop.yaml').objects
    const shopEnv = envOf(container(find(shop, 'Deployment', 'mcpserver-shop'), 'mcp-server'))
    assert.equal(shopEnv.KAOS_GATEWAY_AUTH_TOKEN, undefined)
    const calcUpstream = renderText(`apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: g}\nspec: {runtime: gateway, upstreamSelector: {matchLabels: {to: g}}}\n---\n${CALC('').replace('{name: calc}', '{name: calc, labels: {to: g}}')}`)
    assert.deepEqual(Object.keys(envOf(container(find(calcUpstream.objects, 'Deployment', 'mcpserver-g'), 'mcp-server'))), ['KAOS_GATEWAY_CONFIG'])
  })

  it('a server or agent that cannot check a token is not exposed with one; the shape of --expose is checked', () => {
    const k8s = (expose: string) => `apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: k}\nspec:\n  runtime: kubernetes\n  serviceAccountName: r\n  expose: ${expose}\n`
    invalidInput(() => renderText(k8s('{type: ingress, host: k.example.com}')), /runtime "kubernetes" cannot check a bearer token itself/)
    assert.ok(renderText(k8s('{type: ingress, host: k.example.com, auth: none}')).objects.some((o) => o.kind === 'Ingress'))
    invalidInput(() => renderText('apiVersion: kaos.tools/v1alpha1\nkind: Agent\nmetadata: {name: a}\nspec: {modelAPI: m, model: x, expose: {type: ingress, host: a.example.com}}\n'), /the agent checks no bearer token itself/)
    invalidInput(() => renderText(CALC('  expose: {type: httproute, host: calc.example.com}')), /needs spec\.expose\.gateway/)
    invalidInput(() => renderText(CALC('  expose: {type: httproute, host: calc.example.com, gateway: {name: g}, tlsSecret: t}')), /tlsSecret is for type ingress/)
    invalidInput(() => renderText(CALC('  expose: {type: ingress, host: calc.example.com, gateway: {name: g}}')), /gateway is for type httproute/)
    invalidInput(() => renderText(CALC('  expose: {type: ingress, host: Calc}')), /must be a DNS name with a dot/)
  })
})
