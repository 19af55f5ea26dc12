// What an upstream KAOS user types, offline through the built CLI: upstream's flag spellings next
// to kaos's (help shows kaos's), and their files through `kaos apply --dry-run` with the warnings
// for what kaos does not act on.
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {parseAllDocuments} from 'yaml'

import {ROOT, cliUnavailable, runCli} from '../helpers/cli.js'
import {describeConcurrent} from '../helpers/mocha.js'

const skip = cliUnavailable()
const UPSTREAM = join(ROOT, 'test', 'fixtures', 'upstream')
const ok = (r: {code: number; stdout: string; stderr: string}) => assert.equal(r.code, 0, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
const objects = (text: string) => parseAllDocuments(text).map((d) => d.toJS())
const envOf = (o: any) => Object.fromEntries(o.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]))

describeConcurrent('upstream KAOS spellings of flags', skip, 6, (it) => {
  it('agent deploy --modelapi, --mcp, --sub-agent and --wait-timeout do what --model-api, --mcp-server, --peer and --timeout do', async () => {
    const up = await runCli(['agent', 'deploy', 'a', '--modelapi', 'llm', '--model', 'm', '--mcp', 'tools', '--sub-agent', 'b', '--wait-timeout', '30', '--dry-run'])
    const own = await runCli(['agent', 'deploy', 'a', '--model-api', 'llm', '--model', 'm', '--mcp-server', 'tools', '--peer', 'b', '--timeout', '30s', '--dry-run'])
    ok(up)
    assert.equal(up.stdout, own.stdout)
    const env = envOf(objects(up.stdout).find((o) => o.kind === 'Deployment'))
    assert.equal(env.PEER_AGENTS, 'b')
    assert.equal(env.MCP_SERVERS, 'tools')
  })

  it('modelapi deploy --api-secret NAME:KEY is --api-key-secret', async () => {
    const r = await runCli(['modelapi', 'deploy', 'llm', '--mode', 'Proxy', '--model', 'gpt-4.1', '--provider', 'openai', '--api-secret', 'openai-creds:api-key', '--dry-run'])
    ok(r)
    const d = objects(r.stdout).find((o) => o.kind === 'Deployment')
    assert.deepEqual(envOf(d).MODEL_API_KEY, {secretKeyRef: {name: 'openai-creds', key: 'api-key'}})
  })

  it('help shows kaos spellings only', async () => {
    const agent = await runCli(['agent', 'deploy', '--help'])
    assert.match(agent.stdout, /--peer=<value>/)
    assert.doesNotMatch(agent.stdout, /sub-agent|--modelapi|wait-timeout/)
    const api = await runCli(['modelapi', 'deploy', '--help'])
    assert.match(api.stdout, /--api-key-secret=<value>/)
    assert.doesNotMatch(api.stdout, /--api-secret/)
  })

  it('--wait-timeout takes upstream\'s whole seconds and refuses what is no duration', async () => {
    const r = await runCli(['agent', 'deploy', 'a', '--modelapi', 'llm', '--model', 'm', '--wait-timeout', 'soon'])
    assert.equal(r.code, 2)
    assert.match(r.error ?? '', /--timeout "soon" is not a duration/)
  })
})

describeConcurrent('kaos apply --dry-run of upstream files', skip, 4, (it) => {
  it('sample 6: its ServiceAccount, Role and RoleBinding first, params of the kubernetes runtime a warning', async () => {
    const r = await runCli(['apply', '-f', join(UPSTREAM, '6-watcher.yaml'), '--dry-run', '-n', 'watch'])
    ok(r)
    const objs = objects(r.stdout)
    assert.deepEqual(objs.slice(0, 3).map((o) => `${o.kind}/${o.metadata.name}/${o.metadata.namespace}`), ['ServiceAccount/watcher-sa/watch', 'Role/watcher-read/watch', 'RoleBinding/watcher-read/watch'])
    assert.match(r.stderr, /MCPServer "watcher-k8s": spec\.params ignored: runtime "kubernetes" takes no params/)
    const mcp = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'mcpserver-watcher-k8s')
    assert.equal(mcp.spec.template.spec.serviceAccountName, 'watcher-sa')
  })

  it('sample 7: MemoryStore and AccessGrant skipped with the reason, memory-store fields named', async () => {
    const r = await runCli(['apply', '-f', join(UPSTREAM, '7-memory.yaml'), '--dry-run'])
    ok(r)
    assert.match(r.stderr, /MemoryStore "helpdesk-memory" skipped: it needs upstream KAOS's memory service/)
    assert.match(r.stderr, /AccessGrant "staff-to-desk" skipped/)
    assert.match(r.stderr, /Agent "desk-user": spec\.config\.memory\.type: remote, spec\.config\.memory\.memoryStore, .* ignored/)
  })

  it('kaos agent deploy -f of a file with a MemoryStore points at kaos apply', async () => {
    const r = await runCli(['agent', 'deploy', '-f', join(UPSTREAM, '7-memory.yaml'), '--dry-run'])
    assert.equal(r.code, 2)
    assert.match(r.error ?? '', /MemoryStore "helpdesk-memory": it needs upstream KAOS's memory service/)
    assert.match(r.suggestions.join('\n'), /kaos apply -f/)
  })

  it('an exported document: status and server metadata dropped with a warning', async () => {
    const r = await runCli(['apply', '-f', join(UPSTREAM, 'exported.yaml'), '--dry-run'])
    ok(r)
    assert.match(r.stderr, /Agent "exported-agent": status ignored/)
    assert.match(r.stderr, /metadata\.uid, metadata\.resourceVersion, metadata\.generation, metadata\.creationTimestamp, metadata\.finalizers ignored/)
  })
})
