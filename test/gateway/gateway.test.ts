// The gateway as it runs in a pod: the bundled dist/gateway/gateway.mjs in its own process, with a
// configuration file, in front of two real HTTP services and an upstream MCP server, driven by the
// official SDK client (and raw HTTP for the transport rules).
import assert from 'node:assert/strict'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'

import type {Client} from '@modelcontextprotocol/sdk/client/index.js'
import {McpError, type CallToolResult} from '@modelcontextprotocol/sdk/types.js'

import {describeOrSkip} from '../helpers/mocha.js'
import {
  type Backend,
  connect,
  freePort,
  type GatewayProcess,
  gatewayUnavailable,
  post,
  sendJson,
  startBackend,
  startGateway,
  startUpstream,
  type Upstream,
} from './helpers.js'

const SECRET = 'tok-very-secret-123'
// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')

function text(r: CallToolResult | Awaited<ReturnType<Client['callTool']>>): string {
  return ((r.content as CallToolResult['content'])[0] as {text: string}).text
}

async function rpcError(p: Promise<unknown>): Promise<McpError> {
  try {
    await p
  } catch (error) {
    assert.ok(error instanceof McpError, `expected an McpError, got ${error}`)
    return error
  }
  assert.fail('expected a JSON-RPC error')
}

/** The items service: JSON, text, an image, 404s, a slow path and a redirect. */
function itemsRoute(): Parameters<typeof startBackend>[0] {
  return async (req, res) => {
    const url = new URL(req.url, 'http://x')
    if (req.method === 'GET' && url.pathname.startsWith('/items/')) {
      const id = decodeURIComponent(url.pathname.slice('/items/'.length))
      if (id === 'missing') return sendJson(res, 404, {error: 'no such item', id})
      return sendJson(res, 200, {data: {id, name: `Widget ${id}`, price: 5}, path: req.url})
    }
    if (url.pathname === '/search') return sendJson(res, 200, {query: [...url.searchParams.entries()], raw: req.url})
    if (req.method === 'POST' && url.pathname === '/items') {
      return sendJson(res, 201, {received: JSON.parse(req.body), auth: req.headers.authorization, tenant: req.headers['x-tenant'], type: req.headers['content-type']})
    }
    if (url.pathname === '/slow') {
      await sleep(3000)
      return sendJson(res, 200, {late: true})
    }
    if (url.pathname === '/delay') {
      await sleep(Number(url.searchParams.get('ms')))
      return sendJson(res, 200, {waited: Number(url.searchParams.get('ms'))})
    }
    if (url.pathname === '/text') {
      res.writeHead(200, {'content-type': 'text/plain; charset=utf-8'})
      return void res.end('plain words')
    }
    if (url.pathname === '/image') {
      res.writeHead(200, {'content-type': 'image/png'})
      return void res.end(PNG)
    }
    if (url.pathname === '/catalog') return sendJson(res, 200, {items: [{id: 1}, {id: 2}], total: 2})
    if (url.pathname === '/redirect') {
      res.writeHead(302, {location: '/text'})
      return void res.end()
    }
    res.writeHead(404)
    res.end('nothing here')
  }
}

/** The notes service: markdown notes by id. */
function notesRoute(): Parameters<typeof startBackend>[0] {
  return (req, res) => {
    const m = /^\/notes\/([^/?]+)$/.exec(req.url)
    if (!m || m[1] === 'missing') {
      res.writeHead(404, {'content-type': 'text/plain'})
      return void res.end('no note')
    }
    res.writeHead(200, {'content-type': 'text/markdown'})
    res.end(`# Note ${decodeURIComponent(m[1])}\n`)
  }
}

const obj = (properties: Record<string, unknown>, required: string[] = []) => ({type: 'object', properties, required})

