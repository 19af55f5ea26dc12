import assert from 'node:assert/strict'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'yaml'

import {
  RuntimeSchema,
  builtinRegistry,
  builtinRegistryPath,
  loadRegistry,
  loadRegistryFile,
  mergeRegistry,
  parseRegistry,
  parseRegistryYaml,
  registryToYamlDoc,
  userRegistryPath,
} from '../../src/lib/registry.js'
import {kaosVersion} from '../../src/lib/version.js'
import {invalidInput} from '../helpers/assert.js'


describe('built-in registry', () => {
  const b = builtinRegistry()
  it('has its runtimes with pinned images; rawpython and the stdio ones are kaos\'s own, tagged with kaos\'s version', () => {
    assert.deepEqual(Object.keys(b.runtimes), ['rawpython', 'kubernetes', 'slack', 'fetch', 'memory', 'filesystem', 'github', 'discord', 'chroma', 'google-cloud', 'gateway', 'custom'])
    const merged = mergeRegistry([b])
    for (const [name, r] of merged.runtimes) {
      if (name === 'custom') assert.equal(r.imageFrom, 'container')
      else assert.match(r.image!, /:[^:/]+$/, `${name} image has a tag`)
      if (r.image) assert.doesNotMatch(r.image, /:latest$/, `${name} image is pinned`)
    }
    assert.equal(b.runtimes.rawpython.kaosImage, 'rawpython')
    assert.equal(merged.runtimes.get('rawpython')!.image, `kaos.local/kaos-rawpython:${kaosVersion()}`)
  })
  it('an image registry from any later source renames kaos\'s own images, and stays symbolic when written back', () => {
    const reg = mergeRegistry([b, parseRegistry({defaults: {imageRegistry: 'ghcr.io/acme'}}, 'file:x')])
    assert.equal(reg.runtimes.get('rawpython')!.image, `ghcr.io/acme/kaos-rawpython:${kaosVersion()}`)
    const doc = registryToYamlDoc(reg)
    assert.equal(doc.runtimes.rawpython.image, undefined)
    assert.equal(doc.runtimes.rawpython.kaosImage, 'rawpython')
    assert.equal(doc.defaults.imageRegistry, 'ghcr.io/acme')
    invalidInput(() => parseRegistry({defaults: {imageRegistry: 'Not A Registry'}}, 'file:y'), /imageRegistry.*must be a registry host/)
  })
  it('matches KAOS conventions: rawpython params, slack args + auth + requiredEnv, kubernetes SA', () => {
    assert.equal(b.runtimes.rawpython.paramsEnvVar, 'MCP_TOOLS_STRING')
    assert.equal(b.runtimes.slack.command, undefined, 'slack flags go in args, not command')
    assert.deepEqual(b.runtimes.slack.args, ['--transport', 'http', '--port', '8000'])
    assert.deepEqual(b.runtimes.slack.requiredEnv, ['SLACK_BOT_TOKEN', 'SLACK_TEAM_ID'])
    assert.deepEqual(b.runtimes.slack.auth, {type: 'bearer', tokenEnv: 'AUTH_TOKEN', when: 'always'})
    assert.equal(b.runtimes.kubernetes.serviceAccount, 'required')
    for (const r of Object.values(b.runtimes)) assert.equal(r.port, 8000)
  })
  it('has agent and model API image defaults', () => {
    assert.match(b.defaults!.agent!.image!, /^axsauze\/kaos-agent:/)
    assert.match(b.defaults!.modelAPI!.proxy!.image!, /^ghcr\.io\/berriai\/litellm:/)
    assert.equal(b.defaults!.modelAPI!.hosted!.port, 11434)
  })
  it('is the same file format as a registry file (round-trips through the schema)', () => {
    const again = parseRegistry(parse(JSON.stringify(registryToYamlDoc(mergeRegistry([b])))), 'again')
    assert.deepEqual(again.runtimes, b.runtimes)
    assert.ok(builtinRegistryPath().endsWith(join('registry', 'runtimes.yaml')))
  })
})

