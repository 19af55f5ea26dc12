// `kaos mcp invoke --url` (the built CLI) against MCP servers kaos's client was not written for:
// servers built in the test process on the official TypeScript SDK, the reference "everything"
// server, the rawpython runtime (behind a recording proxy) and small HTTP servers that are not MCP
// at all. What users meet: Ctrl-C mid-call, progress and time limits, refusals and wrong URLs,
// extra arguments, escape sequences in server text, credentials in URLs.
import assert from 'node:assert/strict'
import {setTimeout as sleep} from 'node:timers/promises'

import {cliUnavailable, runCli, runCliInTerminal, spawnCli, terminalUnavailable} from '../helpers/cli.js'
import {type LocalServer, startHttp, startSilent} from '../helpers/http-servers.js'
import {type RunningServer, everythingUnavailable, freePort, rawpythonUnavailable, startEverything, startRawpython} from '../helpers/mcp-servers.js'
import {describeConcurrent, describeOrSkip} from '../helpers/mocha.js'
import {type RecordingServer, type SdkServer, type SdkTool, startRecordingProxy, startSdkServer} from '../helpers/sdk-server.js'

const skip = cliUnavailable()

/** A tool that runs until its request is cancelled (or `seconds` pass). */
const slow: SdkTool = {
  name: 'slow',
  description: 'Waits until cancelled',
  inputSchema: {type: 'object', properties: {seconds: {type: 'number'}}},
  run: async (args, ctx) => {
    await sleep(Number(args.seconds ?? 30) * 1000, undefined, {signal: ctx.signal}).catch(() => {})
    return {content: [{type: 'text', text: ctx.signal.aborted ? 'cancelled' : 'done'}]}
  },
}

/** Reports progress (with a message) every `every` seconds for `steps` steps. */
const steps: SdkTool = {
  name: 'steps',
  inputSchema: {type: 'object', properties: {steps: {type: 'integer'}, every: {type: 'number'}, message: {type: 'string'}}},
  run: async (args, ctx) => {
    const n = Number(args.steps ?? 3)
    for (let i = 1; i <= n; i++) {
      await sleep(Number(args.every ?? 0.2) * 1000, undefined, {signal: ctx.signal}).catch(() => {})
      if (ctx.signal.aborted) return {content: [{type: 'text', text: 'cancelled'}]}
      await ctx.progress(i, n, `${args.message ?? 'step'} ${i}`)
    }
    return {content: [{type: 'text', text: `did ${n} steps${ctx.hasProgressToken ? '' : ' (no progressToken)'}`}]}
  },
}

const ESCAPES = 'red \u001B[31mRED\u001B[0m title\u001B]0;pwned\u0007 clear\u001B[2J bell\u0007 cr\r done'
const ESCAPES_STRIPPED = 'red RED title clear bell cr done'

const ansi: SdkTool = {name: 'ansi', run: async () => ({content: [{type: 'text', text: ESCAPES}]})}
const ansiError: SdkTool = {name: 'ansi-error', run: async () => ({content: [{type: 'text', text: `boom ${ESCAPES}`}], isError: true})}
const LONG = `Refused to fetch ${'http://127.0.0.1:1/ '.repeat(20)}: private, loopback and link-local addresses are not allowed`
const longError: SdkTool = {name: 'long-error', run: async () => ({content: [{type: 'text', text: LONG}], isError: true})}
const ansiThrow: SdkTool = {
  name: 'ansi-throw',
  run: async () => {
    throw new Error(`kaput ${ESCAPES}`)
  },
}
const echo: SdkTool = {
  name: 'echo',
  inputSchema: {type: 'object', properties: {text: {type: 'string'}}, required: ['text']},
  run: async (args) => ({content: [{type: 'text', text: JSON.stringify(args)}]}),
}
const strict: SdkTool = {
  name: 'strict',
  inputSchema: {type: 'object', properties: {text: {type: 'string'}}, additionalProperties: false},
  run: async (args) => ({content: [{type: 'text', text: JSON.stringify(args)}]}),
}

const ESC = '\u001B'