function mainConfig(items: Backend, notes: Backend, upstream: Upstream, closedPort: number) {
  const A = items.base
  return {
    formatVersion: 1,
    server: {name: 'test-gateway', instructions: 'Items and notes.'},
    tools: [
      {name: 'get_item', description: 'Get an item by id', inputSchema: obj({id: {type: 'string'}}, ['id']), http: {url: `${A}/items/{{args.id}}`}},
      {name: 'item_name', description: 'The name of an item', inputSchema: obj({id: {type: 'string'}}, ['id']), http: {url: `${A}/items/{{args.id}}`}, response: {pointer: '/data/name'}},
      {
        name: 'item_price',
        description: 'An item as structured content',
        inputSchema: obj({id: {type: 'string'}}, ['id']),
        outputSchema: obj({id: {type: 'string'}, name: {type: 'string'}, price: {type: 'number'}}, ['id', 'price']),
        http: {url: `${A}/items/{{args.id}}`},
        response: {pointer: '/data'},
      },
      {
        name: 'search',
        description: 'Search items',
        inputSchema: obj({q: {type: 'string'}, tags: {type: 'array', items: {type: 'string'}}, limit: {type: 'integer'}}, ['q']),
        http: {url: `${A}/search?q={{args.q}}`, query: {tag: '{{args.tags}}', limit: '{{args.limit}}'}},
      },
      {
        name: 'create_item',
        description: 'Create an item',
        inputSchema: obj({name: {type: 'string'}, count: {type: 'integer', default: 1}, tenant: {type: 'string'}, note: {type: 'string'}}, ['name', 'tenant']),
        http: {
          method: 'POST',
          url: `${A}/items`,
          headers: {Authorization: {fromEnv: 'ITEMS_TOKEN', prefix: 'Bearer '}, 'X-Tenant': '{{args.tenant}}'},
          body: {name: '{{args.name}}', count: '{{args.count}}', note: '{{args.note}}', label: 'item {{args.name}}', source: 'kaos'},
        },
      },
      {name: 'plain', description: 'A text answer', inputSchema: obj({}), http: {url: `${A}/text`}},
      {name: 'logo', description: 'An image answer', inputSchema: obj({}), http: {url: `${A}/image`}},
      {name: 'unreachable', description: 'A service that is not there', inputSchema: obj({}), http: {url: `http://127.0.0.1:${closedPort}/x`, timeoutMs: 2000}},
      {name: 'slow', description: 'A service slower than the timeout', inputSchema: obj({}), http: {url: `${A}/slow`, timeoutMs: 300}},
      {name: 'redirect', description: 'A service that redirects', inputSchema: obj({}), http: {url: `${A}/redirect`}},
      {name: 'note', description: 'A note', inputSchema: obj({id: {type: 'string'}}, ['id']), http: {url: `${notes.base}/notes/{{args.id}}`}},
      {
        name: 'schema_2020',
        description: 'Keeps 2020-12 keywords',
        inputSchema: {
          $schema: 'https://json-schema.org/draft/2020-12/schema',
          type: 'object',
          $defs: {address: {type: 'object', properties: {city: {type: 'string'}}}},
          properties: {name: {type: 'string'}, address: {$ref: '#/$defs/address'}},
          additionalProperties: false,
        },
        http: {method: 'POST', url: `${A}/items`, body: '{{args}}'},
      },
    ],
    prompts: [
      {name: 'simple', description: 'No arguments', messages: [{role: 'user', text: 'Say hello.'}]},
      {
        name: 'review',
        description: 'Review a topic with its note',
        arguments: [
          {name: 'topic', description: 'What to review', required: true, values: ['kubernetes', 'kafka', 'kotlin']},
          {name: 'style', description: 'How'},
        ],
        messages: [
          {role: 'user', text: 'Review {{args.topic}} in a {{args.style}} style.'},
          {role: 'assistant', text: 'Here is the note first.'},
          {role: 'user', resource: 'notes://{{args.topic}}'},
        ],
      },
      {name: 'show_logo', description: 'An image from a resource', messages: [{role: 'user', image: 'img://logo'}]},
    ],
    resources: [
      {uri: 'docs://readme', name: 'readme', mimeType: 'text/markdown', text: '# Readme {{not a template}}'},
      {uri: 'data://catalog', name: 'catalog', description: 'Item ids', http: {url: `${A}/catalog`}, response: {pointer: '/items'}},
      {uri: 'img://logo', name: 'logo', http: {url: `${A}/image`}},
    ],
    resourceTemplates: [{uriTemplate: 'notes://{id}', name: 'note', mimeType: 'text/markdown', http: {url: `${notes.base}/notes/{{args.id}}`}}],
    upstreams: [{name: 'up', url: upstream.url, timeoutMs: 5000}],
  }
}

