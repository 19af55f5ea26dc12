// kaos mcp inspect with the real MCP Inspector (fetched by npx at its pinned version, with a pinned
// Node 22 when this Node is older): its CLI mode against a local server and through the test bed's
// port-forward (slack's bearer token added by kaos's relay), and its web UI under a terminal,
// with the forward usable while the Inspector runs and nothing left after Ctrl-C.
import assert from 'node:assert/strict'
import {readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {spawn} from 'node:child_process'

import {BIN, type CliResult, runCli, tempDir, terminalUnavailable} from '../helpers/cli.js'
import {createNamespace, deleteNamespace} from '../helpers/kube.js'
import {freePort} from '../helpers/mcp-servers.js'
import {describeOrSkip} from '../helpers/mocha.js'
import {ensureOwnImages} from '../helpers/own-images.js'
import {startSdkServer} from '../helpers/sdk-server.js'
import {requireTestbed, testKubeconfig, uniqueNamespace} from '../helpers/testbed.js'

const skip = requireTestbed('cluster')
const KC = testKubeconfig() ?? ''
// The CLI runs with a throwaway HOME; npx keeps what it fetched in npm's cache: share the real one.
const NPM_CACHE = {npm_config_cache: process.env.npm_config_cache ?? join(homedir(), '.npm')}

function json(r: CliResult): any {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

/** Processes whose command line mentions `text` (the Inspector's carry the URL they inspect). */
function processesMentioning(text: string): number[] {
  const out: number[] = []
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(text)) out.push(Number(e))
    } catch {
      // gone
    }
  }
  return out
}

describe('kaos mcp inspect --cli with the real Inspector (a local server)', function () {
  this.timeout(600_000)

  it('tools/call through the Inspector; a URL\'s credentials reach the server as Basic auth, not the Inspector\'s command line', async () => {
    const server = await startSdkServer({
      tools: [{name: 'add', inputSchema: {type: 'object', properties: {a: {type: 'number'}, b: {type: 'number'}}}, run: async (a) => ({content: [{type: 'text', text: String(Number(a.a) + Number(a.b))}]})}],
    })
    try {
      const url = server.url.replace('http://', 'http://alice:pw@')
      const r = await runCli(['mcp', 'inspect', '--url', url, '--cli', '--', '--method', 'tools/call', '--tool-name', 'add', '--tool-arg', 'a=2', '--tool-arg', 'b=40'], {timeoutMs: 600_000, env: NPM_CACHE})
      assert.equal(r.code, 0, r.stderr)
      assert.equal(JSON.parse(r.stdout).content[0].text, '42')
      assert.ok(server.requests.length > 0)
      for (const q of server.requests) assert.equal(q.headers.authorization, `Basic ${Buffer.from('alice:pw').toString('base64')}`)
      assert.doesNotMatch(r.stderr, /alice:pw/)
      // The Inspector's own failure (an unknown tool) is exit 6.
      const bad = await runCli(['mcp', 'inspect', '--url', server.url, '--cli', '--', '--method', 'tools/call', '--tool-name', 'nope'], {timeoutMs: 300_000, env: NPM_CACHE})
      assert.equal(bad.code, 6, bad.stderr)
      assert.match(bad.error!, /^the MCP Inspector exited with code \d+ \(its output is above\)$/)
    } finally {
      await server.close()
    }
  })
})

