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

  describe('server text on a terminal', () => {
    let server: SdkServer
    before(async () => {
      server = await startSdkServer({tools: [ansi, ansiError, ansiThrow]})
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
