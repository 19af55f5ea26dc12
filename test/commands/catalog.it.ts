// MCPTool, MCPPrompt and MCPResource documents kept in the cluster, and the gateways that select
// them, against the real API server: apply, list, get, delete, refresh (the gateway's
// configuration and pod template change with what it selects), and nothing half-applied.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {type CliResult, runCli, tempDir} from '../helpers/cli.js'
import {createNamespace, deleteNamespace, kubectl} from '../helpers/kube.js'
import {describeOrSkip} from '../helpers/mocha.js'
import {requireTestbed, testKubeconfig, uniqueNamespace} from '../helpers/testbed.js'

const skip = requireTestbed('cluster')
const KC = testKubeconfig() ?? ''

// The gateway image is checked elsewhere (images.it.ts); here only the objects matter.
function kaos(args: string[], opts: {input?: string} = {}): Promise<CliResult> {
  return runCli([...args, '--kubeconfig', KC], {timeoutMs: 90_000, input: opts.input})
}
function json(r: CliResult): any {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}
function file(text: string): string {
  const p = join(tempDir(), 'doc.yaml')
  writeFileSync(p, text)
  return p
}

const GATEWAY = (name: string, app: string) => `apiVersion: kaos.tools/v1alpha1
kind: MCPServer
metadata: {name: ${name}}
spec:
  runtime: gateway
  toolSelector: {matchLabels: {app: ${app}}}
`
const TOOL = (name: string, app: string, path = `/${name}`) => `apiVersion: kaos.tools/v1alpha1
kind: MCPTool
metadata: {name: ${name}, labels: {app: ${app}}}
spec:
  description: Tool ${name}
  http: {service: {name: items, port: 8080}, path: ${path}}
`
const RESOURCE = (name: string, app: string) => `apiVersion: kaos.tools/v1alpha1
kind: MCPResource
metadata: {name: ${name}, labels: {app: ${app}}}
spec: {uri: "docs://${name}", text: "# ${name}"}
`
const PROMPT = (name: string, app: string, embeds: string) => `apiVersion: kaos.tools/v1alpha1
kind: MCPPrompt
metadata: {name: ${name}, labels: {app: ${app}}}
spec:
  messages: [{role: user, text: "Read this."}, {role: user, resource: "docs://${embeds}"}]
`

function gatewayConfig(ns: string, name: string): any {
  return JSON.parse(kubectl('get', 'cm', `mcpserver-${name}-gateway`, '-n', ns, '-o', 'jsonpath={.data.config\\.json}'))
}
function configHash(ns: string, name: string): string {
  return kubectl('get', 'deploy', `mcpserver-${name}`, '-n', ns, '-o', "jsonpath={.spec.template.metadata.annotations['kaos\\.tools/config-hash']}")
}
const toolNames = (ns: string, gw: string) => (gatewayConfig(ns, gw).tools ?? []).map((t: any) => t.name).sort()

