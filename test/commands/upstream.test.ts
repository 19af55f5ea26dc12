// What an upstream KAOS user types, offline through the built CLI: upstream's flag spellings next
// to kaos's (help shows kaos's), and their files through `kaos apply --dry-run` with the warnings
// for what kaos does not act on.
import assert from 'node:assert/strict'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {parseAllDocuments, stringify} from 'yaml'

import {ROOT, cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {describeConcurrent} from '../helpers/mocha.js'

const skip = cliUnavailable()
const UPSTREAM = join(ROOT, 'test', 'fixtures', 'upstream')
const ok = (r: {code: number; stdout: string; stderr: string}) => assert.equal(r.code, 0, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
const objects = (text: string) => parseAllDocuments(text).map((d) => d.toJS())
const envOf = (o: any) => Object.fromEntries(o.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]))

describeConcurrent('upstream KAOS spellings of flags', skip, 6, (it) => {
  it('agent deploy --modelapi, --mcp, --sub-agent and --wait-timeout do what --model-api, --mcp-server, --peer and --timeout do', async () => {
    const up = await runCli(['agent', 'deploy', 'a', '--modelapi', 'llm', '--model', 'm', '--mcp', 'tools', '--sub-agent', 'b', '--wait-timeout', '30', '--dry-run'])
    const own = await runCli(['agent', 'deploy', 'a', '--model-api', 'llm', '--model', 'm', '--mcp-server', 'tools', '--peer', 'b', '--timeout', '30s', '--dry-run'])
    ok(up)
    assert.equal(up.stdout, own.stdout)
    const env = envOf(objects(up.stdout).find((o) => o.kind === 'Deployment'))
    assert.equal(env.PEER_AGENTS, 'b')
    assert.equal(env.MCP_SERVERS, 'tools')
  })

  it('modelapi deploy --api-secret NAME:KEY is --api-key-secret', async () => {
    const r = await runCli(['modelapi', 'deploy', 'llm', '--mode', 'Proxy', '--model', 'gpt-4.1', '--provider', 'openai', '--api-secret', 'openai-creds:api-key', '--dry-run'])
    ok(r)
    const d = objects(r.stdout).find((o) => o.kind === 'Deployment')
    assert.deepEqual(envOf(d).MODEL_API_KEY, {secretKeyRef: {name: 'openai-creds', key: 'api-key'}})
    // A malformed value: the error names both spellings and both separators.
    const bad = await runCli(['modelapi', 'deploy', 'llm', '--mode', 'Proxy', '--model', 'gpt-4.1', '--api-secret', 'sec', '--dry-run'])
    assert.equal(bad.code, 2)
    assert.equal(bad.error, '--api-key-secret (or --api-secret) sec: expected SECRET/KEY or SECRET:KEY (a Secret name and a key in it)')
    assert.deepEqual(bad.suggestions, ['For example --api-key-secret slack/bot-token or --api-secret slack:bot-token'])
  })

  it('help shows kaos spellings only', async () => {
    const agent = await runCli(['agent', 'deploy', '--help'])
    assert.match(agent.stdout, /--peer=<value>/)
    assert.doesNotMatch(agent.stdout, /sub-agent|--modelapi|wait-timeout/)
    const api = await runCli(['modelapi', 'deploy', '--help'])
    assert.match(api.stdout, /--api-key-secret=<value>/)
    assert.doesNotMatch(api.stdout, /--api-secret/)
  })

  it('--wait-timeout takes upstream\'s whole seconds and refuses what is no duration', async () => {
    const r = await runCli(['agent', 'deploy', 'a', '--modelapi', 'llm', '--model', 'm', '--wait-timeout', 'soon'])
    assert.equal(r.code, 2)
    assert.match(r.error ?? '', /--timeout "soon" is not a duration/)
  })
})

