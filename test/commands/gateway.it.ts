// kaos's gateway on the test bed with real processes (issue 17): the pod runner runs the gateway
// (dist/gateway/gateway.mjs) and the HTTP services its tools call (test/cluster/testdata/
// http-service.mjs) as pods, and serves their Services as a cluster does (names, ClusterIPs,
// round-robin over Ready endpoints), so the gateway reaches `items.<ns>.svc.cluster.local` as it
// would on kind. Each test has its own namespace.
import assert from 'node:assert/strict'
import {execFileSync, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {forwardWorkload} from '../../src/lib/cluster/portforward.js'
import {type CliResult, ROOT, cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {admin, createNamespace, deleteNamespace, kubectl} from '../helpers/kube.js'
import {describeOrSkip} from '../helpers/mocha.js'
import {ensureOwnImages} from '../helpers/own-images.js'
import {httpServiceManifest, requireServiceNames, requireTestbed, testKubeconfig, testbedDir, uniqueNamespace} from '../helpers/testbed.js'

const skip = cliUnavailable() || requireTestbed('cluster') || requireServiceNames()
const KC = testKubeconfig() ?? ''
const FIXTURES = join(ROOT, 'test', 'fixtures', 'gateway-on-cluster')

function kaos(args: string[], ns: string, timeoutMs = 120_000): Promise<CliResult> {
  return runCli([...args, '-n', ns, '--kubeconfig', KC], {timeoutMs})
}

function file(text: string, name = 'doc.yaml'): string {
  const p = join(tempDir(), name)
  writeFileSync(p, text)
  return p
}

function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`)
  return r
}

const json = (r: CliResult, what: string): any => JSON.parse(ok(r, what).stdout)

/** `kaos mcp deploy -f` of the documents, waiting for the rollout. */
async function deploy(ns: string, yaml: string): Promise<void> {
  ok(await kaos(['mcp', 'deploy', '-f', file(yaml), '--wait', '--timeout', '150s'], ns, 180_000), 'kaos mcp deploy')
}

/** kubectl apply of plain Kubernetes objects (the backing services), waiting for their Deployments. */
async function applyAndWait(ns: string, yaml: string, deployments: string[]): Promise<void> {
  kubectl('apply', '-n', ns, '-f', file(yaml))
  for (const d of deployments) kubectl('wait', '-n', ns, '--for=condition=Available', '--timeout=90s', `deploy/${d}`)
  // Available is the Deployment's view; a Service routes to a pod only once its EndpointSlice says
  // so, a moment later (kube-proxy lags the same way). Tools called before then would fail for a
  // reason that is not the gateway's: wait until each Service answers by its name.
  for (const d of deployments) {
    const port = kubectl('get', 'svc', d, '-n', ns, '-o', 'jsonpath={.spec.ports[0].port}').trim()
    await until(`Service ${d} answering`, async () => {
      const res = await fetch(`http://${d}.${ns}.svc.cluster.local:${port}/`, {signal: AbortSignal.timeout(2000)})
      await res.body?.cancel()
      return true
    })
  }
}

/** `kaos mcp invoke GATEWAY ARGS… --json`: the MCP result, and the exit code. */
async function invoke(ns: string, gateway: string, ...args: string[]): Promise<{code: number; result: any; stderr: string}> {
  const r = await kaos(['mcp', 'invoke', gateway, ...args, '--json'], ns)
  let result: any
  try {
    result = JSON.parse(r.stdout)
  } catch {
    result = undefined
  }
  return {code: r.code, result, stderr: r.stderr}
}

const text = (result: any): string => (result?.content ?? []).map((c: any) => c.text ?? '').join('')

/** Poll `fn` until it returns a value (not undefined), or fail with what it last saw. */
async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined) return v
    } catch (error) {
      last = error
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message ?? last}` : ''}`)
    await sleep(300)
  }
}

interface PodInfo {
  name: string
  restarts: number
}
function gatewayPods(ns: string, gateway: string): PodInfo[] {
  const list = JSON.parse(kubectl('get', 'pods', '-n', ns, '-l', `mcpserver=${gateway}`, '-o', 'json'))
  return list.items
    .filter((p: any) => !p.metadata.deletionTimestamp)
    .map((p: any) => ({name: p.metadata.name, restarts: (p.status.containerStatuses ?? []).reduce((n: number, c: any) => n + (c.restartCount ?? 0), 0)}))
    .sort((a: PodInfo, b: PodInfo) => a.name.localeCompare(b.name))
}

