// `kaos mcp invoke --url` (the built CLI) against real local MCP servers: exit codes and output.
import assert from 'node:assert/strict'
import {existsSync, readFileSync, readdirSync, rmSync} from 'node:fs'

import {cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {type RunningServer, everythingUnavailable, rawpythonUnavailable, startEverything, startEverythingSse, startRawpython} from '../helpers/mcp-servers.js'
import {describeOrSkip} from '../helpers/mocha.js'

const skipEverything = cliUnavailable() ?? everythingUnavailable()
const skipRaw = cliUnavailable() ?? rawpythonUnavailable()

describeOrSkip('kaos mcp invoke --url (everything server)', skipEverything, () => {
  let server: RunningServer
  before(async () => {
    server = await startEverything()
  })
  after(async () => {
    await server?.stop()
  })
  const invoke = (...args: string[]) => runCli(['mcp', 'invoke', '--url', server.url, ...args])

  it('no tool: lists the tools with their arguments', async () => {
    const r = await invoke()
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^get-sum {2}Returns the sum of two numbers\n {4}a: number \(required\) - First number\n {4}b: number \(required\) - Second number$/m)
    assert.match(r.stderr, /tools on mcp-servers\/everything .*\(MCP \d{4}-\d{2}-\d{2}\); it also offers resources \(--list-resources\) and prompts \(--list-prompts\)/)
  })

  it('--tool with --arg values coerced by the schema', async () => {
    const r = await invoke('--tool', 'get-sum', '--arg', 'a=1', '--arg', 'b=2')
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'The sum of 1 and 2 is 3.\n')
  })

  it('--args JSON and --json prints the raw result', async () => {
    const r = await invoke('--tool', 'get-sum', '--args', '{"a": 2, "b": 5}', '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout), {content: [{type: 'text', text: 'The sum of 2 and 5 is 7.'}]})
  })

  it('bad arguments are rejected before the call with the schema shown (exit 2)', async () => {
    const r = await invoke('--tool', 'get-sum', '--arg', 'a=one', '--arg', 'c=3')
    assert.equal(r.code, 2)
    // The everything server's schemas do not forbid extra arguments: "c" alone would only warn.
    assert.equal(r.error, 'tool "get-sum": argument "a": expected number, got "one"; missing required argument "b"')
    assert.match(r.stderr, /tool "get-sum" takes: a: number \(required\) - First number; b: number \(required\) - Second number/)
  })

  it('an unknown tool is exit 8 with a did-you-mean', async () => {
    const r = await invoke('--tool', 'get-summ')
    assert.equal(r.code, 8)
    assert.match(r.error ?? '', /the server has no tool "get-summ". Did you mean "get-sum"\?/)
  })

  it('images are saved to files and the path printed', async () => {
    const dir = tempDir()
    try {
      const r = await invoke('--tool', 'get-tiny-image', '--output-dir', dir)
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, new RegExp(`\\[image image/png saved to ${dir}/get-tiny-image-1.png\\]`))
      assert.deepEqual(readdirSync(dir), ['get-tiny-image-1.png'])
      assert.equal(readFileSync(`${dir}/get-tiny-image-1.png`).subarray(1, 4).toString(), 'PNG')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('structured JSON content is pretty-printed', async () => {
    const r = await invoke('--tool', 'get-structured-content', '--arg', 'location=Chicago')
    assert.equal(r.code, 0, r.stderr)
    assert.ok(JSON.parse(r.stdout).temperature !== undefined)
    assert.match(r.stdout, /^\{\n {2}"/)
  })

  it('--list-resources and --resource URI', async () => {
    const list = await invoke('--list-resources')
    assert.equal(list.code, 0, list.stderr)
    const uri = /^(demo:\/\/resource\/static\/document\/\S+\.md)/m.exec(list.stdout)?.[1]
    assert.ok(uri, list.stdout)
    assert.match(list.stdout, /\(template\)/)
    const read = await invoke('--resource', uri)
    assert.equal(read.code, 0, read.stderr)
    assert.match(read.stdout, /^#/)
  })

  it('--list-prompts and --prompt NAME --arg', async () => {
    const list = await invoke('--list-prompts')
    assert.equal(list.code, 0, list.stderr)
    assert.match(list.stdout, /^args-prompt {2}.*\n {4}city: string \(required\)/m)
    const got = await invoke('--prompt', 'args-prompt', '--arg', 'city=Paris')
    assert.equal(got.code, 0, got.stderr)
    assert.match(got.stdout, /^\[user\]\n.*Paris/m)
    const missing = await invoke('--prompt', 'args-prompt')
    assert.equal(missing.code, 2)
    assert.match(missing.error ?? '', /missing required argument "city"/)
  })

  it('flag misuse is exit 2', async () => {
    assert.equal((await invoke('--tool', 'x', '--prompt', 'y')).code, 2)
    assert.equal((await invoke('--arg', 'a=1')).code, 2)
    assert.equal((await runCli(['mcp', 'invoke'])).code, 2)
    assert.equal((await runCli(['mcp', 'invoke', 'calc', '--url', server.url])).code, 2)
  })
})

describeOrSkip('kaos mcp invoke --transport sse (everything server, legacy SSE transport)', skipEverything, () => {
  let server: RunningServer
  before(async () => {
    server = await startEverythingSse()
  })
  after(async () => {
    await server?.stop()
  })

  it('lists tools and calls one over SSE', async () => {
    const list = await runCli(['mcp', 'invoke', '--url', server.url, '--transport', 'sse'])
    assert.equal(list.code, 0, list.stderr)
    assert.match(list.stdout, /^get-sum {2}Returns the sum of two numbers$/m)
    const call = await runCli(['mcp', 'invoke', '--url', server.url, '--transport', 'sse', '--tool', 'get-sum', '--arg', 'a=4', '--arg', 'b=5'])
    assert.equal(call.code, 0, call.stderr)
    assert.equal(call.stdout, 'The sum of 4 and 5 is 9.\n')
  })
})

describeOrSkip('kaos mcp invoke --url (rawpython)', skipRaw, () => {
  let server: RunningServer
  before(async () => {
    server = await startRawpython('def add(a: int, b: int) -> int:\n    return a + b\n\ndef boom() -> str:\n    raise RuntimeError("kaput")\n')
  })
  after(async () => {
    await server?.stop()
  })

  it('add returns 3 for 1 and 2', async () => {
    const r = await runCli(['mcp', 'invoke', '--url', server.url, '--tool', 'add', '--arg', 'a=1', '--arg', 'b=2'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, '3\n')
  })

  it('isError: exit 6, the error text on stdout, a one-line error on stderr', async () => {
    const r = await runCli(['mcp', 'invoke', '--url', server.url, '--tool', 'boom'])
    assert.equal(r.code, 6)
    assert.match(r.stdout, /kaput/)
    assert.match(r.error ?? '', /^tool "boom" returned an error: .*kaput/)
  })

  it('isError with --json: the raw result and exit 6', async () => {
    const r = await runCli(['mcp', 'invoke', '--url', server.url, '--tool', 'boom', '--json'])
    assert.equal(r.code, 6)
    const out = JSON.parse(r.stdout)
    assert.equal(out.isError, true)
  })

  it('a server that is not there: exit 5', async () => {
    const r = await runCli(['mcp', 'invoke', '--url', 'http://127.0.0.1:9/mcp'])
    assert.equal(r.code, 5)
    assert.match(r.error ?? '', /cannot talk to the MCP server at http:\/\/127.0.0.1:9\/mcp/)
  })

  it('the wrong path: exit 6 with a hint', async () => {
    const r = await runCli(['mcp', 'invoke', '--url', server.url, '--path', '/other'])
    assert.equal(r.code, 6)
    assert.match(r.error ?? '', /no MCP endpoint at/)
    assert.ok(existsSync(server.url) === false)
  })
})
