// The bundled samples: each parses, validates and renders offline; the overrides change what they
// say and refuse what does not exist; the slack Secret comes from flags or the environment.
import assert from 'node:assert/strict'

import {KaosError} from '../../src/lib/errors.js'
import {checkRenderedObjects} from '../../src/lib/k8s-schema.js'
import {loadRegistry} from '../../src/lib/registry.js'
import {render} from '../../src/lib/render/index.js'
import {SAMPLES, findSample, parseSetExpression, sampleManifests, sampleSecret, summarizeSamples} from '../../src/lib/samples.js'
import {invalidInput} from '../helpers/assert.js'

const registry = loadRegistry({env: {}})
const modelAPI = (docs: any[]) => docs.find((d) => d.kind === 'ModelAPI')

describe('bundled samples', () => {
  it('are the five the docs promise, each a file of valid documents that renders and passes the Kubernetes schema', () => {
    assert.deepEqual(
      SAMPLES.map((s) => s.name),
      ['calculator', 'kubernetes', 'mock-agent', 'agent-network', 'slack'],
    )
    for (const s of SAMPLES) {
      const {docs, namespaces} = sampleManifests(s)
      assert.ok(docs.length > 0, s.name)
      assert.deepEqual(namespaces, [], `${s.name}: samples go to -n, they carry no Namespace`)
      const {objects} = render(docs, {namespace: 'demo', registry})
      checkRenderedObjects(objects, docs)
      assert.ok(objects.some((o) => o.kind === 'Deployment'), s.name)
    }
  })

  it('no sample holds a credential: the mock model needs none, slack reads a Secret', () => {
    for (const s of summarizeSamples()) {
      const {docs} = sampleManifests(findSample(s.name))
      const text = JSON.stringify(docs)
      assert.doesNotMatch(text, /xox[bp]-|sk-[A-Za-z0-9]|apiKey/, s.name)
    }
    assert.equal(modelAPI(sampleManifests(findSample('mock-agent')).docs).spec.proxyConfig.litellmParams.mock_response.length > 0, true)
  })

  it('an unknown sample is exit 2 with a did-you-mean and the list', () => {
    invalidInput(() => findSample('calculater'), /^unknown sample "calculater"\. Did you mean "calculator"\? Samples: calculator, kubernetes, mock-agent, agent-network, slack$/)
  })
})