describeConcurrent('kaos apply --dry-run of upstream files', skip, 4, (it) => {
  it('sample 6: its ServiceAccount, Role and RoleBinding first, params of the kubernetes runtime a warning', async () => {
    const r = await runCli(['apply', '-f', join(UPSTREAM, '6-watcher.yaml'), '--dry-run', '-n', 'watch'])
    ok(r)
    const objs = objects(r.stdout)
    assert.deepEqual(objs.slice(0, 3).map((o) => `${o.kind}/${o.metadata.name}/${o.metadata.namespace}`), ['ServiceAccount/watcher-sa/watch', 'Role/watcher-read/watch', 'RoleBinding/watcher-read/watch'])
    assert.match(r.stderr, /MCPServer "watcher-k8s": spec\.params ignored: runtime "kubernetes" takes no params/)
    const mcp = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'mcpserver-watcher-k8s')
    assert.equal(mcp.spec.template.spec.serviceAccountName, 'watcher-sa')
  })

  it('sample 7: MemoryStore and AccessGrant skipped with the reason, memory-store fields named', async () => {
    const r = await runCli(['apply', '-f', join(UPSTREAM, '7-memory.yaml'), '--dry-run'])
    ok(r)
    assert.match(r.stderr, /MemoryStore "helpdesk-memory" skipped: it needs upstream KAOS's memory service/)
    assert.match(r.stderr, /AccessGrant "staff-to-desk" skipped/)
    assert.match(r.stderr, /Agent "desk-user": spec\.config\.memory\.type: remote, spec\.config\.memory\.memoryStore, .* ignored/)
  })

  it('kaos agent deploy -f of a file with a MemoryStore points at kaos apply', async () => {
    const r = await runCli(['agent', 'deploy', '-f', join(UPSTREAM, '7-memory.yaml'), '--dry-run'])
    assert.equal(r.code, 2)
    assert.match(r.error ?? '', /MemoryStore "helpdesk-memory": it needs upstream KAOS's memory service/)
    assert.match(r.suggestions.join('\n'), /kaos apply -f/)
  })

  it('an exported document: status and server metadata dropped with a warning', async () => {
    const r = await runCli(['apply', '-f', join(UPSTREAM, 'exported.yaml'), '--dry-run'])
    ok(r)
    assert.match(r.stderr, /Agent "exported-agent": status ignored/)
    assert.match(r.stderr, /Agent "exported-agent": the kubectl\.kubernetes\.io\/last-applied-configuration annotation ignored/)
    assert.doesNotMatch(r.stdout, /last-applied-configuration/)
    assert.match(r.stdout, /research\.example\.com\/owner: data-team/)
    assert.match(r.stderr, /metadata\.uid, metadata\.resourceVersion, metadata\.generation, metadata\.creationTimestamp, metadata\.finalizers ignored/)
  })
})

/**
 * What upstream's CLI writes (cli-written.yaml), one kind to a file under the names upstream's
 * docs use, in a fresh folder: `kaos mcp deploy mcpserver.yaml` as its users type it.
 */
function upstreamFiles(): string {
  const dir = tempDir('kaos-upstream-files-')
  const docs = objects(readFileSync(join(UPSTREAM, 'cli-written.yaml'), 'utf8'))
  const of = (kind: string) => docs.filter((d) => d.kind === kind).map((d) => `---\n${stringify(d)}`).join('')
  writeFileSync(join(dir, 'mcpserver.yaml'), of('MCPServer'))
  writeFileSync(join(dir, 'modelapi.yaml'), of('ModelAPI'))
  writeFileSync(join(dir, 'agent.yaml'), of('Agent'))
  // Not a label (an underscore), no extension: still a file.
  writeFileSync(join(dir, 'agent_v2'), of('Agent'))
  mkdirSync(join(dir, 'servers'))
  writeFileSync(join(dir, 'servers', 'a.yaml'), of('MCPServer'))
  // A label that is also a file's name stays a NAME.
  writeFileSync(join(dir, 'calc'), 'not YAML')
  return dir
}

describeConcurrent('upstream KAOS deploy command lines', skip, 6, (it) => {
  const dir = upstreamFiles()
  const inDir = (args: string[]) => runCli(args, {cwd: dir})

  it('deploy FILE is deploy -f FILE for each kind (upstream\'s first word is its file)', async () => {
    for (const [topic, file, names] of [
      ['mcp', 'mcpserver.yaml', ['mcpserver-cli-custom']],
      ['agent', 'agent.yaml', ['agent-cli-agent', 'agent-cli-helper']],
      ['modelapi', 'modelapi.yaml', ['modelapi-cli-llm']],
    ] as const) {
      const up = await inDir([topic, 'deploy', file, '--dry-run'])
      ok(up)
      const own = await inDir([topic, 'deploy', '-f', file, '--dry-run'])
      assert.equal(up.stdout, own.stdout)
      assert.deepEqual(objects(up.stdout).filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name), names)
    }
  })

  it('a path, a non-label file without extension, a folder and - are files too; a label stays a NAME even where such a file exists', async () => {
    const abs = await runCli(['mcp', 'deploy', join(dir, 'mcpserver.yaml'), '--dry-run'])
    ok(abs)
    assert.match(abs.stdout, /name: mcpserver-cli-custom/)
    const bare = await inDir(['agent', 'deploy', 'agent_v2', '--dry-run'])
    ok(bare)
    assert.match(bare.stdout, /name: agent-cli-helper/)
    const folder = await inDir(['mcp', 'deploy', './servers', '--dry-run'])
    ok(folder)
    assert.match(folder.stdout, /name: mcpserver-cli-custom/)
    const piped = await runCli(['mcp', 'deploy', '-', '--dry-run'], {cwd: dir, input: readFileSync(join(dir, 'mcpserver.yaml'), 'utf8')})
    ok(piped)
    assert.match(piped.stdout, /name: mcpserver-cli-custom/)
    const label = await inDir(['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', 'def add(a: int, b: int) -> int:\n    return a + b\n', '--dry-run'])
    ok(label)
    assert.match(label.stdout, /name: mcpserver-calc/)
    // A missing file is named as one, not taken for a bad NAME.
    const missing = await inDir(['modelapi', 'deploy', 'modelapi-missing.yaml', '--dry-run'])
    assert.equal(missing.code, 2)
    assert.match(missing.error ?? '', /modelapi-missing\.yaml does not exist/)
  })

  it('--name is NAME: upstream\'s agent line renders what kaos\'s spelling renders', async () => {
    const up = await runCli(['agent', 'deploy', '--name', 'my-agent2', '--modelapi', 'my-modelapi', '--model', 'm', '--dry-run'])
    ok(up)
    const own = await runCli(['agent', 'deploy', 'my-agent2', '--model-api', 'my-modelapi', '--model', 'm', '--dry-run'])
    assert.equal(up.stdout, own.stdout)
    const same = await runCli(['agent', 'deploy', 'my-agent2', '--name', 'my-agent2', '-m', 'my-modelapi', '--model', 'm', '--dry-run'])
    assert.equal(same.stdout, own.stdout)
    // Upstream's documented custom image line: --image alone is the custom runtime.
    const image = await runCli(['mcp', 'deploy', '--name', 'my-mcp', '--image', 'registry.example.com/my-mcp:v1', '--dry-run'])
    ok(image)
    const d = objects(image.stdout).find((o) => o.kind === 'Deployment')
    assert.equal(d.metadata.name, 'mcpserver-my-mcp')
    assert.equal(d.spec.template.spec.containers[0].image, 'registry.example.com/my-mcp:v1')
  })

  it('a NAME and a --name that differ are exit 2; --name with a FILE is NAME with -f', async () => {
    const both = await runCli(['agent', 'deploy', 'a', '--name', 'b', '--model-api', 'x', '--model', 'm', '--dry-run'])
    assert.equal(both.code, 2)
    assert.equal(both.error, 'NAME "a" and --name "b" differ: give the name once')
    const withFile = await inDir(['agent', 'deploy', 'agent.yaml', '--name', 'x', '--dry-run'])
    assert.equal(withFile.code, 2)
    assert.equal(withFile.error, 'give either NAME with flags or -f FILE, not both')
  })

  it('upstream\'s short flags: mcp deploy -i/-p, agent deploy -m/-p, modelapi deploy -m, mcp invoke -a', async () => {
    const params = 'def add(a: int, b: int) -> int:\n    return a + b\n'
    const mcpShort = await runCli(['mcp', 'deploy', 'calc', '-r', 'rawpython', '-p', params, '-i', 'example.com/py:1', '--dry-run'])
    ok(mcpShort)
    assert.equal(mcpShort.stdout, (await runCli(['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', params, '--image', 'example.com/py:1', '--dry-run'])).stdout)
    const agentShort = await runCli(['agent', 'deploy', '--name', 'a', '-m', 'llm', '--model', 'm', '-p', 'Be brief.', '--dry-run'])
    ok(agentShort)
    assert.equal(agentShort.stdout, (await runCli(['agent', 'deploy', 'a', '--model-api', 'llm', '--model', 'm', '--system-prompt', 'Be brief.', '--dry-run'])).stdout)
    assert.equal(agentShort.stdout, (await runCli(['agent', 'deploy', 'a', '--modelapi', 'llm', '--model', 'm', '--prompt', 'Be brief.', '--dry-run'])).stdout)
    assert.equal(envOf(objects(agentShort.stdout).find((o) => o.kind === 'Deployment')).AGENT_SYSTEM_PROMPT, 'Be brief.')
    const apiShort = await runCli(['modelapi', 'deploy', '--name', 'local', '--mode', 'Hosted', '-m', 'smollm2:135m', '--dry-run'])
    ok(apiShort)
    assert.equal(apiShort.stdout, (await runCli(['modelapi', 'deploy', 'local', '--mode', 'Hosted', '--model', 'smollm2:135m', '--dry-run'])).stdout)
    // Upstream's --backend (-b) is --mode: ollama is Hosted, litellm is Proxy; not both.
    assert.equal((await runCli(['modelapi', 'deploy', '--name', 'local', '-b', 'ollama', '-m', 'smollm2:135m', '--dry-run'])).stdout, apiShort.stdout)
    const proxy = await runCli(['modelapi', 'deploy', '--name', 'my-api', '--backend', 'litellm', '--model', 'gpt-4', '--dry-run'])
    assert.equal(proxy.stdout, (await runCli(['modelapi', 'deploy', 'my-api', '--mode', 'Proxy', '--model', 'gpt-4', '--dry-run'])).stdout)
    const both = await runCli(['modelapi', 'deploy', 'x', '--backend', 'litellm', '--mode', 'Hosted', '--model', 'm', '--dry-run'])
    assert.equal(both.code, 2)
    const neither = await runCli(['modelapi', 'deploy', 'x', '--model', 'm', '--dry-run'])
    assert.equal(neither.code, 2)
    assert.match(neither.suggestions[0], /--backend litellm\|ollama works too/)
    // -a is --args: the JSON is checked before any connection.
    const invoke = await runCli(['mcp', 'invoke', 'calc', '-t', 'add', '-a', '{"a": 1'])
    assert.equal(invoke.code, 2)
    assert.match(invoke.error ?? '', /^--args is not valid JSON/)
  })

  it('help shows NAME and kaos\'s spellings, not --name or --prompt', async () => {
    for (const topic of ['mcp', 'agent', 'modelapi']) {
      const r = await runCli([topic, 'deploy', '--help'])
      ok(r)
      assert.match(r.stdout, /deploy \[NAME\]/)
      assert.doesNotMatch(r.stdout, /--name\b|--prompt\b/)
    }
  })
})