describeOrSkip('gateway: tools, prompts, resources and an upstream (bundled process, real services)', gatewayUnavailable(), function () {
  let items: Backend
  let notes: Backend
  let upstream: Upstream
  let gw: GatewayProcess
  let client: Client

  before(async function () {
    items = await startBackend(itemsRoute())
    notes = await startBackend(notesRoute())
    upstream = await startUpstream()
    gw = await startGateway(mainConfig(items, notes, upstream, await freePort()), {env: {ITEMS_TOKEN: SECRET}})
    client = await connect(gw.url)
  })

  after(async function () {
    await client?.close()
    await gw?.stop()
    await upstream?.close()
    await items?.close()
    await notes?.close()
  })

  it('initializes without a session and says who it is', async function () {
    assert.equal(client.getServerVersion()?.name, 'test-gateway')
    assert.equal(client.getInstructions(), 'Items and notes.')
    const caps = client.getServerCapabilities()!
    assert.ok(caps.tools && caps.prompts && caps.resources && caps.completions)
    const r = await post(gw.url, {jsonrpc: '2.0', id: 1, method: 'initialize', params: {protocolVersion: '2025-11-25', capabilities: {}, clientInfo: {name: 'raw', version: '1'}}})
    assert.equal(r.status, 200)
    assert.equal(r.headers.get('mcp-session-id'), null)
  })

  it('lists its own tools with their schemas as written, and the upstream tools under its prefix', async function () {
    const {tools} = await client.listTools()
    const names = tools.map((t) => t.name)
    for (const n of ['get_item', 'search', 'create_item', 'schema_2020', 'up_echo', 'up_fail', 'up_progress', 'up_add']) assert.ok(names.includes(n), `${n} in ${names}`)
    const s = tools.find((t) => t.name === 'schema_2020')!.inputSchema as Record<string, unknown>
    assert.equal(s.$schema, 'https://json-schema.org/draft/2020-12/schema')
    assert.deepEqual(s.$defs, {address: {type: 'object', properties: {city: {type: 'string'}}}})
    assert.equal(s.additionalProperties, false)
    assert.equal(tools.find((t) => t.name === 'up_echo')!.description, 'Echo the text back')
    assert.ok(tools.find((t) => t.name === 'item_price')!.outputSchema)
  })

  it('fills path arguments percent-encoded, so a slash or ? in a value stays inside its segment', async function () {
    const r = await client.callTool({name: 'get_item', arguments: {id: 'a b/c?d'}})
    assert.equal(r.isError, undefined)
    const body = JSON.parse(text(r))
    assert.equal(body.path, '/items/a%20b%2Fc%3Fd')
    assert.equal(body.data.id, 'a b/c?d')
    const dots = await client.callTool({name: 'get_item', arguments: {id: '..'}})
    assert.equal(dots.isError, true)
    assert.match(text(dots), /"\." or "\.\." path segment/)
  })

  it('fills the query from the URL and the query map: absent optional arguments left out, arrays repeated', async function () {
    const r = JSON.parse(text(await client.callTool({name: 'search', arguments: {q: 'x&y=1 z', tags: ['a', 'b c']}})))
    assert.deepEqual(r.query, [
      ['q', 'x&y=1 z'],
      ['tag', 'a'],
      ['tag', 'b c'],
    ])
    assert.equal(r.raw, '/search?q=x%26y%3D1%20z&tag=a&tag=b%20c')
    const withLimit = JSON.parse(text(await client.callTool({name: 'search', arguments: {q: 'k', limit: 5}})))
    assert.deepEqual(withLimit.query, [
      ['q', 'k'],
      ['limit', '5'],
    ])
  })

  it('sends the JSON body template with typed values and schema defaults, and headers from env and arguments', async function () {
    const r = await client.callTool({name: 'create_item', arguments: {name: 'bolt', tenant: 'acme'}})
    assert.equal(r.isError, undefined)
    const echoed = JSON.parse(text(r))
    assert.deepEqual(echoed.received, {name: 'bolt', count: 1, label: 'item bolt', source: 'kaos'})
    assert.equal(echoed.auth, `Bearer ${SECRET}`)
    assert.equal(echoed.tenant, 'acme')
    assert.equal(echoed.type, 'application/json')
    const typed = JSON.parse(text(await client.callTool({name: 'create_item', arguments: {name: 'nut', count: 7, tenant: 'acme', note: 'x'}})))
    assert.deepEqual(typed.received, {name: 'nut', count: 7, note: 'x', label: 'item nut', source: 'kaos'})
    const whole = JSON.parse(text(await client.callTool({name: 'schema_2020', arguments: {name: 'n', address: {city: 'Oslo'}}})))
    assert.deepEqual(whole.received, {name: 'n', address: {city: 'Oslo'}})
  })

  it('maps the answer with a JSON pointer, and returns structured content when the tool has an outputSchema', async function () {
    assert.equal(text(await client.callTool({name: 'item_name', arguments: {id: '7'}})), 'Widget 7')
    const r = await client.callTool({name: 'item_price', arguments: {id: '7'}})
    assert.deepEqual(r.structuredContent, {id: '7', name: 'Widget 7', price: 5})
    assert.deepEqual(JSON.parse(text(r)), {id: '7', name: 'Widget 7', price: 5})
  })

  it('returns a text answer as text and an image answer as image content', async function () {
    assert.equal(text(await client.callTool({name: 'plain', arguments: {}})), 'plain words')
    const img = await client.callTool({name: 'logo', arguments: {}})
    assert.deepEqual(img.content, [{type: 'image', data: PNG.toString('base64'), mimeType: 'image/png'}])
  })

  it('turns HTTP 404 into isError with the status and a body excerpt', async function () {
    const r = await client.callTool({name: 'get_item', arguments: {id: 'missing'}})
    assert.equal(r.isError, true)
    assert.match(text(r), /^HTTP 404 Not Found from GET http:\/\/127\.0\.0\.1:\d+\/items\/missing: \{"error":"no such item","id":"missing"\}$/)
  })

  it('turns an unreachable service into isError and keeps serving', async function () {
    const r = await client.callTool({name: 'unreachable', arguments: {}})
    assert.equal(r.isError, true)
    assert.match(text(r), /^cannot reach GET http:\/\/127\.0\.0\.1:\d+\/x: ECONNREFUSED/)
    assert.equal(text(await client.callTool({name: 'plain', arguments: {}})), 'plain words')
  })

  it('turns a service slower than the timeout into isError', async function () {
    const r = await client.callTool({name: 'slow', arguments: {}})
    assert.equal(r.isError, true)
    assert.match(text(r), /^GET http:\/\/127\.0\.0\.1:\d+\/slow did not answer within 300 ms$/)
  })

  it('does not follow redirects: it says where the service points', async function () {
    const r = await client.callTool({name: 'redirect', arguments: {}})
    assert.equal(r.isError, true)
    assert.match(text(r), /HTTP 302 Found from GET .*\/redirect redirects to \/text/)
  })

  it('refuses invalid arguments as a tool error, without calling the service', async function () {
    const before = items.requests.length
    const r = await client.callTool({name: 'search', arguments: {q: 1, limit: 'ten'}})
    assert.equal(r.isError, true)
    assert.match(text(r), /^invalid arguments for search: \/q must be string; \/limit must be integer$/)
    assert.equal(items.requests.length, before)
  })

  it('answers an unknown tool with JSON-RPC invalid params', async function () {
    const e = await rpcError(client.callTool({name: 'nope', arguments: {}}))
    assert.equal(e.code, -32602)
    assert.match(e.message, /Unknown tool: nope/)
  })

  it('serves prompts: arguments, completion, an embedded resource and an image', async function () {
    const {prompts} = await client.listPrompts()
    assert.deepEqual(
      prompts.find((p) => p.name === 'review')?.arguments,
      [
        {name: 'topic', description: 'What to review', required: true},
        {name: 'style', description: 'How'},
      ],
    )
    assert.deepEqual((await client.getPrompt({name: 'simple'})).messages, [{role: 'user', content: {type: 'text', text: 'Say hello.'}}])
    const r = await client.getPrompt({name: 'review', arguments: {topic: 'kafka', style: 'terse'}})
    assert.deepEqual(r.messages, [
      {role: 'user', content: {type: 'text', text: 'Review kafka in a terse style.'}},
      {role: 'assistant', content: {type: 'text', text: 'Here is the note first.'}},
      {role: 'user', content: {type: 'resource', resource: {uri: 'notes://kafka', mimeType: 'text/markdown', text: '# Note kafka\n'}}},
    ])
    const missing = await rpcError(client.getPrompt({name: 'review', arguments: {}}))
    assert.equal(missing.code, -32602)
    assert.match(missing.message, /prompt review needs the argument topic/)
    const c = await client.complete({ref: {type: 'ref/prompt', name: 'review'}, argument: {name: 'topic', value: 'k'}})
    assert.deepEqual(c.completion.values, ['kubernetes', 'kafka', 'kotlin'])
    const c2 = await client.complete({ref: {type: 'ref/prompt', name: 'review'}, argument: {name: 'topic', value: 'ko'}})
    assert.deepEqual(c2.completion.values, ['kotlin'])
    const img = await client.getPrompt({name: 'show_logo'})
    assert.deepEqual(img.messages, [{role: 'user', content: {type: 'image', data: PNG.toString('base64'), mimeType: 'image/png'}}])
  })

  it('serves resources: inline text as written, HTTP with a pointer, binary as a blob, a template, and -32002 for an unknown URI', async function () {
    const {resources} = await client.listResources()
    assert.deepEqual(
      resources.map((r) => r.uri),
      ['docs://readme', 'data://catalog', 'img://logo'],
    )
    assert.deepEqual((await client.readResource({uri: 'docs://readme'})).contents, [{uri: 'docs://readme', mimeType: 'text/markdown', text: '# Readme {{not a template}}'}])
    assert.deepEqual((await client.readResource({uri: 'data://catalog'})).contents, [{uri: 'data://catalog', mimeType: 'application/json', text: '[{"id":1},{"id":2}]'}])
    assert.deepEqual((await client.readResource({uri: 'img://logo'})).contents, [{uri: 'img://logo', mimeType: 'image/png', blob: PNG.toString('base64')}])
    const {resourceTemplates} = await client.listResourceTemplates()
    assert.deepEqual(resourceTemplates, [{uriTemplate: 'notes://{id}', name: 'note', mimeType: 'text/markdown'}])
    assert.deepEqual((await client.readResource({uri: 'notes://a%20b'})).contents, [{uri: 'notes://a%20b', mimeType: 'text/markdown', text: '# Note a b\n'}])
    assert.equal(notes.requests.at(-1)!.url, '/notes/a%20b')
    assert.equal((await rpcError(client.readResource({uri: 'docs://nope'}))).code, -32002)
    assert.equal((await rpcError(client.readResource({uri: 'notes://missing'}))).code, -32002)
  })

  it('forwards calls to the upstream: results, its isError, structured content and progress', async function () {
    assert.equal(text(await client.callTool({name: 'up_echo', arguments: {text: 'hi'}})), 'echo: hi')
    const fail = await client.callTool({name: 'up_fail', arguments: {}})
    assert.equal(fail.isError, true)
    assert.equal(text(fail), 'upstream says no')
    const add = await client.callTool({name: 'up_add', arguments: {a: 2, b: 3}})
    assert.deepEqual(add.structuredContent, {sum: 5})
    const progress: number[] = []
    const p = await client.callTool({name: 'up_progress', arguments: {}}, undefined, {onprogress: (n) => progress.push(n.progress)})
    assert.equal(text(p), 'done')
    assert.deepEqual(progress, [0, 50, 100])
    assert.ok(upstream.methods.filter((m) => m === 'tools/call').length >= 4)
  })

  it('keeps the streamable HTTP transport rules', async function () {
    const list = {jsonrpc: '2.0', id: 1, method: 'tools/list'}
    assert.equal((await post(gw.url, list, {origin: 'http://evil.example.com'})).status, 403)
    assert.equal((await post(gw.url, list, {origin: 'http://localhost:6274'})).status, 200)
    assert.equal((await post(gw.url, list)).status, 200)
    const notAcceptable = await post(gw.url, list, {accept: 'application/json'})
    assert.equal(notAcceptable.status, 406)
    assert.equal(JSON.parse(notAcceptable.text).error.code, -32000)
    const get = await fetch(gw.url, {headers: {accept: 'text/event-stream'}})
    assert.equal(get.status, 405)
    assert.equal(get.headers.get('allow'), 'POST')
    assert.equal((await fetch(gw.url, {method: 'DELETE'})).status, 405)
    const bad = await post(gw.url, '{not json')
    assert.equal(bad.status, 400)
    assert.equal(JSON.parse(bad.text).error.code, -32700)
    assert.equal((await post(gw.url, list, {'mcp-protocol-version': '1999-01-01'})).status, 400)
    const notification = await post(gw.url, {jsonrpc: '2.0', method: 'notifications/initialized'})
    assert.equal(notification.status, 202)
    const ok = await post(gw.url, list, {'mcp-protocol-version': '2025-11-25'})
    assert.equal(ok.headers.get('content-type'), 'application/json')
    assert.equal(ok.headers.get('mcp-session-id'), null)
  })

  it('logs one line per call (tool, status, ms) and never an argument value or a header secret', async function () {
    await client.callTool({name: 'create_item', arguments: {name: 'very-private-name', tenant: 'acme-private'}})
    await client.callTool({name: 'get_item', arguments: {id: 'missing'}})
    await gw.waitFor(/call=tool name=get_item status=http_404 ms=\d/)
    const calls = gw.calls()
    assert.ok(calls.some((l) => /call=tool name=create_item status=ok ms=[\d.]+$/.test(l)), calls.join('\n'))
    assert.ok(calls.some((l) => /call=tool name=up_echo upstream=up status=ok ms=[\d.]+$/.test(l)))
    assert.ok(calls.some((l) => /call=tool name=slow status=timeout ms=/.test(l)))
    assert.ok(calls.some((l) => /call=tool name=unreachable status=unreachable ms=/.test(l)))
    assert.ok(calls.some((l) => /call=prompt name=review status=ok ms=/.test(l)))
    assert.ok(calls.some((l) => /call=resource name=data:\/\/catalog status=ok ms=/.test(l)))
    const out = gw.stdout() + gw.stderr()
    for (const secret of [SECRET, 'very-private-name', 'acme-private', 'x&y']) assert.ok(!out.includes(secret), `${secret} in the log`)
  })
})

