// `kaos mcp|modelapi invoke` end to end on the real control plane: kaos deploys, the local pod
// runner starts the real server processes (rawpython, kubernetes-mcp-server, slack-mcp-server,
// LiteLLM), and invoke reaches them through the API server's port-forward (kwok PortForward).
import assert from 'node:assert/strict'
import {execFileSync, spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import net from 'node:net'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {Cluster} from '../../src/lib/cluster/client.js'
import {collectionPath, objectPath} from '../../src/lib/cluster/paths.js'
import {BIN, type CliResult, cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {freePort} from '../helpers/mcp-servers.js'
import {requireTestbed, testKubeconfig, uniqueNamespace} from '../helpers/testbed.js'
import {describeOrSkip} from '../helpers/mocha.js'
import {ensureOwnImages} from '../helpers/own-images.js'

const skip = cliUnavailable() || requireTestbed('cluster')
const KC = testKubeconfig() ?? ''

const CALC = (name: string) => `apiVersion: kaos.tools/v1alpha1
kind: MCPServer
metadata:
  name: ${name}
spec:
  runtime: rawpython
  params: |
    code: |
      import time

      def add(a: int, b: int) -> int:
          """Add two numbers."""
          return a + b

      def echo(text: str) -> str:
          """Echo the text back."""
          return text

      def boom(reason: str = "bad") -> str:
          """Always fails."""
          raise ValueError(f"boom: {reason}")

      def slow(seconds: float = 30) -> str:
          """Sleeps, then answers."""
          time.sleep(seconds)
          return "done"
`

function kaos(args: string[], ns: string, timeoutMs = 60_000): Promise<CliResult> {
  return runCli([...args, '-n', ns, '--kubeconfig', KC], {timeoutMs})
}

async function deploy(kind: 'mcp' | 'modelapi', yaml: string, ns: string, timeout = '90s'): Promise<void> {
  const dir = tempDir()
  const file = join(dir, 'doc.yaml')
  writeFileSync(file, yaml)
  const r = await kaos([kind, 'deploy', '-f', file, '--wait', '--timeout', timeout, '--create-namespace'], ns, 180_000)
  assert.equal(r.code, 0, `deploy failed:\n${r.stdout}\n${r.stderr}`)
}

/** Start `kaos ARGS` as a child we can signal; resolves the exit with timings. */
function spawnKaos(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args, '--kubeconfig', KC], {
    env: {...process.env, CI: 'true', NO_COLOR: '1', OCLIF_COLUMNS: '10000', KUBECONFIG: KC},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const exited = new Promise<{code: number | null; signal: string | null; at: number}>((resolve) => child.on('exit', (code, signal) => resolve({code, signal, at: Date.now()})))
  return {child, exited, out: () => ({stdout, stderr})}
}

function childrenOf(pid: number): string {
  try {
    return execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)], {encoding: 'utf8'}).trim()
  } catch {
    return ''
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

async function deleteNamespace(ns: string): Promise<void> {
  try {
    await Cluster.connect({kubeconfig: KC}).request('DELETE', objectPath('Namespace', ns))
  } catch {
    // best effort
  }
}

describeOrSkip('kaos mcp invoke: rawpython through the port-forward', skip, () => {
  const ns = uniqueNamespace('inv-raw')
  before(async () => {
    await ensureOwnImages(['rawpython'])
    await deploy('mcp', CALC('calc'), ns)
  })
  after(() => deleteNamespace(ns))

  it('lists add, echo, boom and slow with their arguments', async () => {
    const r = await kaos(['mcp', 'invoke', 'calc'], ns)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^add {2}Add two numbers\.\n {4}a: integer \(required\)\n {4}b: integer \(required\)$/m)
    assert.match(r.stdout, /^echo {2}Echo the text back\./m)
    assert.match(r.stdout, /^boom {2}/m)
    assert.match(r.stderr, /4 tools on rawpython/)
  })

  it('add returns 3 for 1 and 2', async () => {
    const r = await kaos(['mcp', 'invoke', 'calc', '--tool', 'add', '--arg', 'a=1', '--arg', 'b=2'], ns)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, '3\n')
  })

  it('the raising tool exits 6', async () => {
    const r = await kaos(['mcp', 'invoke', 'calc', '--tool', 'boom', '--arg', 'reason=kaput'], ns)
    assert.equal(r.code, 6, r.stderr)
    assert.match(r.error ?? '', /tool "boom" returned an error: .*boom: kaput/)
  })

  it('--json gives the raw result with the server info for listings', async () => {
    const r = await kaos(['mcp', 'invoke', 'calc', '--json'], ns)
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    assert.equal(out.server.name, 'rawpython')
    // rawpython serves stateless streamable HTTP: no session to keep, so replicas need no affinity.
    assert.equal(out.sessionId, undefined)
    assert.ok(out.protocolVersion)
    assert.equal(out.tools.length, 4)
  })

  it('an unknown MCPServer is exit 8; bad arguments exit 2 before the call', async () => {
    assert.equal((await kaos(['mcp', 'invoke', 'nope'], ns)).code, 8)
    const bad = await kaos(['mcp', 'invoke', 'calc', '--tool', 'add', '--arg', 'a=x'], ns)
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /tool "add" takes: a: integer \(required\); b: integer \(required\)/)
  })

  it('SIGINT during a call: exits within 1 s, no children, the local port is released', async () => {
    const port = await freePort()
    const p = spawnKaos(['mcp', 'invoke', 'calc', '-n', ns, '--tool', 'slow', '--arg', 'seconds=30', '--local-port', String(port)])
    // Wait until the call is in flight: the forward is listening and the server got the request.
    const deadline = Date.now() + 20_000
    while (!(await portOpen(port))) {
      assert.ok(Date.now() < deadline, `the port-forward never listened: ${JSON.stringify(p.out())}`)
      await sleep(100)
    }
    await sleep(1000)
    assert.equal(childrenOf(p.child.pid!), '', 'kaos starts no child processes')
    const t0 = Date.now()
    p.child.kill('SIGINT')
    const {code, at} = await p.exited
    assert.ok(at - t0 < 1000, `exited ${at - t0} ms after SIGINT`)
    assert.equal(code, 130, JSON.stringify(p.out()))
    assert.match(p.out().stderr, /interrupted \(SIGINT\)/)
    assert.equal(await portOpen(port), false, 'the local port is closed')
  })

  it('the pod dies mid-call: a clear error, no hang; a retry reaches the new Ready pod', async () => {
    const cluster = Cluster.connect({kubeconfig: KC})
    const pods = await cluster.request<{items: any[]}>('GET', collectionPath('Pod', ns), {query: {labelSelector: 'mcpserver=calc'}})
    const victim = pods.items.find((x) => !x.metadata.deletionTimestamp)!.metadata.name
    const p = spawnKaos(['mcp', 'invoke', 'calc', '-n', ns, '--tool', 'slow', '--arg', 'seconds=60', '--timeout', '120s'])
    await sleep(2500)
    const t0 = Date.now()
    await cluster.request('DELETE', objectPath('Pod', victim, ns), {body: {gracePeriodSeconds: 0}})
    const {code, at} = await Promise.race([p.exited, sleep(30_000).then(() => ({code: -1, signal: null, at: Date.now()}))])
    if (code === -1) p.child.kill('SIGKILL')
    assert.equal(code, 5, `exit ${code}: ${JSON.stringify(p.out())}`)
    assert.ok(at - t0 < 15_000, `took ${at - t0} ms after the pod was deleted`)
    assert.match(p.out().stderr, new RegExp(`pod ${victim}.*(went away|failed)`))
    // The Deployment replaces the pod; once Ready, invoking again works.
    const deadline = Date.now() + 60_000
    for (;;) {
      const r = await kaos(['mcp', 'invoke', 'calc', '--tool', 'add', '--arg', 'a=2', '--arg', 'b=3'], ns)
      if (r.code === 0) {
        assert.equal(r.stdout, '5\n')
        break
      }
      assert.ok(Date.now() < deadline, `no Ready pod again: ${r.stderr}`)
      assert.ok([5].includes(r.code), `unexpected exit ${r.code}: ${r.stderr}`)
      await sleep(1000)
    }
  })

  it('no Ready pod: exit 5 naming the pods state', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'bad.yaml'), CALC('never').replace('runtime: rawpython', 'runtime: rawpython\n  container:\n    image: kaos-test.invalid/never-ready:1'))
    const d = await kaos(['mcp', 'deploy', '-f', join(dir, 'bad.yaml')], ns)
    assert.equal(d.code, 0, d.stderr)
    const deadline = Date.now() + 30_000
    let r: CliResult
    do {
      await sleep(500)
      r = await kaos(['mcp', 'invoke', 'never'], ns)
    } while (/no pods exist/.test(r.error ?? '') && Date.now() < deadline)
    assert.equal(r.code, 5, r.stderr)
    assert.match(r.error ?? '', /^MCPServer "never" in namespace "\S+" has no Ready pod to forward to: pod mcpserver-never-\S+: /)
    assert.match(r.suggestions[0], new RegExp(`see why: kaos mcp logs never -n ${ns} \\(--previous for a container that crashed\\)$`))
  })
})