const GATEWAY = (name: string, app: string, extra = '') => `apiVersion: kaos.tools/v1alpha1
kind: MCPServer
metadata: {name: ${name}}
spec:
  runtime: gateway
  replicas: 2
  toolSelector: {matchLabels: {app: ${app}}}
${extra}`

/** A tool over a backing service: by Service reference (with path) or by URL. */
const ID_ARG = '  inputSchema: {type: object, properties: {id: {type: string}}, required: [id]}\n'

const TOOL = (name: string, app: string, http: string, more = '') => `apiVersion: kaos.tools/v1alpha1
kind: MCPTool
metadata: {name: ${name}, labels: {app: ${app}}}
spec:
  description: Tool ${name}
${more}  http: ${http}
`

describeOrSkip('the gateway on the test bed: real pods, Services, Secrets', skip, function () {
  this.timeout(600_000)
  const namespaces: string[] = []
  const newNamespace = async (prefix: string) => {
    const ns = uniqueNamespace(prefix)
    namespaces.push(ns)
    await createNamespace(ns)
    return ns
  }
  before(async function () {
    this.timeout(20 * 60_000)
    await ensureOwnImages(['gateway', 'rawpython'])
  })
  after(async () => {
    await Promise.all(namespaces.map((ns) => deleteNamespace(ns)))
  })

  it('serves tools (by Service with a Secret header, by URL), a prompt and resources (inline, over HTTP, a template) over two backing services', async () => {
    const ns = await newNamespace('gw-serve')
    await applyAndWait(
      ns,
      `${httpServiceManifest('items')}---\n${httpServiceManifest('catalog', {port: 80, targetPort: 8080})}---
apiVersion: v1
kind: Secret
metadata: {name: items-api}
stringData: {token: s3cr3t-${ns}}
`,
      ['items', 'catalog'],
    )
    const secretHeader = `headers: {Authorization: {secretKeyRef: {name: items-api, key: token}, prefix: "Bearer "}}`
    await deploy(
      ns,
      [
        GATEWAY('shop', 'shop', '  gateway: {instructions: Look items up before you change them.}\n'),
        TOOL('get-item', 'shop', `{service: {name: items, port: 8080}, path: "/items/{{args.id}}", ${secretHeader}, timeout: 5s}`, `  name: get_item
  inputSchema: {type: object, properties: {id: {type: string}}, required: [id]}
  response: {pointer: /data}
`),
        TOOL('whoami-auth', 'shop', `{service: {name: items, port: 8080}, path: /headers, ${secretHeader}}`, '  response: {pointer: /headers/authorization}\n'),
        TOOL('search', 'shop', `{url: "http://catalog.${ns}.svc.cluster.local/search", query: {q: "{{args.q}}", limit: "2"}}`, `  inputSchema: {type: object, properties: {q: {type: string}}, required: [q]}
  response: {pointer: /results}
`),
        TOOL('create-item', 'shop', `{method: POST, url: "http://catalog.${ns}.svc/items", body: {name: "{{args.name}}", tags: "{{args.tags}}"}}`, `  name: create_item
  inputSchema: {type: object, properties: {name: {type: string}, tags: {type: array, items: {type: string}}}, required: [name]}
  response: {pointer: /received}
`),
        `apiVersion: kaos.tools/v1alpha1
kind: MCPPrompt
metadata: {name: triage, labels: {app: shop}}
spec:
  description: Triage an item
  arguments: [{name: id, required: true}]
  messages:
  - {role: user, text: "Look up item {{args.id}} and say what is wrong with it."}
  - {role: user, resource: "docs://runbook"}
`,
        `apiVersion: kaos.tools/v1alpha1
kind: MCPResource
metadata: {name: runbook, labels: {app: shop}}
spec: {uri: "docs://runbook", mimeType: text/markdown, text: "# Runbook\\nRestart nothing."}
`,
        `apiVersion: kaos.tools/v1alpha1
kind: MCPResource
metadata: {name: featured, labels: {app: shop}}
spec:
  uri: items://featured
  mimeType: application/json
  http: {service: {name: items, port: 8080}, path: /items/1}
  response: {pointer: /data}
`,
        `apiVersion: kaos.tools/v1alpha1
kind: MCPResource
metadata: {name: item-by-id, labels: {app: shop}}
spec:
  uriTemplate: "items://{id}"
  name: item
  http: {url: "http://items.${ns}.svc.cluster.local:8080/items/{{args.id}}"}
  response: {pointer: /data}
`,
      ].join('---\n'),
    )

    const list = await invoke(ns, 'shop')
    assert.equal(list.code, 0, list.stderr)
    assert.deepEqual(list.result.tools.map((t: any) => t.name).sort(), ['create_item', 'get_item', 'search', 'whoami-auth'])

    const item = await invoke(ns, 'shop', '--tool', 'get_item', '--arg', 'id=7')
    assert.equal(item.code, 0, `${item.stderr}${JSON.stringify(item.result)}`)
    assert.deepEqual(JSON.parse(text(item.result)), {id: '7', name: 'hammer 7', price: 8.75})

    const auth = await invoke(ns, 'shop', '--tool', 'whoami-auth')
    assert.equal(auth.code, 0, auth.stderr)
    assert.equal(text(auth.result), `Bearer s3cr3t-${ns}`, 'the header from the Secret reached the backend')
    // … and is nowhere in the gateway's configuration
    assert.doesNotMatch(kubectl('get', 'cm', 'mcpserver-shop-gateway', '-n', ns, '-o', 'yaml'), /s3cr3t/)

    const search = await invoke(ns, 'shop', '--tool', 'search', '--arg', 'q=hammer')
    assert.equal(search.code, 0, search.stderr)
    assert.deepEqual(JSON.parse(text(search.result)), [
      {id: '7', name: 'hammer 7'},
      {id: '17', name: 'hammer 17'},
    ])

    const created = await invoke(ns, 'shop', '--tool', 'create_item', '--args', '{"name":"widget","tags":["a","b"]}')
    assert.equal(created.code, 0, created.stderr)
    assert.deepEqual(JSON.parse(text(created.result)), {name: 'widget', tags: ['a', 'b']}, 'a whole-value placeholder keeps its JSON type')

    const prompt = await invoke(ns, 'shop', '--prompt', 'triage', '--arg', 'id=7')
    assert.equal(prompt.code, 0, prompt.stderr)
    assert.deepEqual(prompt.result.messages, [
      {role: 'user', content: {type: 'text', text: 'Look up item 7 and say what is wrong with it.'}},
      {role: 'user', content: {type: 'resource', resource: {uri: 'docs://runbook', mimeType: 'text/markdown', text: '# Runbook\nRestart nothing.'}}},
    ])

    const resources = await invoke(ns, 'shop', '--list-resources')
    assert.equal(resources.code, 0, resources.stderr)
    assert.deepEqual(resources.result.resources.map((r: any) => r.uri).sort(), ['docs://runbook', 'items://featured'])
    assert.deepEqual(resources.result.resourceTemplates.map((r: any) => r.uriTemplate), ['items://{id}'])

    const runbook = await invoke(ns, 'shop', '--resource', 'docs://runbook')
    assert.equal(runbook.code, 0, runbook.stderr)
    assert.deepEqual(runbook.result.contents, [{uri: 'docs://runbook', mimeType: 'text/markdown', text: '# Runbook\nRestart nothing.'}])
    const featured = await invoke(ns, 'shop', '--resource', 'items://featured')
    assert.equal(featured.code, 0, featured.stderr)
    assert.deepEqual(featured.result.contents, [{uri: 'items://featured', mimeType: 'application/json', text: '{"id":"1","name":"bolt 1","price":1.25}'}])
    const byId = await invoke(ns, 'shop', '--resource', 'items://42')
    assert.equal(byId.code, 0, byId.stderr)
    assert.deepEqual(JSON.parse(byId.result.contents[0].text), {id: '42', name: 'crate 42', price: 52.5})
  })

  it('a tool applied later is served after the rollout (--wait); relabelled out of the selector and back; deleted, it is gone', async () => {
    const ns = await newNamespace('gw-apply')
    await applyAndWait(ns, httpServiceManifest('items'), ['items'])
    await deploy(ns, `${GATEWAY('shop', 'shop')}---\n${TOOL('get-item', 'shop', '{service: {name: items, port: 8080}, path: "/items/{{args.id}}"}', `${ID_ARG}  response: {pointer: /data}\n`)}`)
    const before = await invoke(ns, 'shop')
    assert.deepEqual(before.result.tools.map((t: any) => t.name), ['get-item'])

    const applied = await kaos(['mcp', 'tool', 'apply', '-f', file(TOOL('whoami', 'shop', '{service: {name: items, port: 8080}, path: /whoami}', '  response: {pointer: /pod}\n')), '--wait', '--timeout', '150s', '--json'], ns, 180_000)
    assert.deepEqual(json(applied, 'kaos mcp tool apply').refreshed, [{name: 'shop', namespace: ns}])
    const after = await invoke(ns, 'shop')
    assert.equal(after.code, 0, after.stderr)
    assert.deepEqual(after.result.tools.map((t: any) => t.name).sort(), ['get-item', 'whoami'])
    const who = await invoke(ns, 'shop', '--tool', 'whoami')
    assert.equal(who.code, 0, who.stderr)
    assert.match(text(who.result), /^items-[a-z0-9]+-[a-z0-9]+$/, 'the new tool reaches the backend')

    // A label the gateway does not select takes the tool out of it; selected again, it is back.
    const whoami = (app: string) => file(TOOL('whoami', app, '{service: {name: items, port: 8080}, path: /whoami}', '  response: {pointer: /pod}\n'))
    const moved = await kaos(['mcp', 'tool', 'apply', '-f', whoami('elsewhere'), '--wait', '--timeout', '150s', '--json'], ns, 180_000)
    assert.deepEqual(json(moved, 'kaos mcp tool apply (label change)').refreshed, [{name: 'shop', namespace: ns}], 'the gateway that selected it before is refreshed')
    assert.deepEqual((await invoke(ns, 'shop')).result.tools.map((t: any) => t.name), ['get-item'])
    ok(await kaos(['mcp', 'tool', 'apply', '-f', whoami('shop'), '--wait', '--timeout', '150s'], ns, 180_000), 'kaos mcp tool apply (selected again)')
    assert.deepEqual((await invoke(ns, 'shop')).result.tools.map((t: any) => t.name).sort(), ['get-item', 'whoami'])

    ok(await kaos(['mcp', 'tool', 'delete', 'whoami', '--wait', '--timeout', '150s'], ns, 180_000), 'kaos mcp tool delete')
    const gone = await invoke(ns, 'shop')
    assert.equal(gone.code, 0, gone.stderr)
    assert.deepEqual(gone.result.tools.map((t: any) => t.name), ['get-item'])
    const call = await invoke(ns, 'shop', '--tool', 'whoami')
    assert.equal(call.code, 8, `a tool that is gone: exit 8\n${call.stderr}`)
  })

  it('a backend with no Ready endpoint, a failing, a slow and an HTML backend are tool errors (exit 6); the gateway keeps serving, never restarts', async () => {
    const ns = await newNamespace('gw-fail')
    await applyAndWait(ns, `${httpServiceManifest('items')}---\n${httpServiceManifest('orders', {replicas: 0})}`, ['items'])
    await deploy(
      ns,
      [
        GATEWAY('shop', 'shop'),
        TOOL('get-item', 'shop', '{service: {name: items, port: 8080}, path: "/items/{{args.id}}"}', `${ID_ARG}  response: {pointer: /data}\n`),
        TOOL('get-order', 'shop', '{service: {name: orders, port: 8080}, path: /whoami}'),
        TOOL('fail', 'shop', '{service: {name: items, port: 8080}, path: /fail}'),
        TOOL('slow', 'shop', '{service: {name: items, port: 8080}, path: /slow, query: {ms: "5000"}, timeout: 1s}'),
        TOOL('html', 'shop', '{service: {name: items, port: 8080}, path: /html}', '  response: {pointer: /data}\n'),
      ].join('---\n'),
    )
    const pods = gatewayPods(ns, 'shop')
    assert.equal(pods.length, 2)

    const order = await invoke(ns, 'shop', '--tool', 'get-order')
    assert.equal(order.code, 6, `no Ready endpoint: a tool error, exit 6\n${order.stderr}`)
    assert.equal(order.result.isError, true)
    assert.match(text(order.result), new RegExp(`cannot reach GET http://orders\\.${ns}\\.svc\\.cluster\\.local:8080/whoami: ECONNREFUSED`))

    const fail = await invoke(ns, 'shop', '--tool', 'fail')
    assert.equal(fail.code, 6, fail.stderr)
    assert.match(text(fail.result), /^HTTP 500 Internal Server Error from GET http:\/\/items\.[^ ]+\/fail: .*this endpoint always fails/)

    const slow = await invoke(ns, 'shop', '--tool', 'slow')
    assert.equal(slow.code, 6, slow.stderr)
    assert.match(text(slow.result), /did not answer within 1000 ms/)

    const html = await invoke(ns, 'shop', '--tool', 'html')
    assert.equal(html.code, 6, html.stderr)
    assert.match(text(html.result), /answered text\/html that is not JSON: <!doctype html>.*Sign in/)

    // The gateway still serves its other tools, from the same processes.
    const item = await invoke(ns, 'shop', '--tool', 'get-item', '--arg', 'id=3')
    assert.equal(item.code, 0, `${item.stderr}${JSON.stringify(item.result)}`)
    assert.equal(JSON.parse(text(item.result)).name, 'drill 3')
    assert.deepEqual(gatewayPods(ns, 'shop'), pods, 'same pods, no restart')

    // The backend comes up: the same tool works, with no change to the gateway.
    kubectl('scale', '-n', ns, 'deploy/orders', '--replicas=1')
    kubectl('wait', '-n', ns, '--for=condition=Available', '--timeout=90s', 'deploy/orders')
    const later = await until('get-order to answer once orders has a Ready pod', async () => {
      const r = await invoke(ns, 'shop', '--tool', 'get-order')
      return r.code === 0 ? r : undefined
    })
    assert.match(JSON.parse(text(later.result)).pod, /^orders-/)
  })

  it('two replicas answer one session-less client (the Python MCP SDK) calling the Service by name', async () => {
    const ns = await newNamespace('gw-replicas')
    const python = pythonMcpClient()
    await applyAndWait(ns, httpServiceManifest('items'), ['items'])
    await deploy(ns, `${GATEWAY('shop', 'shop')}---\n${TOOL('whoami', 'shop', '{service: {name: items, port: 8080}, path: /whoami}', '  response: {pointer: /pod}\n')}`)
    const pods = gatewayPods(ns, 'shop')
    assert.equal(pods.length, 2)

    const calls = 20
    const url = `http://mcpserver-shop.${ns}.svc.cluster.local:8000/mcp`
    const out = JSON.parse(execFileSync(python, [join(FIXTURES, 'python-client.py'), url, 'whoami', '{}', String(calls)], {encoding: 'utf8', timeout: 120_000}))
    assert.equal(out.sdk, PYTHON_MCP_VERSION)
    assert.deepEqual(out.tools, ['whoami'])
    assert.equal(out.answers.length, calls)
    for (const a of out.answers) {
      assert.equal(a.isError, false, a.text)
      assert.match(a.text, /^items-/)
    }

    // Each gateway pod logs the calls it served: both served some, and together all of them.
    const served = await until('the gateway pods to log every call', () => {
      const counts = pods.map((p) => (kubectl('logs', '-n', ns, p.name).match(/ call=tool name=whoami status=ok /g) ?? []).length)
      return counts.reduce((a, b) => a + b, 0) >= calls ? counts : undefined
    })
    assert.equal(
      served.reduce((a, b) => a + b, 0),
      calls,
    )
    for (const [i, n] of served.entries()) assert.ok(n > 0, `gateway pod ${pods[i].name} served none of the ${calls} calls (${served.join(' + ')})`)
    process.stdout.write(`      mcp ${out.sdk} (protocol ${out.protocol}): ${calls} calls served ${served.join(' + ')} by the two gateway pods\n`)
  })

  it('aggregates a rawpython MCPServer picked by upstreamSelector: its tools prefixed <name>_, calls reach it', async () => {
    const ns = await newNamespace('gw-upstream')
    await deploy(
      ns,
      `apiVersion: kaos.tools/v1alpha1
kind: MCPServer
metadata: {name: calc, labels: {gateway: agg}}
spec:
  runtime: rawpython
  params: |
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b
---
apiVersion: kaos.tools/v1alpha1
kind: MCPServer
metadata: {name: agg}
spec:
  runtime: gateway
  replicas: 2
  upstreamSelector: {matchLabels: {gateway: agg}}
`,
    )
    // Right after the deploy: calc was not Ready yet when the gateway started, so the gateway saw
    // it down; a call to its tool lists it again at once.
    const sum = await invoke(ns, 'agg', '--tool', 'calc_add', '--arg', 'a=2', '--arg', 'b=40')
    assert.equal(sum.code, 0, sum.stderr)
    assert.equal(text(sum.result), '42')
    // Each replica lists it by itself (at its next probe, at most cacheMs later).
    for (let i = 0; i < 4; i++) {
      const tools = await until('tools/list to have calc_add', async () => {
        const r = await invoke(ns, 'agg')
        return r.code === 0 && r.result.tools.length > 0 ? r.result.tools.map((t: any) => t.name) : undefined
      })
      assert.deepEqual(tools, ['calc_add'])
    }
    const logs = await until('the gateway to log the upstream call', () => {
      const all = gatewayPods(ns, 'agg')
        .map((p) => kubectl('logs', '-n', ns, p.name))
        .join('\n')
      return / call=tool name=calc_add upstream=calc status=ok /.test(all) ? all : undefined
    })
    assert.ok(logs)
  })

  it('exposed through an Ingress: the bearer token from the Secret kaos made is required (kaos mcp token prints it, invoke sends it); an exposed upstream gets its own token from the gateway; a NetworkPolicy read from its configuration', async function () {
    this.timeout(150_000)
    const ns = await newNamespace('gw-expose')
    await applyAndWait(ns, httpServiceManifest('items'), ['items'])
    const deployed = await kaos(
      [
        'mcp',
        'deploy',
        '-f',
        file(
          [
            GATEWAY('front', 'front', '  upstreamSelector: {matchLabels: {gateway: front}}\n  networkPolicy: true\n  expose: {type: ingress, host: tools.example.com}\n'),
            TOOL('get-item', 'front', '{service: {name: items, port: 8080}, path: "/items/{{args.id}}"}', `  name: get_item\n${ID_ARG}  response: {pointer: /data}\n`),
            `apiVersion: kaos.tools/v1alpha1
kind: MCPServer
metadata: {name: calc, labels: {gateway: front}}
spec:
  runtime: rawpython
  expose: {type: ingress, host: calc.example.com}
  params: |
    def add(a: int, b: int) -> int:
        \"\"\"Add two numbers.\"\"\"
        return a + b
`,
          ].join('---\n'),
        ),
        '--wait',
        '--timeout',
        '100s',
      ],
      ns,
      110_000,
    )
    ok(deployed, 'kaos mcp deploy (exposed)')
    for (const o of ['ingress/mcpserver-front', 'ingress/mcpserver-calc', 'secret/mcpserver-front-auth', 'poddisruptionbudget/mcpserver-front', 'networkpolicy/mcpserver-front'])
      assert.match(deployed.stdout, new RegExp(`^${o} created$`, 'm'))
    assert.match(deployed.stdout, /^mcpserver\/front answers MCP on all 2 Ready pods/m)
    assert.match(deployed.stderr, new RegExp(`callers at tools\\.example\\.com send its bearer token: kaos mcp token front -n ${ns}`))

    const t = json(await kaos(['mcp', 'token', 'front', '--json'], ns), 'kaos mcp token')
    assert.deepEqual({...t, token: undefined}, {name: 'front', namespace: ns, token: undefined, secret: {name: 'mcpserver-front-auth', key: 'token'}, env: 'KAOS_GATEWAY_AUTH_TOKEN'})
    assert.match(t.token, /^[A-Za-z0-9_-]{32}$/)

    // kaos mcp invoke sends the gateway's token; the gateway sends calc's (calc checks its own).
    const item = await invoke(ns, 'front', '--tool', 'get_item', '--arg', 'id=7')
    assert.equal(item.code, 0, `${item.stderr}${JSON.stringify(item.result)}`)
    assert.equal(JSON.parse(text(item.result)).name, 'hammer 7')
    const sum = await until('calc_add through the gateway', async () => {
      const r = await invoke(ns, 'front', '--tool', 'calc_add', '--arg', 'a=2', '--arg', 'b=40')
      return r.code === 0 ? r : undefined
    })
    assert.equal(text(sum.result), '42')
    const refused = await kaos(['mcp', 'invoke', 'front', '--no-auth'], ns)
    assert.equal(refused.code, 6, refused.stderr)
    assert.match(refused.error ?? '', /HTTP 401: Unauthorized: this server needs Authorization: Bearer <token>/)

    // What the Ingress forwards to, the Service, checks it: none or a wrong one is 401.
    const post = (server: string, authorization?: string) =>
      fetch(`http://mcpserver-${server}.${ns}.svc.cluster.local:8000/mcp`, {
        method: 'POST',
        headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', ...(authorization ? {authorization} : {})},
        body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'tools/list'}),
      }).then(async (res) => ({status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.text()}))
    assert.deepEqual(await post('front').then((r) => [r.status, r.challenge]), [401, 'Bearer realm="mcp"'])
    assert.deepEqual(await post('front', 'Bearer nope').then((r) => [r.status, r.challenge]), [401, 'Bearer realm="mcp", error="invalid_token"'])
    assert.equal((await post('calc')).status, 401, 'the upstream checks its own token, so the gateway had to send it')
    const listed = await post('front', `Bearer ${t.token}`)
    assert.equal(listed.status, 200, listed.body)
    assert.deepEqual(JSON.parse(listed.body).result.tools.map((x: any) => x.name).sort(), ['calc_add', 'get_item'])

    const endpoints = json(await kaos(['mcp', 'endpoints', '--json'], ns), 'kaos mcp endpoints')
    assert.equal(endpoints.endpoints.find((e: any) => e.name === 'front').external, 'http://tools.example.com/mcp')
    // The policy the API server accepted: DNS, calc's pods on 8000, the namespace of items.
    const policy = JSON.parse(kubectl('get', 'networkpolicy', 'mcpserver-front', '-n', ns, '-o', 'json'))
    assert.deepEqual(policy.spec.egress.slice(1), [
      {to: [{podSelector: {matchLabels: {app: 'mcpserver', mcpserver: 'calc'}}}], ports: [{protocol: 'TCP', port: 8000}]},
      {to: [{namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': ns}}}]},
    ])

    // Rotating the upstream's token restarts the gateway too (it reads calc's Secret at start):
    // calls through it go on working with the new token.
    const rotated = json(await kaos(['mcp', 'token', 'calc', '--rotate', '--wait', '--json'], ns), 'kaos mcp token --rotate')
    assert.deepEqual(rotated.restarted.sort(), ['deployment/mcpserver-calc', 'deployment/mcpserver-front'])
    const again = await invoke(ns, 'front', '--tool', 'calc_add', '--arg', 'a=1', '--arg', 'b=1')
    assert.equal(again.code, 0, `${again.stderr}${JSON.stringify(again.result)}`)
    assert.equal(text(again.result), '2')
  })

  it("the MCP conformance suite's applicable server scenarios against the gateway, through a port-forward", async function () {
    const ns = await newNamespace('gw-conformance')
    await applyAndWait(ns, httpServiceManifest('fixtures'), ['fixtures'])
    const upstreamParams = readFileSync(join(FIXTURES, 'conformance-upstream.py'), 'utf8')
    const svc = `{service: {name: fixtures, port: 8080}`
    const noArgs = '  inputSchema: {type: object, properties: {}}\n'
    await deploy(
      ns,
      [
        // the suite calls the upstream's tools as test_<name>: an upstream named "test"
        `apiVersion: kaos.tools/v1alpha1
kind: MCPServer
metadata: {name: test, labels: {conformance: upstream}}
spec:
  runtime: rawpython
  params: ${JSON.stringify(upstreamParams)}
`,
        GATEWAY('conformance', 'conformance', '  upstreamSelector: {matchLabels: {conformance: upstream}}\n'),
        TOOL('simple-text', 'conformance', `${svc}, path: /text}`, `  name: test_simple_text\n${noArgs}`),
        TOOL('image', 'conformance', `${svc}, path: /image}`, `  name: test_image_content\n${noArgs}`),
        TOOL('audio', 'conformance', `${svc}, path: /audio}`, `  name: test_audio_content\n${noArgs}`),
        TOOL('error', 'conformance', `${svc}, path: /fail}`, `  name: test_error_handling\n${noArgs}`),
        TOOL('schema-2020-12', 'conformance', `${svc}, path: /echo, method: POST, body: "{{args}}"}`, `  name: json_schema_2020_12_tool
  inputSchema:
    $schema: https://json-schema.org/draft/2020-12/schema
    type: object
    $defs: {address: {type: object, properties: {street: {type: string}, city: {type: string}}}}
    properties: {name: {type: string}, address: {$ref: "#/$defs/address"}}
    additionalProperties: false
`),
        `apiVersion: kaos.tools/v1alpha1
kind: MCPPrompt
metadata: {name: simple, labels: {app: conformance}}
spec:
  name: test_simple_prompt
  description: A simple prompt
  messages: [{role: user, text: This is a simple prompt for testing.}]
`,
        `apiVersion: kaos.tools/v1alpha1
kind: MCPPrompt
metadata: {name: with-arguments, labels: {app: conformance}}
spec:
  name: test_prompt_with_arguments
  description: A prompt with arguments
  arguments:
  - {name: arg1, description: First test argument, required: true, values: [hello, test, testing]}
  - {name: arg2, description: Second test argument, required: true}
  messages: [{role: user, text: "Prompt with arguments: arg1='{{args.arg1}}', arg2='{{args.arg2}}'"}]
`,
        `apiVersion: kaos.tools/v1alpha1
kind: MCPPrompt
metadata: {name: embedded-resource, labels: {app: conformance}}
spec:
  name: test_prompt_with_embedded_resource
  description: A prompt that embeds a resource
  arguments: [{name: resourceUri, description: URI of the resource to embed, required: true}]
  messages:
  - {role: user, resource: "{{args.resourceUri}}"}
  - {role: user, text: Please process the embedded resource above.}
`,
        `apiVersion: kaos.tools/v1alpha1
kind: MCPPrompt
metadata: {name: with-image, labels: {app: conformance}}
spec:
  name: test_prompt_with_image
  description: A prompt with an image
  messages: [{role: user, image: "test://static-binary"}, {role: user, text: Please analyze the image above.}]
`,
        `apiVersion: kaos.tools/v1alpha1
kind: MCPResource
metadata: {name: static-text, labels: {app: conformance}}
spec: {uri: "test://static-text", description: A static text resource, mimeType: text/plain, text: This is the content of the static text resource.}
`,
        `apiVersion: kaos.tools/v1alpha1
kind: MCPResource
metadata: {name: static-binary, labels: {app: conformance}}
spec: {uri: "test://static-binary", description: A PNG from an HTTP service, http: ${svc}, path: /image}}
`,
        `apiVersion: kaos.tools/v1alpha1
kind: MCPResource
metadata: {name: example-resource, labels: {app: conformance}}
spec: {uri: "test://example-resource", mimeType: text/plain, text: This is an example resource.}
`,
        `apiVersion: kaos.tools/v1alpha1
kind: MCPResource
metadata: {name: template-data, labels: {app: conformance}}
spec:
  uriTemplate: "test://template/{id}/data"
  mimeType: application/json
  text: '{"id":"{{args.id}}","templateTest":true,"data":"Data for ID: {{args.id}}"}'
`,
      ].join('---\n'),
    )
    // One port-forward, so one gateway pod, for the whole run: wait until that pod lists the
    // upstream's tools (it may have started before the upstream was Ready).
    const forward = await forwardWorkload(admin(), 'MCPServer', 'conformance', ns)
    try {
      await until('the gateway to list the upstream test', async () => ((await listToolNames(forward.url('/mcp'))).includes('test_tool_with_progress') ? true : undefined))
      // The suite talks to this process's port-forward: run it without blocking the event loop.
      const {code, stdout: output, stderr} = await run('bash', [join(ROOT, 'runtimes', 'gateway', 'conformance.sh'), '--url', forward.url('/mcp')], {OUT: tempDir('kaos-conformance-')})
      assert.ok(code === 0 || code === 1, `conformance.sh exited ${code}:\n${output}\n${stderr}`)
      const summary = /^conformance: (\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(output)
      assert.ok(summary, output)
      process.stdout.write(`      ${summary[0]} (on the test bed, through a port-forward)\n`)
      assert.equal(Number(summary[2]), 0, output)
      // the same scenarios pass as against the gateway in-process (runtimes/gateway/conformance.sh)
      assert.ok(Number(summary[1]) >= 23, output)
    } finally {
      await forward.close()
    }
  })
})

/** Run a program without blocking this process (whose port-forward it may be talking to). */
function run(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 600_000): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
}

/** tools/list over plain HTTP (the gateway is stateless: no initialize needed for this check). */
async function listToolNames(url: string): Promise<string[]> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25'},
    body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'tools/list'}),
  })
  const body = (await res.json()) as {result?: {tools: Array<{name: string}>}}
  return (body.result?.tools ?? []).map((t) => t.name)
}

