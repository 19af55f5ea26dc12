// kaos samples against the real control plane (test/cluster). Every sample passes the API
// server's dry run. Deployed for real: the calculator (the pod runner runs the real rawpython
// server: Ready means its readiness probe ran a real tools/list), the kubernetes sample (the real
// kubernetes-mcp-server with the pod's service-account token: the RBAC samples deploy adds is
// what lets it list pods, and only in its namespace), slack (the real slack-mcp-server, its Secret
// from flags) and mock-agent (real LiteLLM answering from mock_response with no API key). Agents
// run the KAOS agent image, which this test bed does not run yet: their pods are made Ready by
// kwok, so for agents only the render and the server's dry run are evidence.
import assert from 'node:assert/strict'

import {type CliResult, runCli} from '../helpers/cli.js'
import {createNamespace, deleteNamespace, kubectl} from '../helpers/kube.js'
import {describeOrSkip} from '../helpers/mocha.js'
import {ensureOwnImages} from '../helpers/own-images.js'
import {requireTestbed, testKubeconfig, uniqueNamespace} from '../helpers/testbed.js'

const skip = requireTestbed('cluster')
const KC = testKubeconfig() ?? ''
const SAMPLES = ['calculator', 'kubernetes', 'mock-agent', 'agent-network', 'slack']

function kaos(args: string[], opts: {timeoutMs?: number; env?: Record<string, string>} = {}): Promise<CliResult> {
  return runCli([...args, '--kubeconfig', KC], {timeoutMs: opts.timeoutMs ?? 180_000, env: opts.env})
}

function json(r: CliResult): any {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

const names = (ns: string, kinds: string) => kubectl('get', kinds, '-n', ns, '-o', 'name').split('\n').filter(Boolean).sort()

describeOrSkip('kaos samples on the real API server', skip, function () {
  this.timeout(900_000)
  const ns = uniqueNamespace('samples')
  before(async () => {
    await ensureOwnImages(['rawpython'])
    await createNamespace(ns)
  })
  after(async () => deleteNamespace(ns))

  for (const s of SAMPLES)
    it(`${s}: passes the API server's dry run (nothing written)`, async () => {
      const r = json(await kaos(['samples', 'deploy', s, '-n', ns, '--dry-run=server', '--json', ...(s === 'slack' ? ['--from-literal', 'bot-token=xoxb-x', '--from-literal', 'team-id=T1'] : [])]))
      assert.equal(r.dryRun, 'server')
      assert.ok(r.applied.length >= 2)
      assert.ok(r.applied.every((a: any) => a.action === 'created'), JSON.stringify(r.applied))
      if (s === 'kubernetes') assert.deepEqual(r.applied.filter((a: any) => a.kind.startsWith('Role')).map((a: any) => a.kind), ['Role', 'RoleBinding'])
      assert.deepEqual(names(ns, 'deploy,secret,role'), [])
    })

  it('calculator: deploy --wait becomes Ready, its tools answer, delete --wait removes it', async () => {
    const r = json(await kaos(['samples', 'deploy', 'calculator', '-n', ns, '--wait', '--timeout', '120s', '--json']))
    assert.deepEqual(r.ready.map((x: any) => `${x.name}:${x.ready}`), ['mcpserver-calculator:true'])
    const call = json(await kaos(['mcp', 'invoke', 'calculator', '-n', ns, '--tool', 'multiply', '--arg', 'a=6', '--arg', 'b=7', '--json']))
    assert.equal(call.isError, false)
    assert.match(JSON.stringify(call.content), /42/)
    const del = json(await kaos(['samples', 'delete', 'calculator', '-n', ns, '--wait', '--json']))
    assert.deepEqual(del.deleted.map((d: any) => d.kind).sort(), ['Deployment', 'Service'])
    assert.equal((await kaos(['samples', 'delete', 'calculator', '-n', ns])).code, 8)
    assert.equal((await kaos(['samples', 'delete', 'calculator', '-n', ns, '--ignore-not-found'])).code, 0)
  })

  it('kubernetes: the RBAC samples deploy adds lets the server read its own namespace only; samples delete removes it too', async () => {
    json(await kaos(['samples', 'deploy', 'kubernetes', '-n', ns, '--wait', '--timeout', '120s', '--json']))
    assert.deepEqual(names(ns, 'role,rolebinding'), ['role.rbac.authorization.k8s.io/mcpserver-k8s', 'rolebinding.rbac.authorization.k8s.io/mcpserver-k8s'])
    const own = json(await kaos(['mcp', 'invoke', 'k8s', '-n', ns, '--tool', 'pods_list_in_namespace', '--arg', `namespace=${ns}`, '--json']))
    assert.notEqual(own.isError, true, JSON.stringify(own))
    assert.match(JSON.stringify(own.content), /mcpserver-k8s-/)
    const other = await kaos(['mcp', 'invoke', 'k8s', '-n', ns, '--tool', 'pods_list_in_namespace', '--arg', 'namespace=kube-system'])
    assert.equal(other.code, 6)
    assert.match(other.error!, /forbidden/)
    json(await kaos(['samples', 'delete', 'kubernetes', '-n', ns, '--wait', '--json']))
    assert.deepEqual(names(ns, 'role,rolebinding,deploy'), [])
  })

  it('slack: its Secret from --from-literal (never in the file), kept on a later deploy without values, deleted with the sample', async () => {
    const missing = await kaos(['samples', 'deploy', 'slack', '-n', ns])
    assert.equal(missing.code, 8)
    assert.match(missing.error!, /^Secret "slack" in namespace ".*" does not exist/)
    assert.match(missing.suggestions.join(' '), /--from-literal bot-token=… \(or \$SLACK_BOT_TOKEN\)/)
    json(await kaos(['samples', 'deploy', 'slack', '-n', ns, '--from-literal', 'bot-token=xoxb-test', '--wait', '--timeout', '120s', '--json'], {env: {SLACK_TEAM_ID: 'T0TEST'}}))
    assert.equal(Buffer.from(kubectl('get', 'secret', 'slack', '-n', ns, '-o', 'jsonpath={.data.team-id}'), 'base64').toString(), 'T0TEST')
    const again = json(await kaos(['samples', 'deploy', 'slack', '-n', ns, '--json']))
    assert.ok(again.applied.every((a: any) => a.action === 'unchanged'))
    const tools = json(await kaos(['mcp', 'invoke', 'slack', '-n', ns, '--json']))
    assert.ok(tools.tools.length > 0)
    const del = json(await kaos(['samples', 'delete', 'slack', '-n', ns, '--json']))
    assert.deepEqual(del.extras, [{kind: 'Secret', name: 'slack', namespace: ns}])
    assert.deepEqual(names(ns, 'secret,deploy').filter((n) => !n.includes('default-token')), [])
  })

  it('mock-agent: LiteLLM answers from the mock with no API key; the agent is deployed after its model API', async () => {
    const r = json(await kaos(['samples', 'deploy', 'mock-agent', '-n', ns, '--wait', '--timeout', '180s', '--json']))
    const order = r.applied.map((a: any) => `${a.kind}/${a.name}`)
    assert.ok(order.indexOf('Deployment/modelapi-llm') < order.indexOf('Deployment/agent-assistant'), order.join(' '))
    const answer = await kaos(['modelapi', 'invoke', 'llm', '-n', ns, '-m', 'Hello'])
    assert.equal(answer.code, 0, answer.stderr)
    assert.match(answer.stdout, /I am a mock model/)
    json(await kaos(['samples', 'delete', 'mock-agent', '-n', ns, '--wait', '--json']))
  })
})