/** Holds every request (mode hang) or passes it to `target` (mode forward). */
/** In front of an upstream: holds requests (hang), breaks their connection (refuse), or forwards them. */
async function startSwitch(target: string): Promise<{url: string; mode: 'hang' | 'refuse' | 'forward'; held: number; refused: number; close: () => Promise<void>}> {
  const t = new URL(target)
  const state = {mode: 'hang' as 'hang' | 'refuse' | 'forward', held: 0, refused: 0}
  const server = http.createServer((req, res) => {
    if (state.mode === 'hang') {
      state.held++
      return
    }
    if (state.mode === 'refuse') {
      state.refused++
      req.socket.destroy()
      return
    }
    const up = http.request({host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers}, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers)
      r.pipe(res)
    })
    up.on('error', () => res.destroy())
    req.pipe(up)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  })
}

describeOrSkip('gateway: upstreams that are dead or hung', gatewayUnavailable(), function () {
  let items: Backend
  let good: Upstream
  let later: Upstream
  let sw: Awaited<ReturnType<typeof startSwitch>>
  let gw: GatewayProcess
  let client: Client

  before(async function () {
    items = await startBackend(itemsRoute())
    good = await startUpstream()
    later = await startUpstream()
    sw = await startSwitch(later.url)
    gw = await startGateway(
      {
        tools: [{name: 'plain', description: 'A text answer', inputSchema: obj({}), http: {url: `${items.base}/text`}}],
        upstreams: [
          {name: 'good', url: good.url},
          {name: 'dead', url: `http://127.0.0.1:${await freePort()}/mcp`, timeoutMs: 1000},
          {name: 'hung', url: sw.url, timeoutMs: 1500, prefix: 'h.', cacheMs: 300},
        ],
      },
      {ready: false},
    )
    client = await connect(gw.url)
  })

  after(async function () {
    await client?.close()
    await gw?.stop()
    await sw?.close()
    for (const s of [good, later, items]) await s?.close()
  })

  it('is not ready until each upstream has answered or failed once, then ready without the failed ones', async function () {
    // The hung upstream holds its first request for its 1.5 s timeout.
    const early = await fetch(`${gw.base}/readyz`)
    assert.equal(early.status, 503)
    assert.match(((await early.json()) as {reason: string}).reason, /waiting for the first answer of upstream .*hung/)
    await gw.waitFor(/event=upstream_down upstream=hung reason="no answer within 1500 ms"/)
    const ready = await fetch(`${gw.base}/readyz`)
    assert.equal(ready.status, 200)
    assert.deepEqual(((await ready.json()) as {upstreams: unknown}).upstreams, {good: 'up', dead: 'down', hung: 'down'})
    assert.match(await gw.waitFor(/event=upstream_down upstream=dead/), /reason=ECONNREFUSED note="left out of tools\/list until it answers again"/)
  })

  it('lists the configured and the live upstream tools without waiting for the hung one', async function () {
    const started = Date.now()
    const {tools} = await client.listTools()
    const elapsed = Date.now() - started
    assert.deepEqual(tools.map((t) => t.name).sort(), ['good_add', 'good_echo', 'good_fail', 'good_progress', 'plain'])
    // Its requests are held until its 1.5 s timeout, which the list did not wait for.
    assert.ok(sw.held > 0)
    assert.ok(elapsed < 1500, `tools/list took ${elapsed} ms`)
    assert.equal(text(await client.callTool({name: 'good_echo', arguments: {text: 'x'}})), 'echo: x')
  })

  it('brings the hung upstream back once it answers', async function () {
    sw.mode = 'forward'
    await gw.waitFor(/event=upstream_up upstream=hung tools=4/, 20_000)
    const {tools} = await client.listTools()
    assert.ok(tools.some((t) => t.name === 'h.echo'))
    assert.equal(text(await client.callTool({name: 'h.echo', arguments: {text: 'back'}})), 'echo: back')
  })
})