// The Python MCP SDK, pinned (with hashes) by runtimes/rawpython/requirements.txt, in a venv of
// its own under the test bed's state dir, made on first use.
const PYTHON_MCP_VERSION = /^mcp==([\d.]+)/m.exec(readFileSync(join(ROOT, 'runtimes', 'rawpython', 'requirements.txt'), 'utf8'))![1]

function pythonMcpClient(): string {
  const reqs = join(ROOT, 'runtimes', 'rawpython', 'requirements.txt')
  const key = createHash('sha256').update(readFileSync(reqs)).digest('hex').slice(0, 12)
  const venv = join(testbedDir(), `venv-mcp-client-${key}`)
  const python = join(venv, 'bin', 'python')
  const works = () => {
    try {
      return execFileSync(python, ['-c', 'from importlib.metadata import version; import mcp.client.streamable_http; print(version("mcp"))'], {encoding: 'utf8'}).trim() === PYTHON_MCP_VERSION
    } catch {
      return false
    }
  }
  if (existsSync(python) && works()) return python
  execFileSync('python3', ['-m', 'venv', '--clear', venv], {stdio: 'pipe'})
  execFileSync(join(venv, 'bin', 'pip'), ['install', '-q', '--disable-pip-version-check', '--require-hashes', '-r', reqs], {stdio: 'pipe', timeout: 600_000})
  assert.ok(works(), `${venv}: mcp ${PYTHON_MCP_VERSION} installed from ${reqs} but not importable`)
  return python
}