describe('parseRegistry', () => {
  it('applies defaults and normalises streamable-http to http', () => {
    const r = parseRegistry({runtimes: {x: {type: 'python', image: 'i:1', transport: 'streamable-http', command: ['serve']}}}, 'file:/r.yaml')
    assert.equal(r.runtimes.x.transport, 'http')
    assert.deepEqual(r.runtimes.x.command, ['serve'])
    assert.equal(r.runtimes.x.port, 8000)
    assert.equal(r.runtimes.x.path, '/mcp')
    assert.deepEqual(r.runtimes.x.requiredEnv, [])
  })
  it('an empty file is an empty source', () => {
    assert.deepEqual(parseRegistryYaml('', 'file:/e.yaml'), {origin: 'file:/e.yaml', runtimes: {}})
  })
  it('errors name the file, the runtime and the field', () => {
    invalidInput(() => parseRegistry({runtimes: {x: {type: 'python', image: 'i', imagee: 'j'}}}, 'file:/r.yaml'), /^registry file:\/r\.yaml: runtime "x": unknown field imagee; did you mean image\?$/)
    invalidInput(() => parseRegistry({runtimes: {x: {type: 'python', image: 'i', port: 'eighty'}}}, 'file:/r.yaml'), /^registry file:\/r\.yaml: runtime "x": port "eighty" must be a number$/)
    invalidInput(() => parseRegistry({runtimes: {x: {type: 'python'}}}, 'file:/r.yaml'), /^registry file:\/r\.yaml: runtime "x": image is required/)
    invalidInput(() => parseRegistry({runtimes: {x: {image: 'i'}}}, 'file:/r.yaml'), /runtime "x": type is required$/)
    invalidInput(() => parseRegistry({runtimes: {x: {type: 'rust', image: 'i'}}}, 'file:/r.yaml'), /runtime "x": type "rust" must be python, nodejs or go$/)
    invalidInput(() => parseRegistry({runtimes: {Bad_Name: {type: 'python', image: 'i'}}}, 'file:/r.yaml'), /runtime "Bad_Name": name must be lowercase/)
    // A string command would be one argv entry with spaces, which no runtime can exec.
    invalidInput(() => parseRegistry({runtimes: {x: {type: 'python', image: 'i:1', command: 'python -m server'}}}, 'o'), /^registry o: runtime "x": command "python -m server" must be a list of strings/)
    invalidInput(() => parseRegistry({runtimes: {x: {type: 'python', image: 'i:1', args: '--port 8000'}}}, 'o'), /runtime "x": args "--port 8000" must be a list of strings/)
    invalidInput(() => parseRegistry({runtimes: {x: {type: 'python', image: 'team/fast server:1'}}}, 'o'), /^registry o: runtime "x": image "team\/fast server:1" contains white space$/)
    invalidInput(() => parseRegistry({runtimes: {x: {type: 'python', image: 'Team/Fast:1'}}}, 'o'), /image "Team\/Fast:1" has capital letters/)
    invalidInput(() => parseRegistry({defaults: {agent: {image: 'a\nb'}}}, 'o'), /^registry o: defaults\.agent\.image "a\\nb" contains white space$/)
    invalidInput(() => parseRegistry({runtimes: {x: {type: 'python', image: 'i:1', paramsRequired: true}}}, 'o'), /runtime "x": paramsRequired needs paramsEnvVar/)
    invalidInput(() => parseRegistry({runtime: {}}, 'file:/r.yaml'), /^registry file:\/r\.yaml: unknown field runtime; did you mean runtimes\?/)
    invalidInput(() => parseRegistry({runtimes: {x: {type: 'python', image: 'i', requiredEnv: ['1X']}}}, 'o'), /requiredEnv\[0\] "1X" must be a valid environment variable name/)
    invalidInput(() => parseRegistryYaml('runtimes: [', 'file:/y.yaml'), /^registry file:\/y\.yaml: not valid YAML/)
  })
  it('RuntimeSchema validates a minimal runtime', () => {
    assert.equal(RuntimeSchema.safeParse({type: 'go', image: 'x'}).success, true)
  })
})