describeOrSkip('kaos mcp inspect on the test bed', skip, function () {
  this.timeout(600_000)
  const ns = uniqueNamespace('inspect')
  before(async () => {
    await ensureOwnImages(['rawpython'])
    await createNamespace(ns)
    const kc = ['--kubeconfig', KC, '-n', ns]
    json(await runCli(['samples', 'deploy', 'calculator', ...kc, '--wait', '--timeout', '120s', '--json'], {timeoutMs: 180_000}))
    json(await runCli(['samples', 'deploy', 'slack', ...kc, '--from-literal', 'bot-token=xoxb-test', '--from-literal', 'team-id=T1', '--wait', '--timeout', '120s', '--json'], {timeoutMs: 180_000}))
  })
  after(async () => deleteNamespace(ns))

  it('--cli through the port-forward; slack\'s bearer token added by kaos (its server refuses requests without it)', async () => {
    const r = await runCli(['mcp', 'inspect', 'calculator', '--kubeconfig', KC, '-n', ns, '--cli', '--', '--method', 'tools/call', '--tool-name', 'multiply', '--tool-arg', 'a=6', '--tool-arg', 'b=7'], {timeoutMs: 300_000, env: NPM_CACHE})
    assert.equal(r.code, 0, r.stderr)
    assert.match(JSON.stringify(JSON.parse(r.stdout).content), /42/)
    assert.match(r.stderr, /kaos: MCPServer "calculator" \(pod mcpserver-calculator-[a-z0-9-]+\) at http:\/\/127\.0\.0\.1:\d+\/mcp \(kept open until the Inspector exits\)/)
    const refused = await runCli(['mcp', 'invoke', 'slack', '--kubeconfig', KC, '-n', ns, '--no-auth'])
    assert.notEqual(refused.code, 0, 'without the token the server refuses')
    const slack = await runCli(['mcp', 'inspect', 'slack', '--kubeconfig', KC, '-n', ns, '--cli'], {timeoutMs: 300_000, env: NPM_CACHE})
    assert.equal(slack.code, 0, slack.stderr)
    assert.ok(JSON.parse(slack.stdout).tools.some((t: any) => t.name === 'slack_list_channels'))
    const token = Buffer.from(JSON.parse(await (await import('../helpers/kube.js')).kubectl('get', 'secret', 'mcpserver-slack-auth', '-n', ns, '-o', 'json')).data.token, 'base64').toString()
    assert.ok(!slack.stderr.includes(token) && !slack.stdout.includes(token), 'the token is never printed')
  })

  it('the web UI under a terminal: the forward serves while the Inspector runs; Ctrl-C stops both and leaves nothing', async function () {
    this.timeout(240_000)
    const why = terminalUnavailable()
    if (why) this.skip()
    const [clientPort, serverPort] = [await freePort(), await freePort()]
    const log = join(tempDir(), 'script.log')
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
    const cmd = [process.execPath, BIN, 'mcp', 'inspect', 'calculator', '--kubeconfig', KC, '-n', ns, '--no-open'].map(quote).join(' ')
    const env = {...process.env, ...NPM_CACHE, CLIENT_PORT: String(clientPort), SERVER_PORT: String(serverPort), NO_COLOR: '1'} as NodeJS.ProcessEnv
    delete env.CI
    // stdin is the terminal's keyboard: script copies it to the pty, whose line discipline turns
    // ^C into SIGINT for the foreground process group, as a user's Ctrl-C does (whatever $SHELL
    // script runs the command with: dash stays between script and kaos, bash execs it).
    const script = spawn('script', ['-qefc', cmd, log], {env, stdio: ['pipe', 'ignore', 'ignore']})
    let fwdUrl = ''
    try {
      const text = () => {
        try {
          return readFileSync(log, 'utf8')
        } catch {
          return ''
        }
      }
      const until = Date.now() + 180_000
      while (!/is up and running/.test(text()) && Date.now() < until && script.exitCode === null) await sleep(200)
      assert.match(text(), /MCP Inspector Web is up and running/, text())
      const fwd = /at (http:\/\/127\.0\.0\.1:\d+\/mcp) \(kept open until the Inspector exits\)/.exec(text())![1]
      fwdUrl = fwd
      // The Inspector's web page, and the forward it uses, both answer while it runs.
      assert.equal((await fetch(`http://127.0.0.1:${clientPort}/`)).status, 200)
      const viaForward = json(await runCli(['mcp', 'invoke', '--url', fwd, '--json']))
      assert.ok(viaForward.tools.some((t: any) => t.name === 'add'))
      assert.ok(processesMentioning(fwd).length > 0, 'the Inspector runs with the forward\'s URL')
      // Ctrl-C, typed at the terminal.
      script.stdin!.write('\x03')
      // Bounded: a kaos that ignored Ctrl-C must fail this test, not hang the suite.
      const code = script.exitCode ?? (await Promise.race([new Promise<number | null>((resolve) => script.once('exit', (c) => resolve(c))), sleep(30_000).then(() => 'still running' as const)]))
      assert.equal(code, 130, text())
      for (let i = 0; i < 50 && processesMentioning(fwd).length > 0; i++) await sleep(100)
      assert.deepEqual(processesMentioning(fwd), [], 'no Inspector process left')
      await assert.rejects(fetch(fwd), 'the forward is closed')
      writeFileSync(log, '')
    } finally {
      // Whatever failed above, leave no terminal, kaos or Inspector behind (they would keep mocha alive).
      script.stdin!.destroy()
      if (script.exitCode === null && script.signalCode === null) script.kill('SIGKILL')
      for (const pid of fwdUrl ? processesMentioning(fwdUrl) : []) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // gone
        }
      }
    }
  })
})