describeOrSkip('gateway: an upstream that answers only after the gateway started', gatewayUnavailable(), function () {
  let late: Upstream
  let sw: Awaited<ReturnType<typeof startSwitch>>
  let gw: GatewayProcess
  let client: Client

  async function refusals(n: number): Promise<void> {
    for (let i = 0; i < 400 && sw.refused < n; i++) await sleep(50)
    assert.ok(sw.refused >= n, `${sw.refused} of ${n} refused requests`)
  }

  beforeEach(async function () {
    late = await startUpstream()
    sw = await startSwitch(late.url)
    sw.mode = 'refuse'
  })

  afterEach(async function () {
    await client?.close()
    await gw?.stop()
    await sw?.close()
    await late?.close()
  })

  it('one that starts with the gateway (refusing at first): not ready until it answers, then the first tools/list has its tools', async function () {
    gw = await startGateway({upstreams: [{name: 'late', url: sw.url, timeoutMs: 8000}]}, {ready: false})
    await refusals(2)
    const early = await fetch(`${gw.base}/readyz`)
    assert.equal(early.status, 503)
    assert.match(((await early.json()) as {reason: string}).reason, /waiting for the first answer of upstream late/)
    sw.mode = 'forward'
    for (let i = 0; i < 200 && (await fetch(`${gw.base}/readyz`)).status !== 200; i++) await sleep(50)
    client = await connect(gw.url)
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), ['late_add', 'late_echo', 'late_fail', 'late_progress'])
    assert.doesNotMatch(gw.stdout(), /event=upstream_down/, 'never reported down')
  })

  it('a call to one of its tools lists it again at once, not at the next backed-off probe', async function () {
    // cacheMs: the background probe of a down upstream backs off up to a minute
    gw = await startGateway({upstreams: [{name: 'late', url: sw.url, timeoutMs: 1000, cacheMs: 60_000}]})
    client = await connect(gw.url)
    await gw.waitFor(/event=upstream_down upstream=late/)
    assert.deepEqual((await client.listTools()).tools, [])
    // Probes back off 0.5 s, 1 s, 2 s, 4 s: after the third the next one is seconds away.
    await refusals(sw.refused + 3)
    sw.mode = 'forward'
    assert.equal(text(await client.callTool({name: 'late_echo', arguments: {text: 'now'}})), 'echo: now')
    await gw.waitFor(/event=upstream_up upstream=late tools=4/)
    assert.ok((await client.listTools()).tools.some((t) => t.name === 'late_echo'))
    // A name under no upstream's prefix is still unknown, at once.
    await assert.rejects(client.callTool({name: 'other_echo', arguments: {}}), /Unknown tool: other_echo/)
  })
})