describe('mergeRegistry', () => {
  const src = (origin: string, runtimes: Record<string, unknown>, defaults?: unknown) => ({...parseRegistry({runtimes, defaults}, origin)})
  it('later sources win per runtime and remember what they shadow', () => {
    const reg = mergeRegistry([
      builtinRegistry(),
      src('file:/a.yaml', {rawpython: {type: 'python', image: 'a:1'}, extra: {type: 'go', image: 'e:1'}}),
      src('file:/b.yaml', {rawpython: {type: 'python', image: 'b:1'}}),
    ])
    const r = reg.runtimes.get('rawpython')!
    assert.equal(r.image, 'b:1')
    assert.equal(r.origin, 'file:/b.yaml')
    assert.deepEqual(r.shadows, ['builtin', 'file:/a.yaml'])
    assert.equal(reg.runtimes.get('extra')!.origin, 'file:/a.yaml')
    assert.deepEqual(reg.runtimes.get('slack')!.shadows, [])
  })
  it('merges defaults field by field', () => {
    const reg = mergeRegistry([builtinRegistry(), src('o', {}, {agent: {image: 'my/agent:1'}})])
    assert.equal(reg.defaults.agent.image, 'my/agent:1')
    assert.equal(reg.defaults.agent.port, 8000)
    assert.match(reg.defaults.modelAPI.proxy.image, /litellm/)
  })
  it('does not let a merge change the built-in source', () => {
    const before = structuredClone(builtinRegistry())
    mergeRegistry([builtinRegistry(), src('o', {}, {agent: {image: 'x:1'}, modelAPI: {hosted: {port: 1}}})])
    assert.deepEqual(builtinRegistry(), before)
  })
})

describe('registry files', () => {
  const dir = join(tmpdir(), `kaos-registry-test-${process.pid}`)
  mkdirSync(join(dir, 'kaos'), {recursive: true})
  const file = join(dir, 'team.yaml')
  writeFileSync(file, 'runtimes:\n  rawpython:\n    type: python\n    image: team/rawpython:2\n    paramsEnvVar: MCP_TOOLS_STRING\n')

  it('a missing file is an error naming it', () => {
    invalidInput(() => loadRegistryFile(join(dir, 'nope.yaml')), /^--registry .*nope\.yaml does not exist$/)
  })
  it('loadRegistry: builtin < $KAOS_REGISTRY < --registry files', () => {
    const user = join(dir, 'user.yaml')
    writeFileSync(user, 'runtimes:\n  mine:\n    type: go\n    image: me/mine:1\n')
    const reg = loadRegistry({files: [file], env: {KAOS_REGISTRY: user}})
    assert.equal(reg.runtimes.get('rawpython')!.origin, `file:${file}`)
    assert.equal(reg.runtimes.get('mine')!.origin, `file:${user}`)
    assert.equal(reg.runtimes.get('slack')!.origin, 'builtin')
  })
  it('userRegistryPath: $KAOS_REGISTRY, else $XDG_CONFIG_HOME/kaos/runtimes.yaml only when it exists', () => {
    assert.equal(userRegistryPath({KAOS_REGISTRY: '/x.yaml'}), '/x.yaml')
    assert.equal(userRegistryPath({XDG_CONFIG_HOME: dir}), undefined)
    writeFileSync(join(dir, 'kaos', 'runtimes.yaml'), 'runtimes: {}\n')
    assert.equal(userRegistryPath({XDG_CONFIG_HOME: dir}), join(dir, 'kaos', 'runtimes.yaml'))
    rmSync(dir, {recursive: true, force: true})
  })
})