describeOrSkip('kaos mcp invoke against other MCP servers', skip, () => {
  describe('Ctrl-C on a stateful server built on the official TypeScript SDK', () => {
    let server: SdkServer
    before(async () => {
      server = await startSdkServer({tools: [slow]})
    })
    after(async () => {
      await server?.close()
    })

    it('cancels the in-flight call (notifications/cancelled), then ends the session (DELETE), and exits 130 within the grace', async () => {
      const p = spawnCli(['mcp', 'invoke', '--url', server.url, '--tool', 'slow'])
      await server.waitFor(() => server.events.some((e) => e.type === 'start'), 15_000, 'the tool to start')
      const call = server.messages().find((m) => m.method === 'tools/call')!
      const session = server.requests.find((r) => r.headers['mcp-session-id'])?.headers['mcp-session-id']
      assert.ok(session, 'the client uses a session')
      const t0 = Date.now()
      p.child.kill('SIGINT')
      const {code, at} = await p.exited
      assert.equal(code, 130, JSON.stringify(p.out()))
      assert.ok(at - t0 < 1500, `exited ${at - t0} ms after SIGINT`)
      assert.match(p.out().stderr, /interrupted \(SIGINT\)/)
      assert.equal(p.out().stdout, '')
      const cancelled = server.messages().filter((m) => m.method === 'notifications/cancelled')
      assert.deepEqual(
        cancelled.map((m) => m.params.requestId),
        [call.id],
        'one cancellation, for the tools/call request',
      )
      const abort = server.events.find((e) => e.type === 'abort')
      assert.ok(abort, "the tool's abort signal fired")
      assert.equal(abort.requestId, call.id)
      assert.equal(abort.reason, cancelled[0].params.reason, 'aborted by the cancellation, not by the session ending')
      const del = server.requests.filter((r) => r.method === 'DELETE')
      assert.equal(del.length, 1, 'the session was ended')
      assert.equal(del[0].headers['mcp-session-id'], session)
      const cancelledAt = server.requests.find((r) => (r.body as {method?: string})?.method === 'notifications/cancelled')!.at
      assert.ok(cancelledAt <= del[0].at, 'the cancellation went before the DELETE')
    })
  })

  describeOrSkip('Ctrl-C on the stateless rawpython runtime (behind a recording proxy)', rawpythonUnavailable(), () => {
    let raw: RunningServer
    let proxy: RecordingServer
    before(async () => {
      raw = await startRawpython('import time\n\ndef slow(seconds: float = 30) -> str:\n    """Sleeps."""\n    time.sleep(seconds)\n    return "done"\n')
      proxy = await startRecordingProxy(`http://127.0.0.1:${raw.port}`)
    })
    after(async () => {
      await proxy?.close()
      await raw?.stop()
    })

    it('cancels the call, sends no DELETE (there is no session), closes the connection and exits 130 within the grace', async () => {
      const p = spawnCli(['mcp', 'invoke', '--url', proxy.url, '--tool', 'slow'])
      await proxy.waitFor(() => proxy.messages().some((m) => m.method === 'tools/call'), 15_000, 'tools/call')
      await sleep(200)
      const callReq = proxy.requests.find((r) => (r.body as {method?: string})?.method === 'tools/call')!
      const call = callReq.body as {id: number}
      const t0 = Date.now()
      p.child.kill('SIGINT')
      const {code, at} = await p.exited
      assert.equal(code, 130, JSON.stringify(p.out()))
      assert.ok(at - t0 < 1500, `exited ${at - t0} ms after SIGINT`)
      assert.equal(proxy.requests.filter((r) => r.headers['mcp-session-id']).length, 0, 'stateless: no session id')
      const cancelled = proxy.messages().filter((m) => m.method === 'notifications/cancelled')
      assert.deepEqual(
        cancelled.map((m) => m.params.requestId),
        [call.id],
      )
      assert.equal(proxy.requests.filter((r) => r.method === 'DELETE').length, 0, 'no session, no DELETE')
      await proxy.waitFor(() => callReq.clientClosedAt, 2000, 'the tools/call connection to close')
      assert.ok(callReq.clientClosedAt! - t0 < 1500)
    })
  })

  describeOrSkip('progress, --timeout and --max-time (everything server)', everythingUnavailable(), () => {
    let server: RunningServer
    before(async () => {
      server = await startEverything()
    })
    after(async () => {
      await server?.stop()
    })
    const long = (...args: string[]) => runCli(['mcp', 'invoke', '--url', server.url, '--tool', 'trigger-long-running-operation', ...args])

    it('shows each progress notification on stderr; progress keeps a call longer than --timeout alive', async () => {
      const t0 = Date.now()
      const r = await long('--arg', 'duration=2.4', '--arg', 'steps=6', '--timeout', '1s')
      assert.equal(r.code, 0, r.stderr)
      assert.ok(Date.now() - t0 > 2400)
      assert.equal(r.stdout, 'Long running operation completed. Duration: 2.4 seconds, Steps: 6.\n')
      const lines = r.stderr.split('\n').filter((l) => l.includes('trigger-long-running-operation:'))
      assert.deepEqual(
        lines.map((l) => l.replace(/^\d\d:\d\d:\d\d /, '')),
        ['1/6 (17%)', '2/6 (33%)', '3/6 (50%)', '4/6 (67%)', '5/6 (83%)', '6/6 (100%)'].map((p) => `trigger-long-running-operation: ${p}`),
      )
    })

    it('without progress, --timeout still ends the call (exit 6, the message names --timeout)', async () => {
      const r = await long('--arg', 'duration=3', '--arg', 'steps=1', '--timeout', '1s')
      assert.equal(r.code, 6, r.stderr)
      assert.equal(r.error, `no answer or progress to tools/call trigger-long-running-operation from ${server.url} within --timeout 1s`)
      assert.equal(r.stdout, '')
    })

    it('--max-time cuts a call that keeps reporting progress (exit 6, the message names --max-time)', async () => {
      const t0 = Date.now()
      const r = await long('--arg', 'duration=6', '--arg', 'steps=12', '--timeout', '1s', '--max-time', '1.5s')
      const took = Date.now() - t0
      assert.equal(r.code, 6, r.stderr)
      assert.equal(r.error, 'tools/call trigger-long-running-operation was still running after --max-time 1.5s; kaos cancelled it')
      assert.deepEqual(r.suggestions, ['Raise --max-time if the tool needs longer.'])
      assert.ok(took < 4000, `took ${took} ms`)
      assert.match(r.stderr, /trigger-long-running-operation: 2\/12 \(17%\)/)
    })

    it('--json: no progress output, the raw result', async () => {
      const r = await long('--arg', 'duration=0.6', '--arg', 'steps=3', '--json')
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stderr, '')
      assert.match(JSON.parse(r.stdout).content[0].text, /^Long running operation completed/)
    })

    it('--max-time needs --tool and a duration', async () => {
      assert.equal((await runCli(['mcp', 'invoke', '--url', server.url, '--max-time', '5s'])).error, '--max-time goes with --tool')
      const bad = await long('--max-time', 'soon')
      assert.equal(bad.code, 2)
      assert.equal(bad.error, '--max-time "soon" is not a duration')
    })
  })

  describe('progress and --max-time on a TypeScript SDK server', () => {
    let server: SdkServer
    before(async () => {
      server = await startSdkServer({tools: [steps]})
    })
    after(async () => {
      await server?.close()
    })

    it("the progress message is shown; --max-time cancels the call on the server", async () => {
      const before = server.messages().length
      const r = await runCli(['mcp', 'invoke', '--url', server.url, '--tool', 'steps', '--arg', 'steps=50', '--arg', 'every=0.1', '--max-time', '1s'])
      assert.equal(r.code, 6, r.stderr)
      assert.equal(r.error, 'tools/call steps was still running after --max-time 1s; kaos cancelled it')
      assert.match(r.stderr, /^\d\d:\d\d:\d\d steps: 3\/50 \(6%\) step 3$/m)
      const sent = server.messages().slice(before)
      const call = sent.find((m) => m.method === 'tools/call')!
      assert.equal(typeof call.params._meta.progressToken, 'number', 'a progressToken goes with the call')
      assert.deepEqual(
        sent.filter((m) => m.method === 'notifications/cancelled').map((m) => m.params.requestId),
        [call.id],
      )
      await server.waitFor(() => server.events.some((e) => e.type === 'abort' && e.requestId === call.id), 2000, 'the tool to be aborted')
    })

    itTerminal('on a terminal, progress is one line rewritten in place, and server text in it loses its escape sequences', async () => {
      const r = await runCliInTerminal(['mcp', 'invoke', '--url', server.url, '--tool', 'steps', '--arg', 'steps=3', '--arg', `message=${ESC}]0;pwned${ESC}\\go${ESC}[1A`])
      assert.equal(r.code, 0, r.output)
      assert.ok(r.output.includes(`\r${ESC}[Ksteps: 1/3 (33%) go 1\r${ESC}[Ksteps: 2/3 (67%) go 2\r${ESC}[Ksteps: 3/3 (100%) go 3\r${ESC}[K`), JSON.stringify(r.output))
      assert.ok(r.output.includes('did 3 steps'))
      assert.ok(!r.output.includes('pwned') && !r.output.includes(`${ESC}[1A`), JSON.stringify(r.output))
    })
  })

  describe('extra arguments', () => {
    let server: SdkServer
    before(async () => {
      server = await startSdkServer({tools: [echo, strict]})
    })
    after(async () => {
      await server?.close()
    })

    it('a schema without additionalProperties: false gets them, with a warning on stderr', async () => {
      const r = await runCli(['mcp', 'invoke', '--url', server.url, '--tool', 'echo', '--arg', 'text=hi', '--arg', 'texts=2'])
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stderr, /Warning: tool "echo" does not declare argument "texts"; sending it anyway \(its schema allows extra arguments\)\. Did you mean "text"\?/)
      assert.deepEqual(JSON.parse(r.stdout), {text: 'hi', texts: '2'})
    })

    it('additionalProperties: false rejects them before the call (exit 2)', async () => {
      const calls = server.messages().filter((m) => m.method === 'tools/call').length
      const r = await runCli(['mcp', 'invoke', '--url', server.url, '--tool', 'strict', '--arg', 'text=hi', '--arg', 'texts=2'])
      assert.equal(r.code, 2)
      assert.equal(r.error, 'tool "strict": unknown argument "texts". Did you mean "text"?')
      assert.equal(server.messages().filter((m) => m.method === 'tools/call').length, calls, 'nothing was called')
    })
  })

  describe('server text on a terminal', () => {
    let server: SdkServer
    before(async () => {
      server = await startSdkServer({tools: [ansi, ansiError, ansiThrow, longError]})
    })
    after(async () => {
      await server?.close()
    })

    itTerminal('a tool result printed to a terminal has no escape sequences or control characters', async () => {
      const r = await runCliInTerminal(['mcp', 'invoke', '--url', server.url, '--tool', 'ansi'])
      assert.equal(r.code, 0, r.output)
      assert.equal(r.output, `${ESCAPES_STRIPPED}\r\n`)
    })

    it('piped, the bytes are passed on unchanged', async () => {
      const r = await runCli(['mcp', 'invoke', '--url', server.url, '--tool', 'ansi'], {raw: true})
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stdout, `${ESCAPES}\n`)
    })

    it('a tool error: its content unchanged on stdout, the error line on stderr without escapes', async () => {
      const r = await runCli(['mcp', 'invoke', '--url', server.url, '--tool', 'ansi-error'], {raw: true})
      assert.equal(r.code, 6)
      assert.equal(r.stdout, `boom ${ESCAPES}\n`)
      assert.equal(r.error, `tool "ansi-error" returned an error: boom ${ESCAPES_STRIPPED}`)
      assert.ok(!r.stderr.includes(ESC))
    })

    it('a long tool error: whole on stdout; the error line quotes its start, cut between words', async () => {
      const r = await runCli(['mcp', 'invoke', '--url', server.url, '--tool', 'long-error'])
      assert.equal(r.code, 6)
      assert.equal(r.stdout, `${LONG}\n`)
      assert.match(r.error!, /^tool "long-error" returned an error: Refused to fetch (http:\/\/127\.0\.0\.1:1\/ ?)+… \(the whole answer is on stdout\)$/)
    })

    it('a JSON-RPC error quoting server text: the error line without escapes; --json keeps them, escaped', async () => {
      const r = await runCli(['mcp', 'invoke', '--url', server.url, '--tool', 'ansi-throw'], {raw: true})
      assert.equal(r.code, 6)
      assert.equal(r.error, `tools/call ansi-throw failed: kaput ${ESCAPES_STRIPPED} (JSON-RPC error -32603)`)
      assert.ok(!r.stderr.includes(ESC))
      const j = await runCli(['mcp', 'invoke', '--url', server.url, '--tool', 'ansi-throw', '--json'], {raw: true})
      assert.equal(j.code, 6)
      assert.ok(!j.stdout.includes(ESC), 'JSON escapes control characters')
      assert.equal(JSON.parse(j.stdout).error.message, `tools/call ansi-throw failed: kaput ${ESCAPES} (JSON-RPC error -32603)`)
    })
  })
})

