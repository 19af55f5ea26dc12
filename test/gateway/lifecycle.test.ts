// The gateway process's life: bad configurations (one line per problem, exit 1), --check and
// --schema, health and readiness, and SIGTERM with calls in flight.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import http from 'node:http'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {configJsonSchema, parseConfig} from '../../runtimes/gateway/src/config.js'
import {ROOT} from '../helpers/cli.js'
import {describeOrSkip} from '../helpers/mocha.js'
import {type Backend, connect, gatewayUnavailable, post, runGateway, sendJson, startBackend, startGateway} from './helpers.js'

const obj = (properties: Record<string, unknown>, required: string[] = []) => ({type: 'object', properties, required})
const tool = (over: Record<string, unknown> = {}) => ({name: 't', description: 'A tool', inputSchema: obj({id: {type: 'string'}}), http: {url: 'http://svc.ns.svc.cluster.local:8080/x/{{args.id}}'}, ...over})

/** stderr lines of a failed start, without the program prefix and the config path. */
function lines(stderr: string): string[] {
  return stderr
    .trim()
    .split('\n')
    .map((l) => l.replace(/^kaos-gateway: /, '').replace(/^\S+config\.json: /, ''))
}

describeOrSkip('gateway: configuration errors', gatewayUnavailable(), function () {
  it('a missing file: one line naming it and the env var, exit 1', async function () {
    const r = await runGateway(undefined)
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^kaos-gateway: cannot read the configuration \S+\.json: ENOENT \(mount it, or point KAOS_GATEWAY_CONFIG at it\)\n$/)
  })

  it('text that is not JSON: one line, exit 1', async function () {
    const r = await runGateway('{"tools": [')
    assert.equal(r.code, 1)
    assert.equal(r.stderr.trim().split('\n').length, 1)
    assert.match(r.stderr, /config\.json: not valid JSON: /)
  })

  it('an unknown key: one line with the likely key, exit 1', async function () {
    const r = await runGateway({tools: [tool({http: {url: 'http://svc:80/x', timeout: 5}})]})
    assert.equal(r.code, 1)
    assert.deepEqual(lines(r.stderr), ['tools[0] (t).http: unknown key "timeout" (did you mean "timeoutMs"?)'])
  })

  it('every template and shape problem, one line each, naming the item', async function () {
    const r = await runGateway({
      tools: [
        tool({http: {url: 'http://{{args.id}}.ns.svc:80/x'}}),
        tool({name: 't', http: {url: 'http://svc:80/x/{{args.nope}}', method: 'GET', body: {a: 1}}, response: {pointer: 'data'}}),
        tool({name: 'u', inputSchema: {type: 'array'}}),
      ],
      prompts: [{name: 'p', arguments: [{name: 'topic'}], messages: [{role: 'user', text: 'About {{args.subject}}'}]}],
      resources: [{uri: 'docs://a', name: 'a'}],
      upstreams: [{name: 'k8s', url: 'svc:8000/mcp'}],
    })
    assert.equal(r.code, 1)
    assert.deepEqual(lines(r.stderr), [
      'tools[0] (t).http.url: a placeholder in the host or port would let arguments choose where the call goes; use them in the path or query only',
      'tools[1] (t): the name is already used by tools[0]',
      'tools[1] (t).http.url: {{args.nope}}: no argument "nope" (known: id)',
      'tools[1] (t).http.body: a GET request has no body (set "method", e.g. POST)',
      'tools[1] (t).response.pointer: "data" is not a JSON pointer: it starts with "/" (or is "" for the whole document)',
      'tools[2] (u).inputSchema: must have "type": "object" (MCP tools take an object of arguments)',
      'prompts[0] (p).messages[0].text: {{args.subject}}: no argument "subject" (known: topic)',
      'resources[0] (docs://a): needs exactly one of "text", "blob" or "http" (has none)',
      'upstreams[0] (k8s).url: "svc:8000/mcp" must be an absolute http:// or https:// URL (its MCP endpoint, usually …:8000/mcp)',
    ])
  })

  it('a header from an env var that is not set: one line naming the var, exit 1', async function () {
    const r = await runGateway({tools: [tool({http: {url: 'http://svc:80/x', headers: {Authorization: {fromEnv: 'ITEMS_TOKEN', prefix: 'Bearer '}}}})]})
    assert.equal(r.code, 1)
    assert.deepEqual(lines(r.stderr), ['tools[0] (t).http.headers.Authorization: env var ITEMS_TOKEN is not set (set it, e.g. from a Secret, or remove the header)'])
  })

  it('a PORT that is not a port: one line, exit 1', async function () {
    const r = await runGateway({}, {PORT: '80a'})
    assert.equal(r.code, 1)
    assert.equal(r.stderr, 'kaos-gateway: PORT=80a is not a port number (1-65535)\n')
  })

  it('--check validates and exits; --schema prints the format as JSON Schema', async function () {
    const ok = await runGateway({tools: [tool()]}, {}, ['--check'])
    assert.equal(ok.code, 0)
    assert.match(ok.stdout, /config\.json: ok \(1 tools, 0 prompts, 0 resources, 0 upstreams\)/)
    const bad = await runGateway({tools: [tool({name: ''})]}, {}, ['--check'])
    assert.equal(bad.code, 1)
    const schema = await runGateway({}, {}, ['--schema'])
    assert.equal(schema.code, 0)
    assert.deepEqual(JSON.parse(schema.stdout), configJsonSchema())
  })
})

