// The OpenAI-compatible chat client against a local HTTP server speaking the wire format.
import assert from 'node:assert/strict'
import http from 'node:http'
import type net from 'node:net'

import {chatCompletion, errorMessageOf, parseSse} from '../../src/lib/chat.js'
import {KaosError} from '../../src/lib/errors.js'
import {cliUnavailable, runCli} from '../helpers/cli.js'
import {itOrSkip} from '../helpers/mocha.js'

describe('parseSse', () => {
  it('splits events, joins data lines, skips comments, keeps the unfinished rest', () => {
    const {events, rest} = parseSse(': keep-alive\n\ndata: {"a":1}\n\nevent: error\ndata: x\ndata: y\n\ndata: par')
    assert.deepEqual(events, [{event: undefined, data: '{"a":1}'}, {event: 'error', data: 'x\ny'}])
    assert.equal(rest, 'data: par')
  })
  it('CRLF line ends', () => {
    assert.deepEqual(parseSse('data: 1\r\n\r\n').events, [{event: undefined, data: '1'}])
  })
})

describe('errorMessageOf', () => {
  it('reads OpenAI, LiteLLM and FastAPI error bodies', () => {
    assert.equal(errorMessageOf('{"error": {"message": "bad model"}}'), 'bad model')
    assert.equal(errorMessageOf('{"detail": "nope"}'), 'nope')
    assert.equal(errorMessageOf('{"error": "flat"}'), 'flat')
    assert.equal(errorMessageOf('plain text\nmore'), 'plain text')
  })
})

describe('chatCompletion', () => {
  let server: http.Server
  let base = ''
  const seen: any[] = []
  const sockets = new Set<net.Socket>()
  before(async () => {
    server = http.createServer((req, res) => {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', () => {
        const msg = JSON.parse(body)
        seen.push({msg, headers: req.headers})
        const text = msg.messages.at(-1).content
        if (text === 'error') {
          res.writeHead(400, {'content-type': 'application/json'}).end('{"error": {"message": "model foo not found"}}')
          return
        }
        if (!msg.stream) {
          res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({id: 'c1', model: msg.model, choices: [{message: {role: 'assistant', content: `echo: ${text}`}, finish_reason: 'stop'}], usage: {total_tokens: 3}}))
          return
        }
        res.writeHead(200, {'content-type': 'text/event-stream'})
        for (const w of ['Hel', 'lo ', text]) res.write(`data: ${JSON.stringify({model: msg.model, choices: [{delta: {content: w}}]})}\n\n`)
        if (text === 'die') {
          res.socket?.destroy()
          return
        }
        if (text === 'stall') return
        res.write(`data: ${JSON.stringify({choices: [{delta: {}, finish_reason: 'stop'}]})}\n\n`)
        res.end('data: [DONE]\n\n')
      })
    })
    server.on('connection', (s) => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`
  })
  after(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((r) => server.close(r))
  })

  it('plain: the answer, model, finish reason and usage', async () => {
    const r = await chatCompletion({baseUrl: base, model: 'm1', messages: [{role: 'system', content: 'sys'}, {role: 'user', content: 'hi'}], headers: {'x-k': 'v'}})
    assert.equal(r.content, 'echo: hi')
    assert.equal(r.model, 'm1')
    assert.equal(r.finishReason, 'stop')
    assert.deepEqual(r.usage, {total_tokens: 3})
    const last = seen.at(-1)
    assert.equal(last.msg.stream, false)
    assert.equal(last.msg.messages[0].role, 'system')
    assert.equal(last.headers['x-k'], 'v')
  })

  it('streamed: deltas arrive one by one and add up', async () => {
    const deltas: string[] = []
    const r = await chatCompletion({baseUrl: base, model: 'm2', messages: [{role: 'user', content: 'there'}], stream: true, onDelta: (d) => deltas.push(d)})
    assert.deepEqual(deltas, ['Hel', 'lo ', 'there'])
    assert.equal(r.content, 'Hello there')
    assert.equal(r.finishReason, 'stop')
    assert.equal(r.chunks, 4)
  })

  it('HTTP errors: exit 6 with the server message', async () => {
    await assert.rejects(chatCompletion({baseUrl: base, model: 'foo', messages: [{role: 'user', content: 'error'}]}), (e: KaosError) => e.exit === 6 && /HTTP 400: model foo not found/.test(e.message))
  })

  it('a stream cut mid-answer: exit 5 at once', async () => {
    await assert.rejects(chatCompletion({baseUrl: base, model: 'm', messages: [{role: 'user', content: 'die'}], stream: true}), (e: KaosError) => e.exit === 5)
  })

  it('a stalled stream: timeout, exit 6', async () => {
    const t0 = Date.now()
    await assert.rejects(chatCompletion({baseUrl: base, model: 'm', messages: [{role: 'user', content: 'stall'}], stream: true, timeoutMs: 300}), (e: KaosError) => e.exit === 6 && e.code === 'TIMEOUT')
    assert.ok(Date.now() - t0 < 2000)
  })

  itOrSkip('CLI: kaos modelapi invoke --url, plain and --stream', cliUnavailable(), async () => {
    const plain = await runCli(['modelapi', 'invoke', '--url', base, '--model', 'mx', '-m', 'yo'])
    assert.equal(plain.code, 0, plain.stderr)
    assert.equal(plain.stdout, 'echo: yo\n')
    const streamed = await runCli(['agent', 'invoke', '--url', base, '--model', 'mx', '-m', 'you', '--stream'])
    assert.equal(streamed.code, 0, streamed.stderr)
    assert.equal(streamed.stdout, 'Hello you\n')
    const json = await runCli(['modelapi', 'invoke', '--url', base, '--model', 'mx', '-m', 'x', '--json'])
    assert.equal(JSON.parse(json.stdout).content, 'echo: x')
    const bad = await runCli(['modelapi', 'invoke', '--url', base, '--model', 'mx', '-m', 'error'])
    assert.equal(bad.code, 6)
    assert.equal((await runCli(['modelapi', 'invoke', '--url', base, '-m', 'x'])).code, 2)
  })
})
