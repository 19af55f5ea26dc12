// kaos apply / delete without a cluster, through the built binary: what a client dry run renders
// for a mixed file, --output-dir, and the refusals that must come before any request.
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {parse, parseAllDocuments} from 'yaml'

import {cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {describeConcurrent} from '../helpers/mocha.js'

const skip = cliUnavailable()
const dir = tempDir('kaos-apply-cli-')
after(() => rmSync(dir, {recursive: true, force: true}))
const TEAM = 'test/fixtures/apply/team.yaml'

const ok = (r: {code: number; stdout: string; stderr: string}) => assert.equal(r.code, 0, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
const file = (name: string, text: string) => {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}

describeConcurrent('kaos apply (offline)', skip, 8, (it) => {
  it('--dry-run renders the Namespace and every kind; the agent reaches the hosted model API on 11434', async () => {
    const r = await runCli(['apply', '-f', TEAM, '--dry-run'])
    ok(r)
    const objects = parseAllDocuments(r.stdout).map((d) => d.toJS())
    assert.equal(`${objects[0].kind}/${objects[0].metadata.name}`, 'Namespace/team')
    assert.deepEqual(
      objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name).sort(),
      ['agent-helper', 'mcpserver-calc', 'modelapi-llm'],
    )
    const agent = objects.find((o) => o.metadata.name === 'agent-helper' && o.kind === 'Deployment')
    const env = Object.fromEntries(agent.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]))
    assert.equal(env.MODEL_API_URL, 'http://modelapi-llm.team.svc.cluster.local:11434')
    assert.equal(env.MCP_SERVER_calc_URL, 'http://mcpserver-calc.team.svc.cluster.local:8000')
    assert.equal(r.stderr, '')
  })

  it('--output-dir writes the Namespace too, with a kustomization listing it first', async () => {
    const out = join(dir, 'out')
    ok(await runCli(['apply', '-f', TEAM, '--output-dir', out]))
    assert.ok(existsSync(join(out, 'namespace-team.yaml')))
    assert.equal(parse(readFileSync(join(out, 'kustomization.yaml'), 'utf8')).resources[0], 'namespace-team.yaml')
    assert.equal(readdirSync(out).length, 8)
  })

  it('--json of a client dry run: documents, objects, namespace', async () => {
    const r = await runCli(['apply', '-f', TEAM, '--dry-run', '--json'])
    ok(r)
    const j = JSON.parse(r.stdout)
    assert.equal(j.dryRun, 'client')
    assert.deepEqual(
      j.documents.map((d: any) => d.kind),
      ['Agent', 'ModelAPI', 'MCPServer'],
    )
    assert.equal(j.objects.length, 7)
  })

  it('-f is required; another Kubernetes kind is refused with the kubectl command, exit 2', async () => {
    const none = await runCli(['apply'])
    assert.equal(none.code, 2)
    assert.match(none.error!, /Missing required flag f/)
    const cm = file('cm.yaml', `${readFileSync(TEAM, 'utf8')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n`)
    const r = await runCli(['apply', '-f', cm, '--dry-run'])
    assert.equal(r.code, 2)
    assert.match(r.error!, /cm\.yaml \(document 5\): v1 ConfigMap "settings" is not a kaos document/)
    assert.deepEqual(r.suggestions, [`Apply it with \`kubectl apply -f ${cm}\`, and keep it in a file of its own.`])
    assert.equal(r.stdout, '')
  })

  it('one invalid document stops the whole file before anything is printed', async () => {
    const bad = file('bad.yaml', `${readFileSync(TEAM, 'utf8')}---\napiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: broken}\nspec: {runtime: rawpyhton, params: x}\n`)
    const r = await runCli(['apply', '-f', bad, '--dry-run'])
    assert.equal(r.code, 2)
    assert.match(r.error!, /MCPServer "broken": spec\.runtime "rawpyhton" is an unknown runtime\. Did you mean "rawpython"\?/)
    assert.equal(r.stdout, '')
  })

  it('kaos mcp deploy -f of the mixed file points at kaos apply', async () => {
    const r = await runCli(['mcp', 'deploy', '-f', TEAM, '--dry-run'])
    assert.equal(r.code, 2)
    assert.match(r.error!, /a v1 Namespace document: `kaos <kind> deploy` takes only kaos documents/)
    assert.match(r.suggestions[0], /kaos apply -f/)
  })

  it('stdin, and a folder with -R', async () => {
    const r = await runCli(['apply', '-f', '-', '--dry-run', '-o', 'json'], {input: readFileSync(TEAM, 'utf8')})
    ok(r)
    assert.equal(JSON.parse(r.stdout).items.length, 7)
    const tree = join(dir, 'tree')
    mkdirSync(join(tree, 'sub'), {recursive: true})
    writeFileSync(join(tree, 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: deep}\n')
    writeFileSync(join(tree, 'sub', 'calc.yaml'), 'apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: calc, namespace: deep}\nspec: {runtime: rawpython, params: "def f(): pass"}\n')
    const flat = await runCli(['apply', '-f', tree, '--dry-run', '-o', 'json'])
    ok(flat)
    assert.deepEqual(JSON.parse(flat.stdout).items.map((o: any) => o.kind), ['Namespace'])
    const deep = await runCli(['apply', '-f', tree, '-R', '--dry-run', '-o', 'json'])
    ok(deep)
    assert.deepEqual(JSON.parse(deep.stdout).items.map((o: any) => o.kind), ['Namespace', 'Deployment', 'Service'])
  })
})

describeConcurrent('kaos delete -f (offline refusals)', skip, 4, (it) => {
  it('-f is required; an invalid document stops before any request (exit 2)', async () => {
    assert.equal((await runCli(['delete'])).code, 2)
    const r = await runCli(['delete', '-f', file('del-bad.yaml', 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n')])
    assert.equal(r.code, 2)
    assert.match(r.error!, /v1 Secret "s" is not a kaos document/)
  })
})