describe('gateway: the configuration format', function () {
  it('runtimes/gateway/config.schema.json is the schema config.ts describes (regenerate: node dist/gateway/gateway.mjs --schema)', function () {
    const committed = JSON.parse(readFileSync(join(ROOT, 'runtimes', 'gateway', 'config.schema.json'), 'utf8'))
    assert.deepEqual(committed, configJsonSchema())
  })

  it('the README example is a valid configuration', function () {
    const readme = readFileSync(join(ROOT, 'runtimes', 'gateway', 'README.md'), 'utf8')
    const example = /<!-- example-config -->\s*```json\n([\s\S]*?)```/.exec(readme)
    assert.ok(example, 'the README has an example configuration block')
    const parsed = parseConfig(JSON.parse(example[1]))
    assert.deepEqual(parsed.ok ? [] : parsed.errors, [])
  })
})

describeOrSkip('gateway: health, readiness and SIGTERM', gatewayUnavailable(), function () {
  let items: Backend

  before(async function () {
    items = await startBackend(async (req, res) => {
      const ms = Number(new URL(req.url, 'http://x').searchParams.get('ms') ?? 0)
      await sleep(ms)
      sendJson(res, 200, {waited: ms})
    })
  })

  after(async () => items?.close())

  const config = (shutdownTimeoutMs?: number) => ({
    server: shutdownTimeoutMs ? {shutdownTimeoutMs} : {},
    tools: [
      {name: 'wait', description: 'Waits', inputSchema: obj({ms: {type: 'integer'}}, ['ms']), http: {url: `${items.base}/delay?ms={{args.ms}}`, timeoutMs: 30_000}},
      {name: 'other', description: 'Another', inputSchema: obj({}), http: {url: `${items.base}/delay`}},
    ],
  })

  /** A request on a new connection: its status, or the connection error's code. */
  const fresh = (url: string) =>
    new Promise<number | string>((resolve) => {
      http
        .get(url, {agent: false}, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        .on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message))
    })

  it('/healthz answers cheaply; /readyz runs a real tools/list and counts the configured tools', async function () {
    const gw = await startGateway(config())
    try {
      const h = await fetch(`${gw.base}/healthz`)
      assert.equal(h.status, 200)
      assert.equal(await h.text(), 'ok\n')
      const r = await fetch(`${gw.base}/readyz`)
      assert.equal(r.status, 200)
      assert.deepEqual(await r.json(), {status: 'ready', tools: 2, upstreams: {}})
      assert.equal((await fetch(`${gw.base}/other`)).status, 404)
    } finally {
      assert.equal(await gw.stop(), 0)
    }
  })

  it('server.allowedOrigins and server.allowedHosts: listed ones served, others 403 and 421', async function () {
    const gw = await startGateway({...config(), server: {allowedOrigins: ['https://app.example.com'], allowedHosts: ['127.0.0.1:*', 'gateway.tools.svc']}})
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({jsonrpc: '2.0', id: 1, method: 'tools/list'})
        http
          .request(gw.url, {method: 'POST', agent: false, headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers}}, (res) => {
            res.resume()
            resolve(res.statusCode ?? 0)
          })
          .on('error', reject)
          .end(body)
      })
    try {
      assert.equal(await status({origin: 'https://app.example.com'}), 200)
      assert.equal(await status({origin: 'http://localhost:6274'}), 200)
      assert.equal(await status({origin: 'https://other.example.com'}), 403)
      assert.equal(await status({host: 'gateway.tools.svc'}), 200)
      assert.equal(await status({host: 'evil.example.com'}), 421)
      // Probes are not MCP requests: kubelet's Host never matters for them.
      assert.equal(await fresh(`${gw.base}/readyz`), 200)
    } finally {
      await gw.stop()
    }
  })

  it('KAOS_GATEWAY_AUTH_TOKEN: /mcp needs the bearer token (401 with a challenge otherwise), the probes stay open', async function () {
    const gw = await startGateway(config(), {env: {KAOS_GATEWAY_AUTH_TOKEN: ' s3cret-token\n'}})
    const list = {jsonrpc: '2.0', id: 1, method: 'tools/list'}
    try {
      const none = await post(gw.url, list)
      assert.equal(none.status, 401)
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="mcp"')
      assert.match(JSON.parse(none.text).error.message, /^Unauthorized: this server needs Authorization: Bearer <token> \(the token kaos generated: kaos mcp token NAME\)$/)
      const wrong = await post(gw.url, list, {authorization: 'Bearer s3cret-tokeN'})
      assert.equal(wrong.status, 401)
      assert.equal(wrong.headers.get('www-authenticate'), 'Bearer realm="mcp", error="invalid_token"')
      assert.equal((await post(gw.url, list, {authorization: 'Basic s3cret-token'})).status, 401)
      // The scheme is case-insensitive; the token is what the Secret holds, without its whitespace.
      const ok = await post(gw.url, list, {authorization: 'bearer s3cret-token'})
      assert.equal(ok.status, 200)
      assert.deepEqual(JSON.parse(ok.text).result.tools.map((t: {name: string}) => t.name), ['wait', 'other'])
      // The SDK client with the header on every request (initialize included).
      const client = await connect(gw.url, (url, init) => fetch(url, {...init, headers: {...Object.fromEntries(new Headers(init?.headers).entries()), authorization: 'Bearer s3cret-token'}}))
      assert.equal((await client.listTools()).tools.length, 2)
      await client.close()
      // The kubelet sends no credentials.
      assert.equal(await fresh(`${gw.base}/readyz`), 200)
      assert.equal(await fresh(`${gw.base}/healthz`), 200)
      assert.match(gw.stdout(), /event=listening .*auth=bearer/)
      assert.match(gw.stdout(), /event=refused reason=auth token=none/)
      assert.match(gw.stdout(), /event=refused reason=auth token=wrong/)
      assert.doesNotMatch(gw.stdout() + gw.stderr(), /s3cret/)
    } finally {
      await gw.stop()
    }
  })

  it('KAOS_GATEWAY_AUTH_TOKEN set but empty: one line, exit 1 (never serves unchecked)', async function () {
    const r = await runGateway(config(), {KAOS_GATEWAY_AUTH_TOKEN: '  '})
    assert.equal(r.code, 1)
    assert.equal(r.stderr, 'kaos-gateway: KAOS_GATEWAY_AUTH_TOKEN is set but empty: give it the bearer token clients send, or unset it\n')
  })

  it('SIGTERM: stops accepting, finishes the call in flight, exits 0', async function () {
    const gw = await startGateway(config())
    const client = await connect(gw.url)
    const seen = items.requests.length
    const call = client.callTool({name: 'wait', arguments: {ms: 1500}})
    while (items.requests.length === seen) await sleep(10)
    gw.child.kill('SIGTERM')
    await gw.waitFor(/event=stopping signal=SIGTERM/)
    assert.equal(await fresh(`${gw.base}/readyz`), 'ECONNREFUSED')
    const r = await call
    assert.deepEqual(JSON.parse((r.content as Array<{text: string}>)[0].text), {waited: 1500})
    assert.equal(await gw.exited, 0)
    assert.match(gw.stdout(), /call=tool name=wait status=ok/)
    assert.match(gw.stdout(), /event=stopped unfinished=0/)
    await client.close().catch(() => {})
  })

  it('SIGTERM: a call longer than shutdownTimeoutMs does not hold the exit', async function () {
    const gw = await startGateway(config(300))
    const client = await connect(gw.url)
    const seen = items.requests.length
    const call = client.callTool({name: 'wait', arguments: {ms: 20_000}}).then(
      () => 'answered',
      () => 'cut off',
    )
    while (items.requests.length === seen) await sleep(10)
    gw.child.kill('SIGTERM')
    assert.equal(await gw.exited, 0)
    assert.match(gw.stdout(), /event=stopping signal=SIGTERM grace_ms=300/)
    assert.match(gw.stdout(), /event=stopped unfinished=1/)
    assert.equal(await call, 'cut off')
    await client.close().catch(() => {})
  })
})