describeOrSkip('kaos mcp invoke: kubernetes-mcp-server', skip, () => {
  const ns = uniqueNamespace('inv-k8s')
  before(async () => {
    await deploy('mcp', 'apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata:\n  name: k8s\nspec:\n  runtime: kubernetes\n  container:\n    args: ["--port", "8000", "--read-only"]\n', ns)
    const r = await kaos(['system', 'create-rbac', 'k8s', '--read-only', '--cluster-wide', '--resources', 'namespaces,pods'], ns)
    assert.equal(r.code, 0, r.stderr)
  })
  after(() => deleteNamespace(ns))

  it('runs a read-only tool and sees the test namespace', async () => {
    const r = await kaos(['mcp', 'invoke', 'k8s', '--tool', 'namespaces_list'], ns)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, new RegExp(`\\b${ns}\\b`))
  })

  it('arguments reach the server: pods in the namespace', async () => {
    const r = await kaos(['mcp', 'invoke', 'k8s', '--tool', 'pods_list_in_namespace', '--arg', `namespace=${ns}`], ns)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /mcpserver-k8s-/)
  })
})

describeOrSkip('kaos mcp invoke: slack-mcp-server with the bearer token kaos generated', skip, () => {
  const ns = uniqueNamespace('inv-slack')
  before(async () => {
    await deploy(
      'mcp',
      'apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata:\n  name: slack\nspec:\n  runtime: slack\n  container:\n    env:\n      - {name: SLACK_BOT_TOKEN, value: xoxb-not-a-real-token}\n      - {name: SLACK_TEAM_ID, value: T0000TEST}\n',
      ns,
    )
  })
  after(() => deleteNamespace(ns))

  it('lists the tools (kaos sends Authorization: Bearer from the Secret)', async () => {
    const r = await kaos(['mcp', 'invoke', 'slack'], ns)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^slack_list_channels {2}/m)
    assert.match(r.stdout, /^slack_post_message {2}/m)
  })

  it('without the token the server refuses (exit 6): kaos is what sends it', async () => {
    const r = await kaos(['mcp', 'invoke', 'slack', '--no-auth'], ns)
    assert.equal(r.code, 6, r.stderr)
    assert.match(r.error ?? '', /refused initialize: it wants credentials \(HTTP 401: Unauthorized/)
  })

  it('a wrong token is refused too', async () => {
    const r = await kaos(['mcp', 'invoke', 'slack', '--header', 'Authorization=Bearer wrong'], ns)
    assert.equal(r.code, 6, r.stderr)
  })
})

