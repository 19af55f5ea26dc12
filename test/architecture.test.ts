// The layering, enforced (as kubernetes-fluent-client's verify-architecture test does) rather than
// remembered: who may import whom, and which single modules talk to the Kubernetes API and to the
// Docker engine. The README's "Where things are" describes the same rules.
import assert from 'node:assert/strict'
import {readFileSync, readdirSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'

import {ROOT} from './helpers/cli.js'

const SRC = join(ROOT, 'src')

function walk(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))
}

interface Import {
  spec: string
  /** Repository-relative path of a relative import's target (`src/lib/x.ts`). */
  target?: string
  dynamic: boolean
  typeOnly: boolean
}

const files = walk(SRC).map((f) => relative(ROOT, f))
const source = new Map(files.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]))

function importsOf(file: string): Import[] {
  const text = source.get(file)!
  const out: Import[] = []
  const add = (spec: string, dynamic: boolean, typeOnly: boolean) => {
    const target = spec.startsWith('.') ? relative(ROOT, resolve(dirname(join(ROOT, file)), spec.replace(/\.js$/, '.ts'))) : undefined
    out.push({spec, target, dynamic, typeOnly})
  }
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) add(m[2], false, Boolean(m[1]))
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) add(m[1], true, false)
  return out
}

const graph = new Map(files.map((f) => [f, importsOf(f)]))

function violations(from: (f: string) => boolean, bad: (i: Import) => boolean): string[] {
  const out: string[] = []
  for (const [f, imports] of graph) if (from(f)) for (const i of imports) if (bad(i)) out.push(`${f} imports ${i.spec}`)
  return out
}

const under = (dir: string) => (f: string | undefined) => f !== undefined && f.startsWith(`src/${dir}/`)