describeOrSkip('catalog documents and gateways against the real API server', skip, function () {
  this.timeout(300_000)
  const ns = uniqueNamespace('catalog')
  const flags = ['-n', ns, '--skip-image-check']
  before(async () => {
    await createNamespace(ns)
    kubectl('create', 'service', 'clusterip', 'items', '--tcp=8080:8080', '-n', ns)
  })
  after(async () => deleteNamespace(ns))

  it('a gateway deployed with its tools; a tool applied later joins it and rolls it; list and get show who serves what', async () => {
    const first = json(await kaos(['mcp', 'deploy', '-f', file(`${GATEWAY('shop', 'shop')}---\n${TOOL('get-item', 'shop')}`), ...flags, '--json']))
    assert.deepEqual(
      first.applied.map((a: any) => `${a.kind}/${a.name}:${a.action}`).sort(),
      ['ConfigMap/mcpserver-shop-gateway:created', 'ConfigMap/mcptool-get-item:created', 'Deployment/mcpserver-shop:created', 'Service/mcpserver-shop:created'],
    )
    assert.deepEqual(toolNames(ns, 'shop'), ['get-item'])
    const hash = configHash(ns, 'shop')

    const applied = json(await kaos(['mcp', 'tool', 'apply', '-f', file(TOOL('search', 'shop')), ...flags, '--json']))
    assert.deepEqual(applied.refreshed, [{name: 'shop', namespace: ns}])
    assert.deepEqual(toolNames(ns, 'shop'), ['get-item', 'search'])
    assert.notEqual(configHash(ns, 'shop'), hash, 'the pod template changed: the gateway rolls')

    // Applying the same again changes nothing.
    const again = json(await kaos(['mcp', 'tool', 'apply', '-f', file(TOOL('search', 'shop')), ...flags, '--json']))
    assert.ok(again.applied.every((a: any) => a.action === 'unchanged'), JSON.stringify(again.applied))

    const list = json(await kaos(['mcp', 'tool', 'list', '-n', ns, '--json']))
    assert.deepEqual(list.items.map((i: any) => [i.name, i.mcpName, i.target, i.gateways]), [
      ['get-item', 'get-item', 'GET svc/items:8080/get-item', ['shop']],
      ['search', 'search', 'GET svc/items:8080/search', ['shop']],
    ])
    const table = await kaos(['mcp', 'tool', 'list', '-n', ns])
    assert.match(table.stdout, /^NAME\s+TOOL\s+CALLS\s+GATEWAYS\s+AGE\nget-item\s+get-item\s+GET svc\/items:8080\/get-item\s+shop\s/)
    const got = json(await kaos(['mcp', 'tool', 'get', 'search', '-n', ns, '--json']))
    assert.deepEqual(got.metadata, {name: 'search', namespace: ns, labels: {app: 'shop'}})
    assert.deepEqual(got.status, {gateways: ['shop']})
    const missing = await kaos(['mcp', 'tool', 'get', 'nope', '-n', ns])
    assert.equal(missing.code, 8, missing.stderr)
    assert.match(missing.stderr, /MCPTool "nope" not found in namespace/)
  })

  it('a label change moves a tool from one gateway to another; both are refreshed', async () => {
    json(await kaos(['mcp', 'deploy', '-f', file(GATEWAY('billing', 'billing')), ...flags, '--json']))
    const moved = json(await kaos(['mcp', 'tool', 'apply', '-f', file(TOOL('search', 'billing')), ...flags, '--json']))
    assert.deepEqual(moved.refreshed.map((g: any) => g.name).sort(), ['billing', 'shop'])
    assert.deepEqual(toolNames(ns, 'shop'), ['get-item'])
    assert.deepEqual(toolNames(ns, 'billing'), ['search'])
  })

  it('--no-refresh stores the document and leaves the gateways as they are', async () => {
    const before = configHash(ns, 'shop')
    const r = json(await kaos(['mcp', 'tool', 'apply', '-f', file(TOOL('later', 'shop')), ...flags, '--no-refresh', '--json']))
    assert.deepEqual(r.refreshed, [])
    assert.equal(configHash(ns, 'shop'), before)
    assert.deepEqual(toolNames(ns, 'shop'), ['get-item'])
    // The next deploy of the gateway picks it up from the cluster.
    json(await kaos(['mcp', 'deploy', '-f', file(GATEWAY('shop', 'shop')), ...flags, '--json']))
    assert.deepEqual(toolNames(ns, 'shop'), ['get-item', 'later'])
  })

  it('delete removes the document and refreshes the gateways that served it; 404 is exit 8 unless --ignore-not-found', async () => {
    const r = json(await kaos(['mcp', 'tool', 'delete', 'later', ...flags, '--json']))
    assert.deepEqual(r.deleted, [{kind: 'ConfigMap', name: 'mcptool-later', namespace: ns}])
    assert.deepEqual(r.refreshed, [{name: 'shop', namespace: ns}])
    assert.deepEqual(toolNames(ns, 'shop'), ['get-item'])
    const gone = await kaos(['mcp', 'tool', 'delete', 'later', ...flags])
    assert.equal(gone.code, 8, gone.stderr)
    assert.equal((await kaos(['mcp', 'tool', 'delete', 'later', ...flags, '--ignore-not-found'])).code, 0)
  })

  it('nothing half-applied: a resource a selected prompt embeds cannot be deleted, a tool calling a missing Service is refused', async () => {
    json(await kaos(['mcp', 'deploy', '-f', file(`${RESOURCE('runbook', 'shop')}---\n${PROMPT('triage', 'shop', 'runbook')}`), ...flags, '--json']))
    json(await kaos(['mcp', 'deploy', '-f', file(GATEWAY('shop', 'shop')), ...flags, '--json']))
    assert.deepEqual(gatewayConfig(ns, 'shop').prompts.map((p: any) => p.name), ['triage'])

    const refused = await kaos(['mcp', 'resource', 'delete', 'runbook', ...flags])
    assert.equal(refused.code, 2, refused.stderr)
    assert.match(refused.stderr, /MCPPrompt "triage" spec\.messages\[1\]\.resource: docs:\/\/runbook is not one of this gateway's resources/)
    assert.equal(kubectl('get', 'cm', 'mcpresource-runbook', '-n', ns, '-o', 'name').trim(), 'configmap/mcpresource-runbook', 'still there')

    const before = kubectl('get', 'cm', '-n', ns, '-o', 'name')
    const bad = await kaos(['mcp', 'tool', 'apply', '-f', file(TOOL('orders', 'shop').replace('name: items', 'name: orders')), ...flags])
    assert.equal(bad.code, 8, bad.stderr)
    assert.match(bad.stderr, /MCPServer "shop": tool "orders" calls Service "orders" in namespace "[^"]+", which does not exist/)
    assert.equal(kubectl('get', 'cm', '-n', ns, '-o', 'name'), before, 'no ConfigMap written')
  })

  it('kinds go to their own command', async () => {
    const r = await kaos(['mcp', 'prompt', 'apply', '-f', file(TOOL('x', 'shop')), ...flags])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /MCPTool "x" cannot be applied with `kaos mcp prompt apply`/)
  })
})