describe('sample overrides', () => {
  const mock = findSample('mock-agent')

  it('--model sets the ModelAPI\'s models and every agent\'s model; --provider the proxy\'s provider', () => {
    const {docs} = sampleManifests(findSample('agent-network'), {model: 'claude-sonnet-4', provider: 'anthropic'})
    assert.deepEqual(modelAPI(docs).spec.proxyConfig.models, ['claude-sonnet-4'])
    assert.equal(modelAPI(docs).spec.proxyConfig.provider, 'anthropic')
    assert.deepEqual(
      docs.filter((d) => d.kind === 'Agent').map((d: any) => d.spec.model),
      ['claude-sonnet-4', 'claude-sonnet-4'],
    )
  })

  it('--api-secret reads the key from a Secret and drops the mock response', () => {
    const {docs} = sampleManifests(mock, {apiSecret: 'openai:api-key'})
    assert.deepEqual(modelAPI(docs).spec.proxyConfig.apiKey, {valueFrom: {secretKeyRef: {name: 'openai', key: 'api-key'}}})
    assert.equal(modelAPI(docs).spec.proxyConfig.litellmParams, undefined)
    invalidInput(() => sampleManifests(mock, {apiSecret: 'Not A Ref'}), /^--api-secret Not A Ref: expected SECRET\/KEY/)
  })

  it('model overrides on a sample with no model are an error, not ignored', () => {
    invalidInput(() => sampleManifests(findSample('calculator'), {model: 'x'}), /^--model: sample "calculator" has no ModelAPI or Agent to give a model to$/)
    invalidInput(() => sampleManifests(findSample('slack'), {provider: 'x'}), /^--provider: sample "slack" has no proxy ModelAPI$/)
    invalidInput(() => sampleManifests(findSample('kubernetes'), {apiSecret: 'a:b'}), /^--api-secret: sample "kubernetes" has no proxy ModelAPI$/)
  })

  it('--set: existing and new leaves, list items, Kind/NAME, YAML values', () => {
    const {docs} = sampleManifests(findSample('agent-network'), {
      set: ['calc.spec.replicas=2', 'Agent/coordinator.spec.agentNetwork.access[0]=mathematician', 'mathematician.spec.config.reasoningLoopMaxSteps=9', 'llm.spec.proxyConfig.models=[a, b]', 'calc.metadata.labels={team: x}'],
    })
    const by = (name: string) => docs.find((d) => d.metadata.name === name) as any
    assert.equal(by('calc').spec.replicas, 2)
    assert.equal(by('mathematician').spec.config.reasoningLoopMaxSteps, 9)
    assert.deepEqual(by('llm').spec.proxyConfig.models, ['a', 'b'])
    assert.deepEqual(by('calc').metadata.labels, {team: 'x'})
    assert.deepEqual(parseSetExpression('x.spec.a[2].b="1"'), {kind: undefined, name: 'x', path: ['spec', 'a', 2, 'b'], value: '1'})
  })

  it('--set: a path that does not exist is one line naming it, with what is there', () => {
    const calc = findSample('calculator')
    invalidInput(() => sampleManifests(calc, {set: ['calculator.spec.contaner.image=x']}), /^--set calculator\.spec\.contaner\.image=x: MCPServer "calculator" has no spec\.contaner \(spec has runtime, params\)$/)
    invalidInput(() => sampleManifests(calc, {set: ['calculater.spec.replicas=2']}), /^--set calculater\.spec\.replicas=2: no document named "calculater"\. Did you mean "calculator"\? Documents: MCPServer\/calculator$/)
    invalidInput(() => sampleManifests(findSample('agent-network'), {set: ['coordinator.spec.agentNetwork.access[3]=x']}), /has no spec\.agentNetwork\.access\[3\] \(the list has 1 item\)$/)
    invalidInput(() => sampleManifests(calc, {set: ['calculator.spec.replicas']}), /^--set calculator\.spec\.replicas: expected \[KIND\/\]NAME\.PATH=VALUE$/)
    invalidInput(() => sampleManifests(calc, {set: ['calculator=2']}), /is not \[KIND\/\]NAME\.PATH/)
    // A new leaf with a typo is caught by the document's own validation, with its did-you-mean.
    invalidInput(() => sampleManifests(calc, {set: ['calculator.spec.replica=2']}), /^sample calculator: MCPServer "calculator": unknown field spec\.replica; did you mean replicas\?$/)
    invalidInput(() => sampleManifests(calc, {set: ['calculator.spec.replicas=many']}), /^sample calculator: MCPServer "calculator": spec\.replicas/)
  })
})

describe('the slack sample\'s Secret', () => {
  const slack = findSample('slack')

  it('from --from-literal, the rest from the environment; labelled as the sample\'s', () => {
    const s = sampleSecret(slack, ['bot-token=xoxb-1'], {SLACK_TEAM_ID: 'T9'})!
    assert.deepEqual(s.data, {'bot-token': Buffer.from('xoxb-1').toString('base64'), 'team-id': Buffer.from('T9').toString('base64')})
    assert.equal(s.metadata.labels!['kaos.tools/sample'], 'slack')
    assert.equal(sampleSecret(slack, [], {}), undefined, 'none given: the cluster\'s Secret is used')
  })

  it('some keys but not all, unknown keys, and literals for a sample without a Secret are errors', () => {
    invalidInput(() => sampleSecret(slack, ['bot-token=x'], {}), /^sample "slack": Secret "slack" needs team-id \(the workspace \(team\) id \(T…\)\) too$/)
    invalidInput(() => sampleSecret(slack, ['bot_token=x'], {}), /has no key "bot_token"\. Did you mean "bot-token"\?/)
    invalidInput(() => sampleSecret(findSample('calculator'), ['a=b'], {}), /^--from-literal: sample "calculator" reads no Secret$/)
    // A malformed literal never echoes its value.
    assert.throws(
      () => sampleSecret(slack, ['xoxb-secret-value'], {}),
      (e: unknown) => e instanceof KaosError && e.exit === 2 && /^--from-literal: expected KEY=VALUE/.test(e.message) && !JSON.stringify(e).includes('xoxb-secret-value') && !e.message.includes('xoxb-secret-value'),
    )
  })
})