describeOrSkip('gateway: two processes, one session-less client', gatewayUnavailable(), function () {
  let items: Backend
  let a: GatewayProcess
  let b: GatewayProcess

  before(async function () {
    items = await startBackend(itemsRoute())
    const config = {tools: [{name: 'get_item', description: 'Get an item', inputSchema: obj({id: {type: 'string'}}, ['id']), http: {url: `${items.base}/items/{{args.id}}`}}]}
    ;[a, b] = await Promise.all([startGateway(config), startGateway(config)])
  })

  after(async function () {
    await Promise.all([a?.stop(), b?.stop()])
    await items?.close()
  })

  it('answers the same client alternately from either process', async function () {
    let n = 0
    const seen: number[] = []
    // A round-robin in front of the two, as a Service without session affinity is.
    const roundRobin: typeof fetch = (input, init) => {
      const target = n++ % 2 === 0 ? a : b
      seen.push(target.port)
      const url = new URL(input instanceof Request ? input.url : String(input))
      url.port = String(target.port)
      return fetch(url, init)
    }
    const client = await connect(a.url, roundRobin)
    try {
      for (let i = 0; i < 6; i++) {
        const r = await client.callTool({name: 'get_item', arguments: {id: String(i)}})
        assert.equal(JSON.parse(text(r)).data.id, String(i))
      }
      assert.equal((await client.listTools()).tools[0].name, 'get_item')
    } finally {
      await client.close()
    }
    assert.ok(seen.includes(a.port) && seen.includes(b.port))
    // Which process got which call depends on the client's own requests in between (initialize,
    // its notification, the stream GET it tries); both got calls, and none was lost.
    assert.ok(a.calls().length > 0 && b.calls().length > 0, `${a.calls().length} and ${b.calls().length}`)
    assert.equal(a.calls().length + b.calls().length, 6)
  })
})
