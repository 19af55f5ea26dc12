// The MCP client (src/lib/mcp.ts) against REAL servers on 127.0.0.1: the reference "everything"
// server (npm, streamable HTTP) and kaos's rawpython runtime (FastMCP).
import assert from 'node:assert/strict'
import {existsSync, readFileSync, rmSync} from 'node:fs'

import {KaosError} from '../../src/lib/errors.js'
import {OutputFiles, prettyText, renderContent, renderToolResult} from '../../src/cli/format/mcp.js'
import {McpSession} from '../../src/lib/mcp/session.js'
import {tempDir} from '../helpers/cli.js'
import {type RunningServer, everythingUnavailable, freePort, rawpythonUnavailable, startEverything, startRawpython} from '../helpers/mcp-servers.js'

const RAW_CODE = `
import time

def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b

def boom(reason: str = "bad") -> str:
    """Always fails."""
    raise ValueError(f"boom: {reason}")

def slow(seconds: float = 30) -> str:
    """Sleeps."""
    time.sleep(seconds)
    return "done"
`

describe('renderers', () => {
  it('pretty-prints JSON text and leaves other text alone', () => {
    assert.equal(prettyText('{"a":1}'), '{\n  "a": 1\n}')
    assert.equal(prettyText('[1,2]'), '[\n  1,\n  2\n]')
    assert.equal(prettyText('{not json}'), '{not json}')
    assert.equal(prettyText('plain'), 'plain')
  })
  it('saves images and blobs to files and prints the path; links and structured content as text', () => {
    const dir = tempDir()
    try {
      const files = new OutputFiles(dir, 'my tool')
      const png = Buffer.from('89504e470d0a1a0a', 'hex')
      const img = renderContent({type: 'image', data: png.toString('base64'), mimeType: 'image/png'}, files)
      assert.equal(img, `[image image/png saved to ${dir}/my_tool-1.png]`)
      assert.deepEqual(readFileSync(`${dir}/my_tool-1.png`), png)
      const blob = renderContent({type: 'resource', resource: {uri: 'file:///x.gz', blob: Buffer.from('zz').toString('base64')}}, files)
      assert.equal(blob, `[resource file:///x.gz  saved to ${dir}/my_tool-2.gz]`)
      assert.equal(renderContent({type: 'resource', resource: {uri: 'mem://a', text: '{"k":2}'}}, files), '[resource mem://a]\n{\n  "k": 2\n}')
      assert.equal(renderContent({type: 'resource_link', uri: 'mem://b', name: 'b'}, files), '[resource link mem://b (b)]')
      assert.equal(renderToolResult({content: [], structuredContent: {t: 1}}, files), '{\n  "t": 1\n}')
      assert.deepEqual(files.written.length, 2)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describeOrSkip('McpSession against the everything server (streamable HTTP)', everythingUnavailable(), () => {
  let server: RunningServer
  let session: McpSession
  before(async () => {
    server = await startEverything()
    session = await McpSession.connect({url: server.url, timeoutMs: 10_000})
  })
  after(async () => {
    await session?.close()
    await server?.stop()
  })

  it('does the handshake: server info, negotiated protocol version, session id', () => {
    assert.equal(session.serverInfo?.name, 'mcp-servers/everything')
    assert.match(session.protocolVersion ?? '', /^\d{4}-\d{2}-\d{2}$/)
    assert.ok(session.sessionId, 'a session id from the server')
    assert.ok(session.capabilities?.tools)
  })

  it('lists tools with their input schemas', async () => {
    const tools = await session.listTools()
    const sum = tools.find((t) => t.name === 'get-sum')
    assert.ok(sum, 'get-sum is listed')
    assert.deepEqual(sum.inputSchema.required, ['a', 'b'])
  })

  it('calls a tool', async () => {
    const r = await session.callTool('get-sum', {a: 1, b: 2})
    assert.equal(r.isError, undefined)
    assert.equal(r.content[0].text, 'The sum of 1 and 2 is 3.')
  })

  it('image content is saved to a file', async () => {
    const dir = tempDir()
    try {
      const r = await session.callTool('get-tiny-image', {})
      const files = new OutputFiles(dir, 'get-tiny-image')
      const text = renderToolResult(r, files)
      assert.match(text, /\[image image\/png saved to .*get-tiny-image-1\.png\]/)
      assert.equal(readFileSync(files.written[0]).subarray(1, 4).toString(), 'PNG')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('getTool: an unknown tool is NOT_FOUND (exit 8) with a did-you-mean', async () => {
    await assert.rejects(session.getTool('get-summ'), (e: KaosError) => e.exit === 8 && /no tool "get-summ". Did you mean "get-sum"\?/.test(e.message))
  })

  it('lists and reads resources, lists templates', async () => {
    const resources = await session.listResources()
    assert.ok(resources.length > 0)
    const doc = resources.find((r) => r.mimeType === 'text/markdown') ?? resources[0]
    const read = await session.readResource(doc.uri)
    assert.equal(read.contents[0].uri, doc.uri)
    assert.ok((read.contents[0].text ?? read.contents[0].blob ?? '').length > 0)
    const templates = await session.listResourceTemplates()
    assert.ok(templates.length > 0)
  })

  it('lists prompts and gets one with arguments', async () => {
    const prompts = await session.listPrompts()
    const p = prompts.find((x) => x.name === 'args-prompt')
    assert.ok(p)
    assert.ok(p.arguments?.some((a) => a.name === 'city' && a.required))
    const got = await session.getPrompt('args-prompt', {city: 'Paris'})
    assert.match(JSON.stringify(got.messages), /Paris/)
  })

  it('a JSON-RPC error from the server exits 6', async () => {
    await assert.rejects(session.readResource('nope://missing'), (e: KaosError) => e instanceof KaosError && e.exit === 6)
  })
})

// Sessions on: the stale-session recovery below needs a server that keeps (and forgets) them.
describeOrSkip('McpSession against rawpython (stateful sessions)', rawpythonUnavailable(), () => {
  let server: RunningServer
  before(async () => {
    server = await startRawpython(RAW_CODE, {MCP_STATELESS: '0'})
  })
  after(async () => {
    await server?.stop()
  })

  it('calls add and returns 3 for 1 and 2; a raising tool gives isError', async () => {
    const s = await McpSession.connect({url: server.url})
    try {
      const r = await s.callTool('add', {a: 1, b: 2})
      assert.equal(r.content[0].text, '3')
      const bad = await s.callTool('boom', {reason: 'x'})
      assert.equal(bad.isError, true)
      assert.match(bad.content[0].text ?? '', /boom: x/)
    } finally {
      await s.close()
    }
  })

  it('a stale session (404) is re-initialized once, transparently', async () => {
    const s = await McpSession.connect({url: server.url})
    try {
      const old = s.sessionId
      assert.ok(old)
      // End the session behind the client's back: the server now answers 404 to that id.
      const del = await fetch(server.url, {method: 'DELETE', headers: {'mcp-session-id': old, 'mcp-protocol-version': s.protocolVersion!}})
      assert.ok(del.ok, `DELETE answered ${del.status}`)
      const probe = await fetch(server.url, {
        method: 'POST',
        headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': old, 'mcp-protocol-version': s.protocolVersion!},
        body: JSON.stringify({jsonrpc: '2.0', id: 99, method: 'tools/list'}),
      })
      assert.equal(probe.status, 404, 'the server forgot the session')
      const tools = await s.listTools()
      assert.deepEqual(tools.map((t) => t.name).sort(), ['add', 'boom', 'slow'])
      assert.equal(s.stats.reinitialized, 1)
      assert.notEqual(s.sessionId, old)
    } finally {
      await s.close()
    }
  })

  it('times out with exit 6 (TIMEOUT) and does not wait for the slow tool', async () => {
    const s = await McpSession.connect({url: server.url, timeoutMs: 400})
    const t0 = Date.now()
    try {
      await assert.rejects(s.callTool('slow', {seconds: 20}), (e: KaosError) => e.exit === 6 && e.code === 'TIMEOUT')
      assert.ok(Date.now() - t0 < 3000)
    } finally {
      await s.close()
    }
  })

  it('an abort (SIGINT) rejects at once with the given reason', async () => {
    const ac = new AbortController()
    const s = await McpSession.connect({url: server.url, signal: ac.signal})
    const t0 = Date.now()
    const reason = new KaosError('interrupted', {exit: 1})
    setTimeout(() => ac.abort(reason), 200)
    try {
      await assert.rejects(s.callTool('slow', {seconds: 20}), (e) => e === reason)
      assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`)
    } finally {
      await s.close()
    }
  })

  it('a wrong path is "no MCP endpoint" (exit 6)', async () => {
    await assert.rejects(McpSession.connect({url: server.url.replace('/mcp', '/nope')}), (e: KaosError) => e.exit === 6 && e.code === 'MCP_NOT_FOUND')
  })
})

describe('McpSession failures', () => {
  it('nothing listening: exit 5, MCP_UNREACHABLE', async () => {
    const port = await freePort()
    await assert.rejects(McpSession.connect({url: `http://127.0.0.1:${port}/mcp`}), (e: KaosError) => e.exit === 5 && e.code === 'MCP_UNREACHABLE' && /ECONNREFUSED/.test(e.message))
  })

  itOrSkip('the server dies mid-call: a clear error at once, no hang', rawpythonUnavailable(), async () => {
    const server = await startRawpython(RAW_CODE)
    const s = await McpSession.connect({url: server.url, timeoutMs: 30_000})
    try {
      const call = s.callTool('slow', {seconds: 30})
      setTimeout(() => process.kill(-server.child.pid!, 'SIGKILL'), 300)
      const t0 = Date.now()
      await assert.rejects(call, (e: KaosError) => e.exit === 5 && /connection closed before the server answered|ECONNRESET|socket hang up|aborted/.test(e.message))
      assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`)
    } finally {
      await s.close()
      await server.stop()
    }
  })

  it('explainNetworkError supplies the message (e.g. the pod went away)', async () => {
    const port = await freePort()
    const better = new KaosError('pod x went away', {exit: 5, code: 'POD_LOST'})
    await assert.rejects(McpSession.connect({url: `http://127.0.0.1:${port}/mcp`, explainNetworkError: async () => better}), (e) => e === better)
  })

  it('no files are written for text-only results', () => {
    const files = new OutputFiles(undefined, 'x')
    renderToolResult({content: [{type: 'text', text: 'hi'}]}, files)
    assert.equal(files.written.length, 0)
    assert.ok(!existsSync('x-1.bin'))
  })
})

import {describeOrSkip, itOrSkip} from '../helpers/mocha.js'