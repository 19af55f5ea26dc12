// kaos mcp inspect's pieces that need no Inspector: the pinned npx command line, and the relay
// that adds credentials to every request (checked against a real HTTP server, streaming).
import assert from 'node:assert/strict'
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {INSPECTOR_NODE_PACKAGE, INSPECTOR_PACKAGE, inspectorLaunch} from '../../src/lib/invoke/inspector.js'
import {headerRelay} from '../../src/lib/invoke/relay.js'

describe('the MCP Inspector command line', () => {
  it('pinned packages; a pinned Node 22 only when kaos runs on an older Node', () => {
    assert.match(INSPECTOR_PACKAGE, /^@modelcontextprotocol\/inspector@\d+\.\d+\.\d+$/)
    assert.match(INSPECTOR_NODE_PACKAGE, /^node@22\.\d+\.\d+$/)
    const old = inspectorLaunch({mode: 'web', url: 'http://127.0.0.1:1/mcp', transport: 'http', nodeVersion: 'v20.20.2', env: {}})
    assert.deepEqual(old.args, ['--yes', '--package', INSPECTOR_NODE_PACKAGE, '--package', INSPECTOR_PACKAGE, '--', 'mcp-inspector', '--web', '--transport', 'http', '--server-url', 'http://127.0.0.1:1/mcp'])
    const recent = inspectorLaunch({mode: 'web', url: 'http://127.0.0.1:1/mcp', transport: 'sse', nodeVersion: 'v22.19.0', env: {}, open: false})
    assert.deepEqual(recent.packages, [INSPECTOR_PACKAGE])
    assert.equal(recent.env.MCP_AUTO_OPEN_ENABLED, 'false')
  })

  it('CLI mode: the arguments after -- are passed on; tools/list by default', () => {
    const list = inspectorLaunch({mode: 'cli', url: 'http://x/mcp', transport: 'http', nodeVersion: 'v24.0.0', env: {}}).args
    assert.deepEqual(list.slice(list.indexOf('mcp-inspector')), ['mcp-inspector', '--cli', '--transport', 'http', '--server-url', 'http://x/mcp', '--method', 'tools/list'])
    const call = inspectorLaunch({mode: 'cli', url: 'http://x/mcp', transport: 'http', nodeVersion: 'v24.0.0', env: {}, extra: ['--method', 'tools/call', '--tool-name', 'add']})
    assert.deepEqual(call.args.slice(-4), ['--method', 'tools/call', '--tool-name', 'add'])
  })
})

describe('the header relay', () => {
  it('adds the headers to every request and streams the answer both ways', async () => {
    const seen: http.IncomingHttpHeaders[] = []
    const upstream = http.createServer((req, res) => {
      seen.push(req.headers)
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', () => {
        res.writeHead(200, {'content-type': 'text/event-stream'})
        res.write(`data: got ${body}\n\n`)
        setTimeout(() => res.end('data: done\n\n'), 50)
      })
    })
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()))
    const port = (upstream.address() as AddressInfo).port
    const relay = await headerRelay(`http://127.0.0.1:${port}`, {Authorization: 'Bearer s3cret'})
    try {
      const res = await fetch(relay.url('/mcp?x=1'), {method: 'POST', body: 'hello', headers: {'content-type': 'application/json'}})
      assert.equal(res.status, 200)
      assert.equal(await res.text(), 'data: got hello\n\ndata: done\n\n')
      assert.equal(seen[0].authorization, 'Bearer s3cret')
      assert.equal(seen[0].host, `127.0.0.1:${port}`)
    } finally {
      await relay.close()
      upstream.close()
    }
    // Upstream gone: 502 naming the relay, not a hang.
    const dead = await headerRelay(`http://127.0.0.1:${port}`, {})
    try {
      const res = await fetch(dead.url('/mcp'))
      assert.equal(res.status, 502)
      assert.match(await res.text(), /^kaos relay: /)
    } finally {
      dead.closeNow()
    }
  })
})
