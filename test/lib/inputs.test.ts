import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {
  agentFromFlags,
  envFromFlags,
  mcpServerFromFlags,
  modelAPIFromFlags,
  parseSecretKeyRef,
  readDocumentFiles,
  requireKind,
} from '../../src/lib/inputs.js'
import {invalidInput} from '../helpers/assert.js'


const dir = mkdtempSync(join(tmpdir(), 'kaos-inputs-'))
after(() => rmSync(dir, {recursive: true, force: true}))

describe('env flags', () => {
  it('--env and --secret-env become env entries in order', () => {
    assert.deepEqual(envFromFlags(['A=1', 'B=two=2'], ['S=slack/bot-token', 'T=cfg:team.id']), [
      {name: 'A', value: '1'},
      {name: 'B', value: 'two=2'},
      {name: 'S', valueFrom: {secretKeyRef: {name: 'slack', key: 'bot-token'}}},
      {name: 'T', valueFrom: {secretKeyRef: {name: 'cfg', key: 'team.id'}}},
    ])
    assert.deepEqual(envFromFlags(), [])
  })
  it('rejects bad syntax', () => {
    invalidInput(() => envFromFlags(['FOO']), /--env "FOO" is not KEY=VALUE/)
    invalidInput(() => envFromFlags([], ['S=nokey']), /^--secret-env S=nokey: expected SECRET\/KEY/)
    invalidInput(() => envFromFlags([], ['S']), /--secret-env "S" is not KEY=VALUE/)
    invalidInput(() => parseSecretKeyRef('Upper/key', '--api-key-secret'), /^--api-key-secret Upper\/key: expected SECRET\/KEY/)
  })
})

describe('documents from flags', () => {
  it('mcp: runtime, params, image, env, sa, replicas', () => {
    const d = mcpServerFromFlags('calc', {runtime: 'rawpython', params: 'code: pass', image: 'x:1', env: ['A=1'], 'secret-env': ['B=s/k'], 'env-from-secret': ['all'], sa: 'runner', replicas: 2})
    assert.deepEqual(d, {
      apiVersion: 'kaos.tools/v1alpha1',
      kind: 'MCPServer',
      metadata: {name: 'calc'},
      spec: {
        runtime: 'rawpython',
        params: 'code: pass',
        container: {image: 'x:1', env: [{name: 'A', value: '1'}, {name: 'B', valueFrom: {secretKeyRef: {name: 's', key: 'k'}}}], envFrom: [{secretRef: {name: 'all'}}]},
        serviceAccountName: 'runner',
        replicas: 2,
      },
    })
  })
  it('mcp: --arg becomes the container args, beside the image and env', () => {
    const d = mcpServerFromFlags('web', {runtime: 'fetch', arg: ['--allow-private-ips', '--user-agent=kaos'], env: ['A=1']})
    assert.deepEqual(d.spec.container, {env: [{name: 'A', value: '1'}], args: ['--allow-private-ips', '--user-agent=kaos']})
    assert.equal(mcpServerFromFlags('web', {runtime: 'fetch'}).spec.container, undefined)
  })
  it('mcp: --params-file is read; conflicts and missing files are errors', () => {
    const f = join(dir, 'tools.py')
    writeFileSync(f, 'def f(): pass\n')
    assert.equal(mcpServerFromFlags('calc', {runtime: 'rawpython', 'params-file': f}).spec.params, 'def f(): pass\n')
    invalidInput(() => mcpServerFromFlags('calc', {runtime: 'rawpython', params: 'x', 'params-file': f}), /mutually exclusive/)
    invalidInput(() => mcpServerFromFlags('calc', {runtime: 'rawpython', 'params-file': join(dir, 'nope.py')}), /^--params-file .*nope\.py does not exist$/)
    invalidInput(() => mcpServerFromFlags('calc', {}), /--runtime is required/)
    invalidInput(() => mcpServerFromFlags('Bad_Name', {runtime: 'rawpython'}), /metadata\.name "Bad_Name" must be a DNS-1123 label/)
  })
  it('agent: MCP servers, peers, config', () => {
    const d = agentFromFlags('helper', {'model-api': 'llm', model: 'gpt-4o', 'mcp-server': ['a', 'b'], peer: ['p'], description: 'd', instructions: 'i', 'max-steps': 3})
    assert.deepEqual(d.spec, {modelAPI: 'llm', model: 'gpt-4o', mcpServers: ['a', 'b'], agentNetwork: {access: ['p']}, config: {description: 'd', instructions: 'i', reasoningLoopMaxSteps: 3}})
    invalidInput(() => agentFromFlags('helper', {model: 'x'}), /--model-api and --model are required/)
  })
  it('modelapi: modes are case-insensitive; Proxy needs models; Hosted takes one', () => {
    const p = modelAPIFromFlags('llm', {mode: 'proxy', model: ['a', 'b'], provider: 'openai', 'api-base': 'https://x.example/v1', 'api-key-secret': 'openai/key'})
    assert.deepEqual(p.spec, {mode: 'Proxy', proxyConfig: {models: ['a', 'b'], provider: 'openai', apiBase: 'https://x.example/v1', apiKey: {valueFrom: {secretKeyRef: {name: 'openai', key: 'key'}}}}})
    assert.deepEqual(modelAPIFromFlags('o', {mode: 'HOSTED', model: ['m']}).spec, {mode: 'Hosted', hostedConfig: {model: 'm'}})
    invalidInput(() => modelAPIFromFlags('o', {mode: 'Weird', model: ['m']}), /--mode must be Proxy or Hosted \(got "Weird"\)/)
    invalidInput(() => modelAPIFromFlags('o', {model: ['m']}), /--mode must be Proxy or Hosted$/)
    invalidInput(() => modelAPIFromFlags('o', {mode: 'Proxy'}), /--model is required/)
    invalidInput(() => modelAPIFromFlags('o', {mode: 'Hosted', model: ['a', 'b']}), /serves one model/)
    invalidInput(() => modelAPIFromFlags('o', {mode: 'Proxy', model: ['a'], 'api-base': 'not a url'}), /apiBase/)
  })
})

describe('readDocumentFiles and requireKind', () => {
  const mcp = (name: string) => `apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: ${name}}\nspec: {runtime: rawpython}\n`
  it('reads files and stdin in order', () => {
    const f = join(dir, 'a.yaml')
    writeFileSync(f, mcp('a'))
    const docs = readDocumentFiles([f, '-'], {stdin: () => mcp('b')})
    assert.deepEqual(docs.map((d) => d.metadata.name), ['a', 'b'])
    invalidInput(() => readDocumentFiles(['-'], {stdin: () => ''}), /^<stdin>: no documents found/)
  })
  it('a missing file is an error naming it', () => {
    invalidInput(() => readDocumentFiles([join(dir, 'missing.yaml')]), /^-f .*missing\.yaml does not exist$/)
  })
  it('requireKind points at the right command', () => {
    const f = join(dir, 'agent.yaml')
    writeFileSync(f, 'apiVersion: kaos.tools/v1alpha1\nkind: Agent\nmetadata: {name: bot}\nspec: {modelAPI: llm, model: m}\n')
    const docs = readDocumentFiles([f])
    invalidInput(() => requireKind(docs, 'MCPServer'), /^Agent "bot" cannot be deployed with `kaos mcp deploy`$/)
    requireKind(docs, 'Agent')
  })
})