function itTerminal(title: string, fn: () => Promise<void>): void {
  const reason = terminalUnavailable()
  if (reason) it.skip(`${title} [skipped: ${reason}]`, fn)
  else it(title, fn)
}

// Each case: a server that is not what kaos expects, and the one message that says so.
const hints: Array<{name: string; server: () => Promise<LocalServer>; args?: string[]; code?: number; error: (url: string) => string | RegExp; suggestion?: RegExp; notSuggested?: RegExp}> = [
  {
    name: 'a web page (HTML, 200) is not an MCP endpoint',
    server: () => startHttp((_q, res) => res.writeHead(200, {'content-type': 'text/html; charset=utf-8'}).end('<!doctype html><html><head><title>Welcome to nginx!</title></head><body><h1>Welcome</h1></body></html>')),
    error: (url) => `${url} does not look like an MCP endpoint: initialize got HTTP 200 (text/html): an HTML page titled "Welcome to nginx!"`,
    suggestion: /most servers answer MCP at \/mcp \(pass --path or fix --url\).*--transport sse/,
  },
  {
    name: '405 is not an MCP endpoint',
    server: () => startHttp((_q, res) => res.writeHead(405, {'content-type': 'text/plain', allow: 'GET'}).end('Method Not Allowed')),
    error: (url) => `${url} does not look like an MCP endpoint: initialize got HTTP 405 (text/plain): Method Not Allowed`,
    suggestion: /--path/,
  },
  {
    name: '501 (an HTML error page without a title) is not an MCP endpoint',
    server: () => startHttp((_q, res) => res.writeHead(501, {'content-type': 'text/html'}).end('<html><body><h1>Not Implemented</h1><p>POST is not supported here.</p></body></html>')),
    error: (url) => `${url} does not look like an MCP endpoint: initialize got HTTP 501 (text/html): an HTML page: "Not Implemented POST is not supported here."`,
  },
  {
    name: 'JSON that is not JSON-RPC is not an MCP endpoint',
    server: () => startHttp((_q, res) => res.writeHead(200, {'content-type': 'application/json'}).end('{"status": "ok", "service": "billing"}')),
    error: (url) => `${url} does not look like an MCP endpoint: initialize got HTTP 200 (application/json): {"status":"ok","service":"billing"}`,
  },
  {
    name: '401 with WWW-Authenticate: the credentials hint',
    server: () => startHttp((_q, res) => res.writeHead(401, {'www-authenticate': 'Bearer realm="mcp"', 'content-type': 'application/json'}).end('{"error": "invalid_token"}')),
    error: (url) => `the MCP server at ${url} refused initialize: it wants credentials (HTTP 401: invalid_token)`,
    suggestion: /--header Authorization="Bearer <token>"/,
  },
  {
    name: '403 with WWW-Authenticate (insufficient scope): the credentials hint',
    server: () => startHttp((_q, res) => res.writeHead(403, {'www-authenticate': 'Bearer error="insufficient_scope"'}).end()),
    error: (url) => `the MCP server at ${url} refused initialize: it wants credentials (HTTP 403)`,
    suggestion: /--header Authorization=/,
  },
  {
    name: 'a plain 403: forbidden, neither an Origin nor a credentials diagnosis',
    server: () => startHttp((_q, res) => res.writeHead(403, {'content-type': 'text/plain'}).end('Forbidden')),
    error: (url) => `the MCP server at ${url} refused initialize (HTTP 403: Forbidden)`,
    notSuggested: /DNS-rebinding/,
  },
  {
    name: 'a listener that never answers: the --timeout message',
    server: startSilent,
    args: ['--timeout', '1s'],
    error: (url) => `no answer to initialize from ${url} within --timeout 1s`,
    suggestion: /accepts connections and never answers/,
  },
]

