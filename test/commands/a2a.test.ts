// kaos agent card and agent a2a send|get|cancel through the built CLI against a standard A2A agent
// made with the A2A SDK's own server (test/helpers/a2a-sdk-server.ts): the path every agent but
// upstream KAOS's runtime takes (the SDK speaks to it unaided; real streaming). Upstream's runtime
// is tested on the test bed (upstream.it.ts). Also: what is no A2A agent is exit 6.
import assert from 'node:assert/strict'

import {type SdkAgent, startSdkAgent} from '../helpers/a2a-sdk-server.js'
import {cliUnavailable, runCli} from '../helpers/cli.js'
import {type LocalServer, startHttp} from '../helpers/http-servers.js'
import {describeOrSkip} from '../helpers/mocha.js'

const skip = cliUnavailable()

describeOrSkip('kaos agent a2a against an A2A SDK server', skip, function () {
  this.timeout(60_000)
  let agent: SdkAgent
  let plain: LocalServer
  before(async () => {
    agent = await startSdkAgent({slowMs: 8000})
    plain = await startHttp((_req, res) => {
      res.writeHead(404, {'content-type': 'text/plain'})
      res.end('not found')
    })
  })
  after(async () => {
    await agent?.close()
    await plain?.close()
  })

  it('agent card: name, interfaces, capabilities and skills; --json is the card as served', async () => {
    const r = await runCli(['agent', 'card', '--url', agent.url])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^Name: +sdk-sample$/m)
    assert.match(r.stdout, /^Card: +\/\.well-known\/agent-card\.json$/m)
    assert.match(r.stdout, new RegExp(`^Interfaces: +JSONRPC 1\\.0 ${agent.url}$`, 'm'))
    assert.match(r.stdout, /^Capabilities: +streaming$/m)
    assert.match(r.stdout, /^ {2}echo +Says the message back$/m)
    const j = await runCli(['agent', 'card', '--url', agent.url, '--json'])
    assert.equal(JSON.parse(j.stdout).supportedInterfaces[0].protocolBinding, 'JSONRPC')
  })

  it('a2a send streams the task (updates on stderr) and prints the answer', async () => {
    const r = await runCli(['agent', 'a2a', 'send', '--url', agent.url, '-m', 'hello there'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'echo: hello there\n')
    assert.match(r.stderr, /^\d\d:\d\d:\d\d working: working on: hello there$/m)
    assert.match(r.stderr, /task \S+ completed \(session \S+\)/)
  })

  it('--json: the task, with its artifact and history', async () => {
    const r = await runCli(['agent', 'a2a', 'send', '--url', agent.url, '-m', 'as json', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const t = JSON.parse(r.stdout)
    assert.equal(t.state, 'completed')
    assert.deepEqual(t.artifacts, [{name: 'answer', text: 'echo: as json'}])
    assert.equal(t.history[0].text, 'as json')
  })

  it('--async returns the task id at once; a2a get shows it working, --watch follows it to the end', async () => {
    const t0 = Date.now()
    const s = await runCli(['agent', 'a2a', 'send', '--url', agent.url, '-m', 'slow job', '--async'])
    assert.equal(s.code, 0, s.stderr)
    assert.ok(Date.now() - t0 < 6000, `took ${Date.now() - t0} ms: it waited for the task`)
    const id = s.stdout.trim()
    assert.match(id, /^[0-9a-f-]{36}$/)
    const g = await runCli(['agent', 'a2a', 'get', '--url', agent.url, id])
    assert.equal(g.code, 0, g.stderr)
    assert.match(g.stdout, /^State: +(submitted|working)/m)
    const w = await runCli(['agent', 'a2a', 'get', '--url', agent.url, '--task-id', id, '--watch'], {timeoutMs: 30_000})
    assert.equal(w.code, 0, w.stderr)
    assert.match(w.stdout, /^\d\d:\d\d:\d\d working: working on: slow job$/m)
    assert.match(w.stdout, /^\d\d:\d\d:\d\d completed$/m)
    assert.match(w.stdout, /^ {2}answer: echo: slow job$/m)
  })

  it('a2a cancel stops a running task; following a canceled task is exit 6', async () => {
    const id = (await runCli(['agent', 'a2a', 'send', '--url', agent.url, '-m', 'slow to cancel', '--async'])).stdout.trim()
    const c = await runCli(['agent', 'a2a', 'cancel', '--url', agent.url, id])
    assert.equal(c.code, 0, c.stderr)
    assert.equal(c.stdout, `task ${id} canceled: canceled on request\n`)
    const w = await runCli(['agent', 'a2a', 'get', '--url', agent.url, id, '--watch'])
    assert.equal(w.code, 6)
    assert.match(w.error ?? '', new RegExp(`task ${id} canceled`))
  })

  it('--timeout ends a wait with exit 6, saying the task goes on', async () => {
    const id = (await runCli(['agent', 'a2a', 'send', '--url', agent.url, '-m', 'slow and long', '--async'])).stdout.trim()
    const r = await runCli(['agent', 'a2a', 'get', '--url', agent.url, id, '--watch', '--timeout', '1s'])
    assert.equal(r.code, 6, r.stderr)
    assert.match(r.error ?? '', new RegExp(`gave no answer within --timeout \\(task ${id} goes on\\)`))
    await runCli(['agent', 'a2a', 'cancel', '--url', agent.url, id])
  })

  it('an unknown task is exit 8', async () => {
    for (const cmd of ['get', 'cancel']) {
      const r = await runCli(['agent', 'a2a', cmd, '--url', agent.url, 'no-such-task'])
      assert.equal(r.code, 8, `${cmd}: ${r.stderr}`)
      assert.match(r.error ?? '', /has no task no-such-task/)
    }
  })

  it('a server with no agent card serves no A2A: exit 6, for every command', async () => {
    const base = `http://127.0.0.1:${plain.port}`
    for (const args of [['agent', 'card'], ['agent', 'a2a', 'send', '-m', 'hi'], ['agent', 'a2a', 'get', 'x'], ['agent', 'a2a', 'cancel', 'x']]) {
      const r = await runCli([...args, '--url', base])
      assert.equal(r.code, 6, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.error ?? '', /serves no A2A: no agent card \(\/\.well-known\/agent-card\.json: HTTP 404, \/\.well-known\/agent\.json: HTTP 404\)/)
    }
  })

  it('bad input: a NAME and --url, no task id, no NAME', async () => {
    assert.match((await runCli(['agent', 'a2a', 'send', 'x', '--url', agent.url, '-m', 'hi'])).error ?? '', /give an Agent NAME or --url, not both/)
    const noId = await runCli(['agent', 'a2a', 'get', 'helper'])
    assert.equal(noId.code, 2)
    assert.match(noId.error ?? '', /a task id is required/)
    const noName = await runCli(['agent', 'card'])
    assert.equal(noName.code, 2)
    assert.match(noName.error ?? '', /an Agent NAME \(or --url\) is required/)
  })
})
