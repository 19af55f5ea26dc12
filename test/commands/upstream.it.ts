// Upstream KAOS on the test bed. (1) Every upstream-shaped file in test/fixtures/upstream deploys
// unchanged with `kaos apply -f`, each workload Ready. (2) Agents run upstream's real agent
// runtime (pydantic-ai-server 0.8.4, which the pod runner runs for kaos-agent images) with a
// LiteLLM model API answering from a mock response and a python-string MCP server, all reaching
// each other by Service name: agent invoke (and --stream), every a2a command, agent card, status
// and tools, and modelapi invoke, end to end.
import assert from 'node:assert/strict'
import {readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {forwardWorkload} from '../../src/lib/cluster/portforward.js'
import {type CliResult, ROOT, cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {admin, deleteNamespace, kubectl} from '../helpers/kube.js'
import {describeOrSkip} from '../helpers/mocha.js'
import {ensureOwnImages} from '../helpers/own-images.js'
import {requireServiceNames, requireTestbed, testKubeconfig, uniqueNamespace} from '../helpers/testbed.js'

const skip = cliUnavailable() || requireTestbed('cluster') || requireServiceNames()
const KC = testKubeconfig() ?? ''
const UPSTREAM = join(ROOT, 'test', 'fixtures', 'upstream')

function kaos(args: string[], ns?: string, timeoutMs = 120_000): Promise<CliResult> {
  return runCli([...args, ...(ns ? ['-n', ns] : []), '--kubeconfig', KC], {timeoutMs})
}
const ok = (r: CliResult, what: string) => assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)

/** The Secrets the files name but do not hold (their comments say to create them first). */
const SECRETS: Record<string, Array<{name: string; key: string}>> = {
  '3-tree.yaml': [{name: 'provider-keys', key: 'token'}],
  '5-provider.yaml': [{name: 'provider-token', key: 'key'}],
  'later-fields.yaml': [{name: 'vllm-token', key: 'token'}],
  'cli-written.yaml': [{name: 'openai-creds', key: 'api-key'}],
}

/** Warnings each file must give: what kaos does not act on, named. */
const WARNINGS: Record<string, RegExp[]> = {
  '6-watcher.yaml': [/MCPServer "watcher-k8s": spec\.params ignored/],
  '7-memory.yaml': [/MemoryStore "helpdesk-memory" skipped/, /AccessGrant "staff-to-desk" skipped/, /Agent "desk-user": spec\.config\.memory\.type: remote/],
  '8-walkthrough.yaml': [/AccessGrant "staff-to-walker" skipped/],
  'e2e-resources.yaml': [/ModelAPI "e2e-relay": spec\.gatewayRoute ignored/],
  'later-fields.yaml': [/spec\.security ignored/, /spec\.waitForDependencies ignored/, /spec\.agentNetwork\.expose: false ignored/],
  'exported.yaml': [/status ignored/],
}

/**
 * Files whose MCP servers nothing serves on the test bed (a custom image that is only a name: kwok
 * makes its pod Ready): `--wait` checks Kubernetes readiness only for them, since its MCP check
 * would rightly find no MCP server there.
 */
const NO_MCP_SERVED = new Set(['cli-written.yaml'])

/** The namespace a file names itself, if any (the namespaced snapshot sample). */
const ownNamespace = (file: string) => /^\s+namespace: (\S+)$/m.exec(readFileSync(join(UPSTREAM, file), 'utf8'))?.[1]

describeOrSkip('upstream KAOS files deploy unchanged with kaos apply -f', skip, function () {
  this.timeout(600_000)
  before(async function () {
    this.timeout(20 * 60_000)
    await ensureOwnImages(['rawpython'])
  })

  for (const file of readdirSync(UPSTREAM).filter((f) => f.endsWith('.yaml')).sort()) {
    it(file, async () => {
      const fixed = ownNamespace(file)
      const ns = fixed ?? uniqueNamespace('up')
      try {
        if (!fixed) kubectl('create', 'namespace', ns)
        for (const s of SECRETS[file] ?? []) kubectl('create', 'secret', 'generic', s.name, '-n', ns, `--from-literal=${s.key}=not-a-real-key`)
        const r = await kaos(['apply', '-f', join(UPSTREAM, file), '--wait', ...(NO_MCP_SERVED.has(file) ? ['--no-verify'] : []), '--timeout', '6m'], fixed ? undefined : ns, 420_000)
        ok(r, `kaos apply -f ${file}`)
        for (const w of WARNINGS[file] ?? []) assert.match(r.stderr, w)
        const deployments = kubectl('get', 'deployments', '-n', ns, '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.readyReplicas}/{.spec.replicas} {end}').trim().split(' ')
        assert.ok(deployments.length > 0 && deployments[0] !== '', `no Deployments in ${ns}`)
        for (const d of deployments) assert.match(d, /=(\d+)\/\1$/, `${d} is not ready`)
        for (const d of deployments) assert.match(r.stdout, new RegExp(`^deployment/${d.split('=')[0]} ready`, 'm'))
        if (file === '6-watcher.yaml') {
          // The file's own RBAC went in first, and kaos delete -f takes it out again.
          assert.match(r.stdout, /^serviceaccount\/watcher-sa created$/m)
          assert.match(r.stdout, /^rolebinding\/watcher-read created$/m)
          const del = await kaos(['delete', '-f', join(UPSTREAM, file), '--wait'], ns)
          ok(del, 'kaos delete -f')
          assert.match(del.stdout, /^role\/watcher-read deleted$/m)
          assert.equal(kubectl('get', 'serviceaccounts,roles,rolebindings', '-n', ns, '--ignore-not-found', '-o', 'name').includes('watcher'), false)
        }
      } finally {
        await deleteNamespace(ns)
      }
    })
  }
})

const MOCK_ANSWER = 'The mock model says hello'

/** A model API answering from a mock, a Python tool server, and agents on upstream's runtime. */
const TEAM = `apiVersion: kaos.tools/v1alpha1
kind: ModelAPI
metadata: {name: llm}
spec:
  mode: Proxy
  proxyConfig:
    models: ["*"]
    litellmParams: {mock_response: "${MOCK_ANSWER}"}
---
apiVersion: kaos.tools/v1alpha1
kind: MCPServer
metadata: {name: tools}
spec:
  runtime: python-string
  params: |
    import time

    def stamp(message: str) -> str:
        """Stamp a message as seen."""
        return f"seen: {message}"

    def wait(seconds: int) -> str:
        """Wait that many seconds."""
        time.sleep(seconds)
        return f"waited {seconds}s"
---
# Answers from the model API (LiteLLM's mock response): no mocked model in the agent.
apiVersion: kaos.tools/v1alpha1
kind: Agent
metadata: {name: chat}
spec:
  modelAPI: llm
  model: gpt-4o-mini
  config: {description: Answers from the model API, instructions: Be brief.}
---
# Its model (pais's own mock) calls the stamp tool, then answers.
apiVersion: kaos.tools/v1alpha1
kind: Agent
metadata: {name: stamper}
spec:
  modelAPI: llm
  model: gpt-4o-mini
  mcpServers: [tools]
  config: {description: Stamps messages, reasoningLoopMaxSteps: 4}
  container:
    env:
    - name: DEBUG_MOCK_RESPONSES
      value: '["{\\"tool_calls\\": [{\\"id\\": \\"s1\\", \\"name\\": \\"stamp\\", \\"arguments\\": {\\"message\\": \\"walk note\\"}}]}", "Stamped it"]'
---
# Delegates to its peer chat over A2A, then answers.
apiVersion: kaos.tools/v1alpha1
kind: Agent
metadata: {name: boss}
spec:
  modelAPI: llm
  model: gpt-4o-mini
  agentNetwork: {access: [chat]}
  container:
    env:
    - name: DEBUG_MOCK_RESPONSES
      value: '["{\\"tool_calls\\": [{\\"id\\": \\"d1\\", \\"name\\": \\"delegate_to_chat\\", \\"arguments\\": {\\"task\\": \\"say hello\\"}}]}", "The boss heard back"]'
---
# Works for a while on each task: long enough to get and cancel it.
apiVersion: kaos.tools/v1alpha1
kind: Agent
metadata: {name: sleeper}
spec:
  modelAPI: llm
  model: gpt-4o-mini
  mcpServers: [tools]
  container:
    env:
    - name: DEBUG_MOCK_RESPONSES
      value: '["{\\"tool_calls\\": [{\\"id\\": \\"w1\\", \\"name\\": \\"wait\\", \\"arguments\\": {\\"seconds\\": 3}}]}", "Woke up"]'
---
# Names an MCP server that is not there.
apiVersion: kaos.tools/v1alpha1
kind: Agent
metadata: {name: lonely}
spec:
  modelAPI: llm
  model: gpt-4o-mini
  mcpServers: [tools, missing-tools]
---
# Names a model API that is not there.
apiVersion: kaos.tools/v1alpha1
kind: Agent
metadata: {name: orphan}
spec:
  modelAPI: ghost-llm
  model: gpt-4o-mini
`

/** A GET on an agent's own HTTP API through a port-forward (what kaos has no command for). */
async function agentGet(ns: string, name: string, path: string): Promise<any> {
  const fwd = await forwardWorkload(admin(ns), 'Agent', name, ns)
  try {
    const res = await fetch(fwd.url(path))
    return await res.json()
  } finally {
    await fwd.close()
  }
}

describeOrSkip("agents on upstream KAOS's runtime (pais), end to end", skip, function () {
  this.timeout(300_000)
  const ns = uniqueNamespace('pais')
  before(async function () {
    this.timeout(20 * 60_000)
    await ensureOwnImages(['rawpython'])
    const file = join(tempDir(), 'team.yaml')
    writeFileSync(file, TEAM)
    // lonely names an MCP server that is nowhere: deployed anyway (the status test wants it).
    const r = await kaos(['apply', '-f', file, '--create-namespace', '--skip-dependency-check', '--wait', '--timeout', '6m'], ns, 420_000)
    ok(r, 'kaos apply')
  })
  after(async () => deleteNamespace(ns))

  it('agent invoke: pais answers from the model API (LiteLLM, mock response) it reaches by Service name', async () => {
    const r = await kaos(['agent', 'invoke', 'chat', '-m', 'Say hello'], ns)
    ok(r, 'invoke')
    assert.equal(r.stdout, `${MOCK_ANSWER}\n`)
    const s = await kaos(['agent', 'invoke', 'chat', '-m', 'Say hello', '--stream'], ns)
    ok(s, 'invoke --stream')
    assert.equal(s.stdout, `${MOCK_ANSWER}\n`)
  })

  it('agent invoke --stream: the tool call is a step on stderr, the answer on stdout; the tool really ran', async () => {
    const r = await kaos(['agent', 'invoke', 'stamper', '-m', 'Stamp it', '--stream'], ns)
    ok(r, 'invoke --stream')
    assert.equal(r.stdout, 'Stamped it\n')
    assert.match(r.stderr, /^step 1\/4: calling stamp$/m)
    // pais records the tool's return in the session's memory: the MCP server answered.
    const events = await agentGet(ns, 'stamper', '/memory/events?limit=100')
    assert.ok(JSON.stringify(events).includes('seen: walk note'), JSON.stringify(events).slice(0, 2000))
  })

  it('a peer over A2A: delegate_to_<peer> through the peer Service', async () => {
    const r = await kaos(['agent', 'invoke', 'boss', '-m', 'Ask chat', '--stream'], ns)
    ok(r, 'invoke boss')
    assert.match(r.stderr, /^step 1\/\d+: delegating to chat$/m)
    assert.equal(r.stdout, 'The boss heard back\n')
    const events = JSON.stringify(await agentGet(ns, 'boss', '/memory/events?limit=100'))
    assert.ok(events.includes(MOCK_ANSWER), `the peer's answer is not in boss's memory: ${events.slice(0, 2000)}`)
  })

  it('agent card: the card pais serves, its MCP tools as skills', async () => {
    const r = await kaos(['agent', 'card', 'stamper'], ns)
    ok(r, 'card')
    assert.match(r.stdout, /^Name: +stamper$/m)
    assert.match(r.stdout, /^Card: +\/\.well-known\/agent\.json \(upstream KAOS's agent runtime\)$/m)
    assert.match(r.stdout, /^ {2}stamp +Stamp a message as seen\.$/m)
    const j = JSON.parse((await kaos(['agent', 'card', 'stamper', '--json'], ns)).stdout)
    assert.equal(j.protocolVersion, '0.3.0')
  })

  it('a2a send waits for the task and prints the answer; --json gives the task', async () => {
    const r = await kaos(['agent', 'a2a', 'send', 'stamper', '-m', 'Stamp over A2A'], ns)
    ok(r, 'a2a send')
    assert.equal(r.stdout, 'Stamped it\n')
    assert.match(r.stderr, /task task_[0-9a-f]+ completed \(session session_[0-9a-f]+\)/)
    const j = await kaos(['agent', 'a2a', 'send', 'chat', '-m', 'hi', '--json', '--session-id', 'kaos-session-1'], ns)
    ok(j, 'a2a send --json')
    const t = JSON.parse(j.stdout)
    assert.equal(t.state, 'completed')
    assert.equal(t.contextId, 'kaos-session-1')
    assert.deepEqual(t.history.map((m: any) => m.role), ['user', 'agent'])
    assert.equal(t.history[1].text, MOCK_ANSWER)
  })

  it('a2a send --async returns the task id at once; a2a get shows it, get --watch follows it to the end', async () => {
    const s = await kaos(['agent', 'a2a', 'send', 'sleeper', '-m', 'Take your time', '--async'], ns)
    ok(s, 'send --async')
    const id = s.stdout.trim()
    assert.match(id, /^task_[0-9a-f]{12}$/)
    const g = await kaos(['agent', 'a2a', 'get', 'sleeper', id], ns)
    ok(g, 'get')
    assert.match(g.stdout, new RegExp(`^Task: +${id}$`, 'm'))
    assert.match(g.stdout, /^State: +working/m)
    const w = await kaos(['agent', 'a2a', 'get', 'sleeper', '-t', id, '--watch'], ns)
    ok(w, 'get --watch')
    assert.match(w.stdout, /^\d\d:\d\d:\d\d completed/m)
    assert.match(w.stdout, /^State: +completed/m)
    assert.match(w.stdout, /task\.completed/)
  })

  it('a2a cancel ends a running task; an unknown task is exit 8', async () => {
    const id = (await kaos(['agent', 'a2a', 'send', 'sleeper', '-m', 'Stop me', '--async'], ns)).stdout.trim()
    const c = await kaos(['agent', 'a2a', 'cancel', 'sleeper', id], ns)
    ok(c, 'cancel')
    assert.equal(c.stdout, `task ${id} canceled: Canceled by request\n`)
    const g = await kaos(['agent', 'a2a', 'get', 'sleeper', id, '--json'], ns)
    assert.equal(JSON.parse(g.stdout).state, 'canceled')
    for (const cmd of ['get', 'cancel']) {
      const r = await kaos(['agent', 'a2a', cmd, 'sleeper', 'task_000000000000'], ns)
      assert.equal(r.code, 8, `${cmd}: ${r.stderr}`)
      assert.match(r.error ?? '', /has no task task_000000000000/)
    }
  })

  it('an Agent that is not there is exit 8, before any port-forward', async () => {
    const r = await kaos(['agent', 'a2a', 'send', 'nobody', '-m', 'hi'], ns)
    assert.equal(r.code, 8)
    assert.match(r.error ?? '', /Agent "nobody" not found in namespace/)
  })

  it('agent status: the agent, its model API, MCP servers and peers, each ready; exit 5 naming what is missing', async () => {
    const r = await kaos(['agent', 'status', 'boss'], ns)
    ok(r, 'status boss')
    assert.match(r.stdout, /^agent +Agent +boss +1\/1 +ready/m)
    assert.match(r.stdout, /^model API +ModelAPI +llm +1\/1 +ready/m)
    assert.match(r.stdout, /^peer agent +Agent +chat +1\/1 +ready/m)
    const bad = await kaos(['agent', 'status', 'lonely'], ns)
    assert.equal(bad.code, 5, bad.stderr)
    assert.match(bad.stdout, /^MCP server +MCPServer +tools +1\/1 +ready/m)
    assert.match(bad.stdout, new RegExp(`^MCP server +MCPServer +missing-tools +- +failing +not deployed in namespace ${ns}`, 'm'))
    assert.match(bad.error ?? '', /agent "lonely" is not ready: MCP server missing-tools: not deployed/)
    const j = await kaos(['agent', 'status', 'lonely', '--json'], ns)
    assert.equal(j.code, 5)
    assert.equal(JSON.parse(j.stdout).ready, false)
  })

  it('agent tools: each MCP server\'s tools, listed through a port-forward; peers as delegate_to_<peer>', async () => {
    const r = await kaos(['agent', 'tools', 'stamper'], ns)
    ok(r, 'tools')
    assert.match(r.stdout, /^stamp +MCPServer tools +Stamp a message as seen\.$/m)
    assert.match(r.stdout, /^wait +MCPServer tools +Wait that many seconds\.$/m)
    const b = await kaos(['agent', 'tools', 'boss'], ns)
    assert.match(b.stdout, /^delegate_to_chat +peer agent chat/m)
    // pais lists the same tools itself (GET /tools): kaos's list is what the agent sees.
    const own = await agentGet(ns, 'stamper', '/tools')
    assert.deepEqual(own.tools.map((t: any) => t.name).sort(), ['stamp', 'wait'])
    const bad = await kaos(['agent', 'tools', 'lonely'], ns)
    assert.equal(bad.code, 5)
    assert.match(bad.stdout, /^stamp +MCPServer tools/m)
    assert.match(bad.error ?? '', /missing-tools: MCPServer "missing-tools" not found/)
  })

  it('agent invoke: an answer that is the runtime\'s own error report is exit 6', async () => {
    // Its model API is nowhere: pais answers (HTTP 200) "Sorry, I encountered an error: …".
    const r = await kaos(['agent', 'invoke', 'orphan', '-m', 'hi'], ns)
    assert.equal(r.code, 6, r.stderr)
    assert.match(r.error ?? '', /Agent "orphan" failed to answer: /)
    const st = await kaos(['agent', 'status', 'orphan'], ns)
    assert.equal(st.code, 5)
    assert.match(st.stdout, new RegExp(`^model API +ModelAPI +ghost-llm +- +failing +not deployed in namespace ${ns}`, 'm'))
  })

  it('modelapi invoke against LiteLLM: plain and --stream', async () => {
    const r = await kaos(['modelapi', 'invoke', 'llm', '-m', 'hi', '--model', 'gpt-4o-mini'], ns)
    ok(r, 'modelapi invoke')
    assert.equal(r.stdout, `${MOCK_ANSWER}\n`)
    const s = await kaos(['modelapi', 'invoke', 'llm', '-m', 'hi', '--model', 'gpt-4o-mini', '--stream'], ns)
    ok(s, 'modelapi invoke --stream')
    assert.equal(s.stdout.replace(/\s+$/, ''), MOCK_ANSWER)
  })
})