describeConcurrent('kaos mcp invoke --url: hints that match the cause', skip, 2, (it) => {
  for (const h of hints) {
    it(h.name, async () => {
      const server = await h.server()
      try {
        const t0 = Date.now()
        const r = await runCli(['mcp', 'invoke', '--url', server.url, '--tool', 'x', ...(h.args ?? [])])
        assert.equal(r.code, h.code ?? 6, r.stderr)
        const want = h.error(server.url)
        if (typeof want === 'string') assert.equal(r.error, want)
        else assert.match(r.error ?? '', want)
        if (h.suggestion) assert.match(r.suggestions.join('\n'), h.suggestion)
        if (h.notSuggested) assert.doesNotMatch(r.stderr, h.notSuggested)
        assert.equal(r.stdout, '', 'nothing on stdout')
        assert.ok(Date.now() - t0 < 5000)
      } finally {
        await server.close()
      }
    })
  }

  it("an SDK server's DNS-rebinding protection refusing the Host: says so, not \"pass Authorization\"", async () => {
    const server = await startSdkServer({tools: [echo], allowedHosts: ['mcp.example.com']})
    try {
      const r = await runCli(['mcp', 'invoke', '--url', server.url])
      assert.equal(r.code, 6)
      const host = `127.0.0.1:${server.port}`
      assert.equal(
        r.error,
        `the MCP server at ${server.url} refused initialize: its DNS-rebinding protection did not accept the Host or Origin header (HTTP 403: Invalid Host header: ${host})`,
      )
      assert.equal(
        r.suggestions[0],
        `kaos sent Host: ${host} and no Origin. Allow them on the server (rawpython: MCP_ALLOWED_HOSTS, MCP_ALLOWED_ORIGINS; TypeScript SDK: allowedHosts, allowedOrigins; FastMCP: transport_security), or send the Host it expects with --header Host=NAME.`,
      )
      assert.doesNotMatch(r.stderr, /Authorization/)
      // The fix it names works.
      const fixed = await runCli(['mcp', 'invoke', '--url', server.url, '--header', 'Host=mcp.example.com', '--tool', 'echo', '--arg', 'text=ok'])
      assert.equal(fixed.code, 0, fixed.stderr)
    } finally {
      await server.close()
    }
  })

  it('an SDK server refusing a foreign Origin: names the Origin sent', async () => {
    const server = await startSdkServer({tools: [echo], allowedOrigins: ['http://localhost:3000']})
    try {
      const r = await runCli(['mcp', 'invoke', '--url', server.url, '--header', 'Origin=http://evil.example'])
      assert.equal(r.code, 6)
      assert.equal(
        r.error,
        `the MCP server at ${server.url} refused initialize: its DNS-rebinding protection did not accept the Host or Origin header (HTTP 403: Invalid Origin header: http://evil.example)`,
      )
      assert.match(r.suggestions[0], /^kaos sent Host: 127\.0\.0\.1:\d+ and Origin: http:\/\/evil\.example\. .*, or leave out --header Origin\.$/)
      assert.doesNotMatch(r.stderr, /Authorization/)
    } finally {
      await server.close()
    }
  })
})