describeOrSkip('kaos modelapi invoke: a real LiteLLM proxy with a mocked model', skip, () => {
  const ns = uniqueNamespace('inv-llm')
  before(async () => {
    await deploy(
      'modelapi',
      'apiVersion: kaos.tools/v1alpha1\nkind: ModelAPI\nmetadata:\n  name: llm\nspec:\n  mode: Proxy\n  proxyConfig:\n    models: [mock-gpt]\n    provider: openai\n    litellmParams:\n      mock_response: "Hello from the mocked model"\n',
      ns,
      '150s',
    )
  })
  after(() => deleteNamespace(ns))

  it('gets the mocked answer (default model from the stored document)', async () => {
    const r = await kaos(['modelapi', 'invoke', 'llm', '-m', 'hi'], ns)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'Hello from the mocked model\n')
  })

  it('--stream prints the same answer as it arrives; --json has the model', async () => {
    const s = await kaos(['modelapi', 'invoke', 'llm', '-m', 'hi', '--stream', '--system', 'be brief'], ns)
    assert.equal(s.code, 0, s.stderr)
    assert.equal(s.stdout, 'Hello from the mocked model\n')
    const j = await kaos(['modelapi', 'invoke', 'llm', '-m', 'hi', '--json'], ns)
    assert.equal(j.code, 0, j.stderr)
    assert.equal(JSON.parse(j.stdout).content, 'Hello from the mocked model')
  })

  it('an unknown model is the model API error, exit 6', async () => {
    const r = await kaos(['modelapi', 'invoke', 'llm', '-m', 'hi', '--model', 'no-such-model'], ns)
    assert.equal(r.code, 6, r.stderr)
    assert.match(r.error ?? '', /answered HTTP 400/)
  })
})