describe('architecture', () => {
  it('reads the imports of every source file (the check is real)', () => {
    assert.ok(files.length > 60, `${files.length} files`)
    assert.ok(graph.get('src/lib/deploy.ts')!.some((i) => i.target === 'src/lib/cluster/apply.ts'))
    assert.ok(graph.get('src/commands/mcp/invoke.ts')!.some((i) => i.dynamic && i.target === 'src/lib/mcp/session.ts'))
  })

  it('rendering is pure: no cluster, engine, MCP, CLI or I/O', () => {
    const forbidden = (i: Import) =>
      (!i.typeOnly && ['cluster', 'image', 'mcp', 'invoke'].some((d) => under(`lib/${d}`)(i.target))) ||
      under('cli')(i.target) ||
      under('commands')(i.target) ||
      /^(node:)?(fs|http|https|net|child_process|dns)(\/|$)/.test(i.spec) ||
      /^(@kubernetes|@modelcontextprotocol|dockerode|@oclif)/.test(i.spec)
    assert.deepEqual(violations(under('lib/render'), forbidden), [])
  })

  it('lib/ never imports the CLI layer, nor oclif beyond its types (plugin hooks are typed by it)', () => {
    assert.deepEqual(
      violations(under('lib'), (i) => under('cli')(i.target) || under('commands')(i.target) || (i.spec.startsWith('@oclif/') && !i.typeOnly)),
      [],
    )
  })

  it('only lib/cluster talks to the Kubernetes API', () => {
    const outside = (f: string) => !under('lib/cluster')(f)
    assert.deepEqual(
      violations(outside, (i) => i.spec.startsWith('@kubernetes/') || (!i.typeOnly && i.target === 'src/lib/cluster/paths.ts')),
      [],
      'API paths and the Kubernetes client are lib/cluster\'s',
    )
    const calls: string[] = []
    for (const f of files.filter(outside)) {
      for (const m of source.get(f)!.matchAll(/\bcluster\s*\.\s*(request|open|get)\s*[<(]/g)) calls.push(`${f}: cluster.${m[1]}(…)`)
    }
    assert.deepEqual(calls, [], 'queries belong in a lib/cluster module named for what they do')
  })

  it('only lib/image/docker.ts talks to the Docker engine', () => {
    assert.deepEqual(violations((f) => f !== 'src/lib/image/docker.ts', (i) => i.spec === 'dockerode' || i.spec.startsWith('dockerode/')), [])
  })

  it('commands do not import each other', () => {
    assert.deepEqual(violations(under('commands'), (i) => under('commands')(i.target)), [])
  })

  it('no import cycles (static imports)', () => {
    const cycles: string[] = []
    const state = new Map<string, 'visiting' | 'done'>()
    const stack: string[] = []
    const visit = (f: string) => {
      state.set(f, 'visiting')
      stack.push(f)
      for (const i of graph.get(f) ?? []) {
        if (i.dynamic || i.typeOnly || !i.target || !graph.has(i.target)) continue
        if (state.get(i.target) === 'visiting') cycles.push([...stack.slice(stack.indexOf(i.target)), i.target].join(' -> '))
        else if (!state.has(i.target)) visit(i.target)
      }
      stack.pop()
      state.set(f, 'done')
    }
    for (const f of files) if (!state.has(f)) visit(f)
    assert.deepEqual(cycles, [])
  })

  it('the gateway (runtimes/gateway/src) stands alone: node, the MCP SDK, ajv and zod, nothing of the CLI; the CLI may use only its config format', () => {
    const dir = join(ROOT, 'runtimes', 'gateway', 'src')
    const gatewayFiles = walk(dir).map((f) => relative(ROOT, f))
    assert.ok(gatewayFiles.includes('runtimes/gateway/src/main.ts'), gatewayFiles.join(', '))
    const bad: string[] = []
    for (const f of gatewayFiles) {
      const text = readFileSync(join(ROOT, f), 'utf8')
      for (const m of text.matchAll(/^(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) {
        const spec = m[1]
        const inside = spec.startsWith('.') && resolve(dirname(join(ROOT, f)), spec).startsWith(dir)
        if (!inside && !/^(node:|@modelcontextprotocol\/sdk\/|ajv(\/|$)|ajv-formats$|zod$)/.test(spec)) bad.push(`${f} imports ${spec}`)
      }
    }
    assert.deepEqual(bad, [], 'the gateway image holds only its own bundle: no src/, no oclif')
    // kaos may check a rendered configuration with the gateway's own checks (config.ts is pure).
    assert.deepEqual(
      violations(() => true, (i) => (i.target?.startsWith('runtimes/') ?? false) && i.target !== 'runtimes/gateway/src/config.ts'),
      [],
      'the CLI carries no gateway code beyond its configuration format',
    )
  })

  it('start-up and the read path load no heavy library: zod, yaml, the MCP and A2A SDKs, dockerode, ajv', () => {
    // Every command class is bundled into the one entry chunk, so what any of them imports statically
    // is parsed and run on every call of every command (CI calls kaos hundreds of times); list, get,
    // logs, delete and wait run on the cluster layer and lib/workloads.ts alone (the registry's
    // ConfigMap is read only by commands that render, which need the schemas anyway).
    const heavy = /^(zod|yaml|dockerode|ajv|@modelcontextprotocol\/sdk|@a2a-js\/sdk)(\/|$)/
    const roots = files.filter((f) => f === 'src/index.ts' || f === 'src/lib/workloads.ts' || under('commands')(f) || (under('lib/cluster')(f) && f !== 'src/lib/cluster/registry-configmap.ts'))
    const seen = new Map<string, string>(roots.map((r) => [r, r]))
    const queue = [...roots]
    const bad: string[] = []
    while (queue.length > 0) {
      const f = queue.shift()!
      for (const i of graph.get(f) ?? []) {
        if (i.dynamic || i.typeOnly) continue
        if (heavy.test(i.spec)) bad.push(`${f} imports ${i.spec} (reached from ${seen.get(f)})`)
        if (i.target && graph.has(i.target) && !seen.has(i.target)) {
          seen.set(i.target, seen.get(f)!)
          queue.push(i.target)
        }
      }
    }
    assert.ok(seen.size > 20, `${seen.size} files reached`)
    assert.deepEqual(bad, [])
  })
})