describeOrSkip('kaos mcp invoke --url: rawpython refusing Origin (403) and Host (421)', skip || rawpythonUnavailable(), () => {
  let raw: RunningServer
  before(async () => {
    raw = await startRawpython('def add(a: int, b: int) -> int:\n    """Add."""\n    return a + b\n', {MCP_ALLOWED_HOSTS: 'mcp.example.com'})
  })
  after(async () => {
    await raw?.stop()
  })

  it('a foreign Origin: the DNS-rebinding diagnosis with the Origin sent', async () => {
    const r = await runCli(['mcp', 'invoke', '--url', raw.url, '--header', 'Origin=http://evil.example'])
    assert.equal(r.code, 6)
    assert.equal(
      r.error,
      `the MCP server at ${raw.url} refused initialize: its DNS-rebinding protection did not accept the Host or Origin header (HTTP 403: Invalid Origin header: 'http://evil.example' is not allowed (list it in MCP_ALLOWED_ORIGINS))`,
    )
    assert.doesNotMatch(r.stderr, /Authorization/)
  })

  it('a Host it does not list (421), and the --header Host fix', async () => {
    const r = await runCli(['mcp', 'invoke', '--url', raw.url])
    assert.equal(r.code, 6)
    assert.match(r.error ?? '', /refused initialize: its DNS-rebinding protection did not accept the Host or Origin header \(HTTP 421: Invalid Host header: '127\.0\.0\.1:\d+' is not allowed \(list it in MCP_ALLOWED_HOSTS\)\)$/)
    const fixed = await runCli(['mcp', 'invoke', '--url', raw.url, '--header', 'Host=mcp.example.com', '--tool', 'add', '--arg', 'a=1', '--arg', 'b=2'])
    assert.equal(fixed.code, 0, fixed.stderr)
    assert.equal(fixed.stdout, '3\n')
  })
})

