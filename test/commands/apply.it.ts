// kaos apply -f / delete -f against the real control plane (test/cluster): a mixed file with a
// plain Namespace, dependency order, one wait for all, nothing applied when one object or one
// reference is wrong, and deletes in reverse order.
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {type CliResult, runCli, tempDir} from '../helpers/cli.js'
import {createNamespace, deleteNamespace, kubectl} from '../helpers/kube.js'
import {describeOrSkip} from '../helpers/mocha.js'
import {ensureOwnImages} from '../helpers/own-images.js'
import {requireTestbed, testKubeconfig, uniqueNamespace} from '../helpers/testbed.js'

const skip = requireTestbed('cluster')
const KC = testKubeconfig() ?? ''

function kaos(args: string[], opts: {timeoutMs?: number; input?: string} = {}): Promise<CliResult> {
  return runCli([...args, '--kubeconfig', KC], {timeoutMs: opts.timeoutMs ?? 120_000, input: opts.input})
}

function json(r: CliResult): any {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

/** The fixture with its namespace renamed (every test gets its own). */
function teamFile(ns: string, extra = ''): string {
  const p = join(tempDir(), 'team.yaml')
  writeFileSync(p, readFileSync('test/fixtures/apply/team.yaml', 'utf8').replaceAll('team', ns).replaceAll(`${ns}.yaml`, 'team.yaml') + extra)
  return p
}

/** There and not being deleted. */
const namespaceExists = (ns: string) => ['Active', ''].includes(kubectl('get', 'namespace', ns, '--ignore-not-found', '-o', 'jsonpath={.status.phase}').trim()) && kubectl('get', 'namespace', ns, '--ignore-not-found', '-o', 'name').trim() !== ''
const deploymentsIn = (ns: string) => (namespaceExists(ns) ? kubectl('get', 'deploy', '-n', ns, '-o', 'name').split('\n').filter(Boolean).sort() : [])

describeOrSkip('kaos apply -f / delete -f on the real API server', skip, function () {
  this.timeout(600_000)
  before(async () => ensureOwnImages(['rawpython']))
  const made: string[] = []
  const ns = (prefix: string) => {
    const n = uniqueNamespace(prefix)
    made.push(n)
    return n
  }
  after(async () => Promise.all(made.map((n) => deleteNamespace(n))))

  it('a mixed file: Namespace first, model API and MCP server before the agent, one wait for all; again: unchanged; delete -f agents first', async () => {
    const n = ns('apply')
    const f = teamFile(n)
    const r = json(await kaos(['apply', '-f', f, '--wait', '--timeout', '90s', '--json']))
    const order = r.applied.map((a: any) => `${a.kind}/${a.name}:${a.action}`)
    assert.equal(order[0], `Namespace/${n}:created`)
    const agentAt = order.indexOf('Deployment/agent-helper:created')
    for (const dep of ['Deployment/modelapi-llm:created', 'Deployment/mcpserver-calc:created', 'Service/modelapi-llm:created', 'Service/mcpserver-calc:created'])
      assert.ok(order.indexOf(dep) > 0 && order.indexOf(dep) < agentAt, `${dep} before the agent: ${order.join(' ')}`)
    assert.deepEqual(r.ready.map((x: any) => `${x.name}:${x.ready}`).sort(), ['agent-helper:true', 'mcpserver-calc:true', 'modelapi-llm:true'])
    assert.deepEqual(deploymentsIn(n), ['deployment.apps/agent-helper', 'deployment.apps/mcpserver-calc', 'deployment.apps/modelapi-llm'])
    // The agent reaches the hosted model API on its own port.
    const env = JSON.parse(kubectl('get', 'deploy', 'agent-helper', '-n', n, '-o', 'jsonpath={.spec.template.spec.containers[0].env}'))
    assert.equal(env.find((e: any) => e.name === 'MODEL_API_URL').value, `http://modelapi-llm.${n}.svc.cluster.local:11434`)

    const again = json(await kaos(['apply', '-f', f, '--json']))
    assert.ok(again.applied.every((a: any) => a.action === 'unchanged'), JSON.stringify(again.applied))

    const del = json(await kaos(['delete', '-f', f, '--wait', '--json']))
    const kinds = del.deleted.map((d: any) => `${d.kind}/${d.name}`)
    const agentDeleted = kinds.indexOf('Deployment/agent-helper')
    assert.ok(agentDeleted >= 0 && agentDeleted < kinds.indexOf('Deployment/modelapi-llm') && agentDeleted < kinds.indexOf('Deployment/mcpserver-calc'), kinds.join(' '))
    assert.deepEqual(del.keptNamespaces, [n])
    assert.deepEqual(deploymentsIn(n), [])
    assert.ok(namespaceExists(n), 'delete -f leaves namespaces alone')
    // Gone: not found (exit 8) unless --ignore-not-found.
    const gone = await kaos(['delete', '-f', f])
    assert.equal(gone.code, 8)
    assert.match(gone.error!, /^Agent "helper" not found in namespace ".*" \(nothing was deleted\)$/)
    assert.equal((await kaos(['delete', '-f', f, '--ignore-not-found'])).code, 0)
  })

  it('an object the API server rejects: nothing applied, and the Namespace the file would create is not left behind', async () => {
    const n = ns('apply-bad')
    // Valid for kaos and the schema; only the API server knows dnsPolicy None needs dnsConfig.
    const bad = `---\napiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: bad, namespace: ${n}}\nspec:\n  runtime: rawpython\n  params: "def f(): pass"\n  podSpec: {dnsPolicy: None}\n`
    const r = await kaos(['apply', '-f', teamFile(n, bad)])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.error!, /the API server rejected Deployment\/mcpserver-bad/)
    assert.ok(!namespaceExists(n), 'the namespace created for the dry run is gone again')
  })

  it('an agent naming a model API that is neither in the input nor in the cluster: exit 8 before anything is applied; --skip-dependency-check applies it', async () => {
    const n = ns('apply-dep')
    await createNamespace(n)
    const f = join(tempDir(), 'agent.yaml')
    writeFileSync(
      f,
      `apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: calc}\nspec: {runtime: rawpython, params: "def f(): pass"}\n---\napiVersion: kaos.tools/v1alpha1\nkind: Agent\nmetadata: {name: bot}\nspec: {modelAPI: nowhere, model: m, mcpServers: [calc]}\n`,
    )
    const r = await kaos(['apply', '-f', f, '-n', n])
    assert.equal(r.code, 8, r.stderr)
    assert.match(r.error!, /Agent "bot": spec\.modelAPI names ModelAPI "nowhere", which is neither in the input nor in namespace "/)
    assert.deepEqual(deploymentsIn(n), [], 'nothing applied, not even the MCP server')
    // The per-kind command deploys one kind at a time, in any order: a warning there.
    const agentOnly = await kaos(['agent', 'deploy', 'solo', '--model-api', 'nowhere', '--model', 'm', '-n', n, '--json'])
    assert.match(json(agentOnly).warnings.join('\n'), /spec\.modelAPI names ModelAPI "nowhere".*it will not be reachable until you deploy it/)
    json(await kaos(['apply', '-f', f, '-n', n, '--skip-dependency-check', '--json']))
    assert.deepEqual(deploymentsIn(n), ['deployment.apps/agent-bot', 'deployment.apps/agent-solo', 'deployment.apps/mcpserver-calc'])
    // A model API already in the cluster satisfies the reference.
    json(await kaos(['modelapi', 'deploy', 'nowhere', '--mode', 'Hosted', '--model', 'm', '-n', n, '--json']))
    const ok = json(await kaos(['apply', '-f', f, '-n', n, '--json']))
    // No warning left: not the dependency's, nor one about the agent's public image (on no node
    // of the bed's kind cluster, but kind nodes pull Docker Hub images like any other).
    assert.deepEqual(ok.warnings, [])
  })

  it('--dry-run=server of a file whose Namespace does not exist: validated as far as the server can, nothing created', async () => {
    const n = ns('apply-dry')
    const r = json(await kaos(['apply', '-f', teamFile(n), '--dry-run=server', '--json']))
    assert.equal(r.dryRun, 'server')
    assert.ok(r.applied.every((a: any) => a.action === 'created'))
    assert.match(r.warnings.join('\n'), new RegExp(`namespace ${n} does not exist yet: the objects in it were checked offline only`))
    assert.ok(!namespaceExists(n))
    // Without the Namespace document, a missing namespace is exit 8 with the ways to get one.
    const noNs = join(tempDir(), 'calc.yaml')
    writeFileSync(noNs, `apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: calc}\nspec: {runtime: rawpython, params: "def f(): pass"}\n`)
    const missing = await kaos(['apply', '-f', noNs, '-n', n])
    assert.equal(missing.code, 8)
    assert.match(missing.error!, new RegExp(`^namespace "${n}" does not exist$`))
    json(await kaos(['apply', '-f', noNs, '-n', n, '--create-namespace', '--wait', '--json']))
    assert.deepEqual(deploymentsIn(n), ['deployment.apps/mcpserver-calc'])
  })

  it('a Secret referenced in a namespace that does not exist yet: exit 8 before any namespace is created, dry run or not', async () => {
    const n = ns('apply-newsecret')
    const file = join(tempDir(), 'llm.yaml')
    writeFileSync(
      file,
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${n}}\n---\napiVersion: kaos.tools/v1alpha1\nkind: ModelAPI\nmetadata: {name: llm, namespace: ${n}}\nspec:\n  mode: Proxy\n  proxyConfig:\n    models: [gpt-4o]\n    provider: openai\n    apiKey: {valueFrom: {secretKeyRef: {name: llm-creds, key: api-key}}}\n`,
    )
    for (const args of [['--dry-run=server'], []]) {
      const r = await kaos(['apply', '-f', file, ...args])
      assert.equal(r.code, 8, `${args}: ${r.stderr}`)
      assert.match(r.error!, new RegExp(`^Secret "llm-creds" in namespace "${n}" does not exist \\(needed by modelapi-llm/\\S+ env \\S+\\); nor does the namespace yet$`))
      assert.match(r.suggestions[0], new RegExp(`^Create both first \\(kubectl create namespace ${n}, then kubectl create secret generic llm-creds -n ${n} `))
      assert.ok(!namespaceExists(n), 'no namespace left behind')
    }
    // Made as the suggestion says, the same file goes through.
    kubectl('create', 'namespace', n)
    kubectl('create', 'secret', 'generic', 'llm-creds', '-n', n, '--from-literal=api-key=sk-test')
    json(await kaos(['apply', '-f', file, '--dry-run=server', '--json']))
  })
})
