// The offline paths of the CLI, end to end through the built binary: --dry-run YAML and JSON,
// --output-dir, --create-yaml round trips, the examples, and `kaos system runtimes`.
import assert from 'node:assert/strict'
import {existsSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {parse, parseAllDocuments} from 'yaml'

import {ROOT, cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {validateK8sObject} from '../helpers/k8s-schema.js'
import {describeConcurrent} from '../helpers/mocha.js'

const skip = cliUnavailable()
const dir = tempDir('kaos-dry-run-')
after(() => rmSync(dir, {recursive: true, force: true}))

const EXAMPLE = 'examples/mcpserver-rawpython.yaml'
const yamlObjects = (text: string) => parseAllDocuments(text).map((d) => d.toJS())
const ok = (r: {code: number; stdout: string; stderr: string}) => assert.equal(r.code, 0, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)

describeConcurrent('kaos mcp deploy --dry-run', skip, 8, (it) => {
  it('prints YAML that parses to a Deployment and a Service, and nothing on stderr', async () => {
    const r = await runCli(['mcp', 'deploy', '-f', EXAMPLE, '--dry-run'])
    ok(r)
    const objects = yamlObjects(r.stdout)
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`), ['Deployment/mcpserver-calc', 'Service/mcpserver-calc'])
    assert.equal(objects[0].metadata.namespace, 'default')
    for (const o of objects) validateK8sObject(o)
    assert.equal(r.stderr, '')
  })

  it('--dry-run=client and -n give the same objects in that namespace', async () => {
    const r = await runCli(['mcp', 'deploy', '-f', EXAMPLE, '--dry-run=client', '-n', 'tools'])
    ok(r)
    assert.deepEqual(yamlObjects(r.stdout).map((o) => o.metadata.namespace), ['tools', 'tools'])
  })

  it('-o json prints a v1 List', async () => {
    const r = await runCli(['mcp', 'deploy', '-f', EXAMPLE, '--dry-run', '-o', 'json'])
    ok(r)
    const list = JSON.parse(r.stdout)
    assert.equal(list.apiVersion, 'v1')
    assert.equal(list.kind, 'List')
    assert.deepEqual(list.items.map((o: any) => o.kind), ['Deployment', 'Service'])
  })

  it('--json returns the documents, objects and warnings', async () => {
    const r = await runCli(['mcp', 'deploy', '-f', 'examples/mcpserver-kubernetes.yaml', '--dry-run', '--json'])
    ok(r)
    const out = JSON.parse(r.stdout)
    assert.equal(out.dryRun, 'client')
    assert.deepEqual(out.objects.map((o: any) => o.kind), ['ServiceAccount', 'Deployment', 'Service'])
    assert.equal(out.documents[0].metadata.name, 'k8s')
    assert.match(out.warnings[0], /create-rbac k8s/)
  })

  it('warnings go to stderr, YAML to stdout', async () => {
    const r = await runCli(['mcp', 'deploy', '-f', 'examples/mcpserver-kubernetes.yaml', '--dry-run'])
    ok(r)
    assert.match(r.stderr, /Warning: MCPServer "k8s": runtime "kubernetes" needs Kubernetes permissions/)
    assert.deepEqual(yamlObjects(r.stdout).map((o) => o.kind), ['ServiceAccount', 'Deployment', 'Service'])
  })

  it('--output-dir writes one file per object and a kustomization.yaml, and no YAML on stdout', async () => {
    const out = join(dir, 'out')
    const r = await runCli(['mcp', 'deploy', '-f', EXAMPLE, '--output-dir', out])
    ok(r)
    assert.equal(r.stdout, '')
    const files = readdirSync(out).sort()
    assert.deepEqual(files, ['deployment-mcpserver-calc.yaml', 'kustomization.yaml', 'service-mcpserver-calc.yaml'])
    const k = parse(readFileSync(join(out, 'kustomization.yaml'), 'utf8'))
    assert.deepEqual(k.resources, ['deployment-mcpserver-calc.yaml', 'service-mcpserver-calc.yaml'])
    for (const f of k.resources) validateK8sObject(parse(readFileSync(join(out, f), 'utf8')))
    assert.match(r.stderr, /wrote 3 files to/)
  })

  it('--create-yaml saves a document that round-trips through -f', async () => {
    const saved = join(dir, 'calc.yaml')
    const tools = join(dir, 'tools.py')
    writeFileSync(tools, 'def add(a: int, b: int) -> int:\n    return a + b\n')
    const flags = ['--runtime', 'rawpython', '--params-file', tools, '--env', 'LOG_LEVEL=debug', '--secret-env', 'TOKEN=api/token', '--replicas', '2']
    const a = await runCli(['mcp', 'deploy', 'calc', ...flags, '--dry-run', '--create-yaml', saved])
    ok(a)
    assert.ok(existsSync(saved))
    const doc = parse(readFileSync(saved, 'utf8'))
    assert.equal(doc.kind, 'MCPServer')
    assert.equal(doc.spec.params, 'def add(a: int, b: int) -> int:\n    return a + b\n')
    const b = await runCli(['mcp', 'deploy', '-f', saved, '--dry-run'])
    ok(b)
    assert.equal(b.stdout, a.stdout, 'the same objects from flags and from the saved file')
  })

  it('-f - reads documents from stdin', async () => {
    const r = await runCli(['mcp', 'deploy', '-f', '-', '--dry-run'], {input: readFileSync(join(ROOT, EXAMPLE), 'utf8')})
    ok(r)
    assert.equal(yamlObjects(r.stdout).length, 2)
  })

  it('a --registry file overriding rawpython changes the rendered image', async () => {
    const reg = join(dir, 'team-runtimes.yaml')
    writeFileSync(reg, 'runtimes:\n  rawpython:\n    type: python\n    image: registry.example.com/team/rawpython:2.0.0\n    paramsEnvVar: MCP_TOOLS_STRING\n')
    const r = await runCli(['mcp', 'deploy', '-f', EXAMPLE, '--dry-run', '--registry', reg])
    ok(r)
    const d = yamlObjects(r.stdout)[0]
    assert.equal(d.spec.template.spec.containers[0].image, 'registry.example.com/team/rawpython:2.0.0')
  })
})

describeConcurrent('the other deploy commands, from flags', skip, 4, (it) => {
  it('kaos agent deploy NAME with MCP servers and a peer', async () => {
    const r = await runCli(['agent', 'deploy', 'helper', '--model-api', 'llm', '--model', 'gpt-4o', '--mcp-server', 'calc', '--mcp-server', 'k8s', '--peer', 'researcher', '--dry-run'])
    ok(r)
    const [d] = yamlObjects(r.stdout)
    const env = Object.fromEntries(d.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]))
    assert.equal(env.MCP_SERVERS, 'calc,k8s')
    assert.equal(env.PEER_AGENTS, 'researcher')
  })
  it('kaos modelapi deploy NAME --mode Hosted', async () => {
    const r = await runCli(['modelapi', 'deploy', 'local', '--mode', 'Hosted', '--model', 'smollm2:135m', '--dry-run'])
    ok(r)
    const objects = yamlObjects(r.stdout)
    assert.deepEqual(objects.map((o) => o.kind), ['Deployment', 'Service'])
    assert.equal(objects[0].spec.template.spec.initContainers[0].name, 'pull-model')
  })
})

describeConcurrent('every example renders and validates', skip, 8, (it) => {
  const topic: Record<string, string> = {MCPServer: 'mcp', Agent: 'agent', ModelAPI: 'modelapi'}
  const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).sort()
  it('has the examples the docs promise', () => {
    for (const e of ['mcpserver-rawpython.yaml', 'mcpserver-kubernetes.yaml', 'mcpserver-slack.yaml', 'modelapi-proxy.yaml', 'modelapi-hosted.yaml', 'agent-team.yaml'])
      assert.ok(examples.includes(e), `examples/${e} is missing`)
  })
  for (const e of examples) {
    it(e, async () => {
      const kind = /^kind:\s*(\w+)/m.exec(readFileSync(join(ROOT, 'examples', e), 'utf8'))![1]
      const r = await runCli([topic[kind], 'deploy', '-f', `examples/${e}`, '--dry-run', '-o', 'json'])
      ok(r)
      const {items} = JSON.parse(r.stdout)
      assert.ok(items.length >= 2)
      for (const o of items) validateK8sObject(o)
    })
  }
})

describeConcurrent('kaos system runtimes', skip, 4, (it) => {
  it('--json lists the built-ins, from builtin', async () => {
    const r = await runCli(['system', 'runtimes', '--json'])
    ok(r)
    const {runtimes} = JSON.parse(r.stdout)
    assert.deepEqual(runtimes.map((x: any) => x.name).sort(), ['chroma', 'custom', 'discord', 'fetch', 'filesystem', 'gateway', 'github', 'google-cloud', 'kubernetes', 'memory', 'rawpython', 'slack'])
    for (const x of runtimes) {
      assert.equal(x.origin, 'builtin')
      assert.deepEqual(x.shadows, [])
    }
  })
  it('a --registry file shadows the built-in rawpython: SOURCE file:…, SHADOWS builtin', async () => {
    const reg = join(dir, 'override.yaml')
    writeFileSync(reg, 'runtimes:\n  rawpython:\n    type: python\n    image: team/rawpython:2\n    description: Team build\n')
    const table = await runCli(['system', 'runtimes', '--registry', reg, '-o', 'wide'])
    ok(table)
    // Read cells by the header's column positions, whatever columns the table has.
    const [header, ...rows] = table.stdout.trimEnd().split('\n')
    const cols = [...header.matchAll(/\S+/g)].map((m) => ({name: m[0], at: m.index!}))
    const cell = (row: string, name: string) => {
      const i = cols.findIndex((c) => c.name === name)
      assert.ok(i >= 0, `no ${name} column in ${header}`)
      return row.slice(cols[i].at, cols[i + 1]?.at ?? row.length).trim()
    }
    const row = (name: string) => rows.find((l) => l.startsWith(`${name} `))!
    assert.equal(cell(row('rawpython'), 'SOURCE'), `file:${reg}`)
    assert.equal(cell(row('rawpython'), 'SHADOWS'), 'builtin')
    assert.equal(cell(row('rawpython'), 'IMAGE'), 'team/rawpython:2')
    assert.equal(cell(row('rawpython'), 'DESCRIPTION'), 'Team build')
    assert.equal(cell(row('slack'), 'SOURCE'), 'builtin')
    const json = JSON.parse((await runCli(['system', 'runtimes', '--registry', reg, '--json'])).stdout)
    const raw = json.runtimes.find((x: any) => x.name === 'rawpython')
    assert.equal(raw.origin, `file:${reg}`)
    assert.deepEqual(raw.shadows, ['builtin'])
  })
})

describeConcurrent('serving flags: --expose, --network-policy, --replicas', skip, 6, (it) => {
  const calc = ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', 'def add(a: int, b: int) -> int:\n    return a + b\n', '--dry-run', '-n', 'tools']
  const kinds = (stdout: string) => yamlObjects(stdout).map((o) => `${o.kind}/${o.metadata.name}`)

  it('--expose ingress --host --tls-secret: an Ingress, the token Secret to create, and MCP_AUTH_TOKEN from it', async () => {
    const r = await runCli([...calc, '--expose', 'ingress', '--host', 'calc.example.com', '--tls-secret', 'calc-tls'])
    ok(r)
    assert.ok(kinds(r.stdout).includes('Ingress/mcpserver-calc'))
    // Offline: no token is minted; the warning says how to create the Secret.
    assert.match(r.stderr, /no Secret mcpserver-calc-auth rendered/)
    const dep = yamlObjects(r.stdout).find((o) => o.kind === 'Deployment')
    assert.deepEqual(dep.spec.template.spec.containers[0].env.find((e: any) => e.name === 'MCP_AUTH_TOKEN').valueFrom, {secretKeyRef: {name: 'mcpserver-calc-auth', key: 'token'}})
  })

  it('--expose httproute --gateway NAME/NAMESPACE; --no-auth warns', async () => {
    const r = await runCli([...calc, '--expose', 'httproute', '--host', 'calc.example.com', '--gateway', 'public/gateways', '--no-auth'])
    ok(r)
    const route = yamlObjects(r.stdout).find((o) => o.kind === 'HTTPRoute')
    assert.deepEqual(route.spec.parentRefs, [{group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateways'}])
    assert.match(r.stderr, /exposed at calc\.example\.com without a bearer token \(--no-auth\)/)
  })

  it('bad combinations are exit 2 with one line', async () => {
    for (const [args, re] of [
      [['--host', 'calc.example.com'], /--host goes with --expose ingress\|httproute/],
      [['--expose', 'ingress'], /--expose ingress needs --host/],
      [['--expose', 'httproute', '--host', 'c.example.com', '--gateway', 'a/b/c'], /--gateway "a\/b\/c" must be NAME or NAME\/NAMESPACE/],
      [['--expose', 'httproute', '--host', 'c.example.com'], /needs spec\.expose\.gateway/],
    ] as Array<[string[], RegExp]>) {
      const r = await runCli([...calc, ...args])
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.error ?? '', re)
    }
    const k8s = await runCli(['mcp', 'deploy', 'k8s', '--runtime', 'kubernetes', '--sa', 'r', '--expose', 'ingress', '--host', 'k.example.com', '--dry-run'])
    assert.equal(k8s.code, 2)
    assert.match(k8s.error ?? '', /runtime "kubernetes" cannot check a bearer token itself/)
  })

  it('--network-policy renders a NetworkPolicy (before the Deployment); with -f it belongs in the document', async () => {
    const r = await runCli([...calc, '--network-policy'])
    ok(r)
    assert.deepEqual(kinds(r.stdout), ['NetworkPolicy/mcpserver-calc', 'Deployment/mcpserver-calc', 'Service/mcpserver-calc'])
    const f = await runCli(['mcp', 'deploy', '-f', EXAMPLE, '--network-policy', '--dry-run'])
    assert.equal(f.code, 2)
    assert.match(f.error ?? '', /--network-policy cannot be combined with -f/)
  })

  it('--replicas 3: a PodDisruptionBudget; agents take --expose and --network-policy too', async () => {
    const r = await runCli([...calc, '--replicas', '3'])
    ok(r)
    assert.ok(kinds(r.stdout).includes('PodDisruptionBudget/mcpserver-calc'))
    const a = await runCli(['agent', 'deploy', 'helper', '--model-api', 'llm', '--model', 'gpt-4o', '--mcp-server', 'calc', '--network-policy', '--expose', 'ingress', '--host', 'helper.example.com', '--no-auth', '--dry-run'])
    ok(a)
    assert.deepEqual(kinds(a.stdout), ['NetworkPolicy/agent-helper', 'Deployment/agent-helper', 'Service/agent-helper', 'Ingress/agent-helper'])
  })
})
