// `kaos agent|modelapi invoke --url` (the built CLI) against a local server speaking the OpenAI
// chat wire format: model text reaches a terminal without escape sequences (also when a sequence
// is split across streamed chunks) and a pipe unchanged; credentials in --url never reach output.
import assert from 'node:assert/strict'

import {cliUnavailable, runCli, runCliInTerminal, terminalUnavailable} from '../helpers/cli.js'
import {type LocalServer, startHttp} from '../helpers/http-servers.js'
import {freePort} from '../helpers/mcp-servers.js'
import {describeConcurrent, describeOrSkip} from '../helpers/mocha.js'

const ESC = '\u001B'
const ESCAPES = 'red \u001B[31mRED\u001B[0m title\u001B]0;pwned\u0007 clear\u001B[2J bell\u0007 cr\r done'
const ESCAPES_STRIPPED = 'red RED title clear bell cr done'
// Cut inside every sequence, as tokens may be.
const CHUNKS = ['red \u001B[3', '1mRED\u001B', '[0m title\u001B]0;pw', 'ned\u0007 clear\u001B[2', 'J bell\u0007 cr\r done']
const SECRET = 's3cret-pw'

/** Answers by the user message: "ansi" (text with escapes), "fail" (a 500 quoting escapes), "hang" (never). */
function chatServer(): Promise<LocalServer> {
  return startHttp((_req, res, body) => {
    const msg = JSON.parse(body)
    const text = msg.messages.at(-1).content
    if (text === 'hang') return
    if (text === 'fail') {
      res.writeHead(500, {'content-type': 'application/json'}).end(JSON.stringify({error: {message: `upstream failed ${ESCAPES}`}}))
      return
    }
    if (!msg.stream) {
      res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({model: msg.model, choices: [{message: {role: 'assistant', content: ESCAPES}, finish_reason: 'stop'}]}))
      return
    }
    res.writeHead(200, {'content-type': 'text/event-stream'})
    for (const c of CHUNKS) res.write(`data: ${JSON.stringify({model: msg.model, choices: [{delta: {content: c}}]})}\n\n`)
    res.end('data: [DONE]\n\n')
  })
}

describeOrSkip('kaos agent|modelapi invoke: model text on a terminal', cliUnavailable(), () => {
  let server: LocalServer
  let base = ''
  before(async () => {
    server = await chatServer()
    base = `http://127.0.0.1:${server.port}`
  })
  after(async () => {
    await server?.close()
  })
  const terminalSkip = terminalUnavailable()

  for (const stream of [false, true]) {
    const how = stream ? 'streamed (sequences split across chunks)' : 'whole'
    ;(terminalSkip ? it.skip : it)(`${how}: no escape sequences reach a terminal${terminalSkip ? ` [skipped: ${terminalSkip}]` : ''}`, async () => {
      const r = await runCliInTerminal(['agent', 'invoke', '--url', base, '--model', 'm', '-m', 'ansi', ...(stream ? ['--stream'] : [])])
      assert.equal(r.code, 0, r.output)
      assert.equal(r.output, `${ESCAPES_STRIPPED}\r\n`)
    })

    it(`${how}: piped, the bytes are unchanged`, async () => {
      const r = await runCli(['modelapi', 'invoke', '--url', base, '--model', 'm', '-m', 'ansi', ...(stream ? ['--stream'] : [])], {raw: true})
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout, `${ESCAPES}\n`)
    })
  }

  it('an error quoting the server: one line without escapes (exit 6)', async () => {
    const r = await runCli(['agent', 'invoke', '--url', base, '--model', 'm', '-m', 'fail'], {raw: true})
    assert.equal(r.code, 6)
    assert.equal(r.error, `${base} answered HTTP 500: upstream failed ${ESCAPES_STRIPPED}`)
    assert.ok(!r.stderr.includes(ESC))
  })
})

describeConcurrent('kaos agent|modelapi invoke --url http://user:password@…: the password is never shown', cliUnavailable(), 2, (it) => {
  const withCreds = (base: string) => base.replace('http://', `http://user:${SECRET}@`)
  const redacted = (base: string) => base.replace('http://', 'http://***@')
  // One server for the cases that need one, started by the first of them (they run concurrently).
  let server: Promise<LocalServer> | undefined
  const base = async () => {
    server ??= chatServer()
    return `http://127.0.0.1:${(await server).port}`
  }
  after(async () => {
    await (await server)?.close()
  })
  const cases: Array<{name: string; url: () => Promise<string>; message: string; args?: string[]; code: number; error: (b: string) => string}> = [
    {name: 'an HTTP error', url: base, message: 'fail', code: 6, error: (b) => `${b} answered HTTP 500: upstream failed ${ESCAPES_STRIPPED}`},
    {name: 'a timeout', url: base, message: 'hang', args: ['--timeout', '500ms'], code: 6, error: (b) => `no complete answer from ${b} within --timeout 500ms`},
    {name: 'nothing listening', url: async () => `http://127.0.0.1:${await freePort()}`, message: 'hi', code: 5, error: (b) => `cannot talk to ${b}: ECONNREFUSED`},
  ]
  for (const c of cases) {
    for (const json of [false, true]) {
      it(`${c.name}${json ? ' (--json)' : ' (DEBUG=*)'}`, async () => {
        const b = await c.url()
        const r = await runCli(['modelapi', 'invoke', '--url', withCreds(b), '--model', 'm', '-m', c.message, ...(c.args ?? []), ...(json ? ['--json'] : [])], {env: {DEBUG: json ? undefined : '*'}})
        assert.equal(r.code, c.code, r.stderr)
        if (json) assert.equal(JSON.parse(r.stdout).error.message, c.error(redacted(b)).replace(ESCAPES_STRIPPED, ESCAPES))
        else assert.equal(r.error, c.error(redacted(b)))
        assert.ok(!`${r.stdout}${r.stderr}`.includes(SECRET), 'the password is not in the output (DEBUG logs included)')
      })
    }
  }

  it('the credentials are used (HTTP Basic), and are in no output of a successful call', async () => {
    const b = await base()
    const r = await runCli(['agent', 'invoke', '--url', withCreds(b), '--model', 'm', '-m', 'ansi', '--json'], {env: {DEBUG: '*'}})
    assert.equal(r.code, 0, r.stderr)
    assert.ok(!`${r.stdout}${r.stderr}`.includes(SECRET))
    assert.equal((await server)!.requests.at(-1)!.headers.authorization, `Basic ${Buffer.from(`user:${SECRET}`).toString('base64')}`)
  })
})