describeConcurrent('kaos mcp invoke --url http://user:password@…: the password is never shown', skip, 2, (it) => {
  const SECRET = 's3cret-pw'
  const withCreds = (url: string) => url.replace('http://', `http://user:${SECRET}@`)
  const redacted = (url: string) => url.replace('http://', 'http://***@')
  const cases: Array<{name: string; server: () => Promise<LocalServer | SdkServer>; args?: string[]; code: number; error: (url: string) => RegExp}> = [
    {name: 'nothing listening', server: async () => ({url: `http://127.0.0.1:${await freePort()}/mcp`, port: 0, requests: [], close: async () => {}}), code: 5, error: (u) => new RegExp(`^cannot talk to the MCP server at ${esc(u)}`)},
    {name: 'a web page', server: () => startHttp((_q, res) => res.writeHead(200, {'content-type': 'text/html'}).end(`<title>at ${withCreds('http://x/')}</title>`)), code: 6, error: (u) => new RegExp(`^${esc(u)} does not look like an MCP endpoint: .*at http://\\*\\*\\*@x/`)},
    {name: 'a 403', server: () => startHttp((_q, res) => res.writeHead(403).end('Forbidden')), code: 6, error: (u) => new RegExp(`^the MCP server at ${esc(u)} refused initialize`)},
    {name: 'a silent listener', server: startSilent, args: ['--timeout', '500ms'], code: 6, error: (u) => new RegExp(`^no answer to initialize from ${esc(u)} within --timeout 500ms$`)},
  ]
  for (const c of cases) {
    for (const json of [false, true]) {
      it(`${c.name}${json ? ' (--json)' : ''}`, async () => {
        const server = await c.server()
        try {
          const r = await runCli(['mcp', 'invoke', '--url', withCreds(server.url), ...(c.args ?? []), ...(json ? ['--json'] : [])], {env: {DEBUG: json ? undefined : '*'}})
          assert.equal(r.code, c.code, r.stderr)
          const message = json ? JSON.parse(r.stdout).error.message : r.error
          assert.match(message, c.error(redacted(server.url)))
          assert.ok(!`${r.stdout}${r.stderr}`.includes(SECRET), 'the password is not in the output (DEBUG logs included)')
        } finally {
          await server.close()
        }
      })
    }
  }

  it('the credentials are used (HTTP Basic), and are in no output of a successful call', async () => {
    const server = await startSdkServer({tools: [echo]})
    try {
      const r = await runCli(['mcp', 'invoke', '--url', withCreds(server.url), '--tool', 'echo', '--arg', 'text=hi', '--json'], {env: {DEBUG: '*'}})
      assert.equal(r.code, 0, r.stderr)
      assert.ok(!`${r.stdout}${r.stderr}`.includes(SECRET))
      assert.equal(server.requests[0].headers.authorization, `Basic ${Buffer.from(`user:${SECRET}`).toString('base64')}`)
    } finally {
      await server.close()
    }
  })

  it('a URL that does not parse (a raw "/" in the password) is not echoed with it', async () => {
    const r = await runCli(['mcp', 'invoke', '--url', 'http://user:pa/ss@127.0.0.1:1/mcp'])
    assert.equal(r.code, 2)
    assert.ok(!r.stderr.includes('pa/ss'), r.stderr)
  })
})

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
