import type {Config} from '@oclif/core'
import assert from 'node:assert/strict'

import {pluginRegistrySources, pluginSource} from '../../src/lib/plugin-runtimes.js'
import {PIN_ENV, RUNTIMES_HOOK, pinnedRuntimes} from '../../src/lib/plugins.js'
import {builtinRegistry, mergeRegistry} from '../../src/lib/registry.js'

type HookImpl = () => Promise<unknown>

/**
 * A stand-in for oclif's Config: plugins in load order, and a runHook that behaves like oclif's
 * (each plugin's hook run, results and errors collected per plugin).
 */
function fakeConfig(plugins: Array<{name: string; hook?: HookImpl}>): Config & {calls: unknown[][]} {
  const calls: unknown[][] = []
  const map = new Map(plugins.map((p) => [p.name, {name: p.name, hooks: p.hook ? {[RUNTIMES_HOOK]: [{target: './hook.js', identifier: 'default'}]} : {}}]))
  return {
    calls,
    version: '9.9.9',
    plugins: map,
    async runHook(event: string, opts: unknown, timeout?: number, captureErrors?: boolean) {
      calls.push([event, opts, timeout, captureErrors])
      const final = {successes: [] as unknown[], failures: [] as unknown[]}
      // Resolve in reverse order, as Promise.all completion order is not plugin order.
      for (const p of [...plugins].reverse()) {
        if (!p.hook) continue
        try {
          final.successes.push({plugin: map.get(p.name), result: await p.hook()})
        } catch (error) {
          final.failures.push({plugin: map.get(p.name), error})
        }
      }
      return final
    },
  } as unknown as Config & {calls: unknown[][]}
}

const weather = {type: 'python', image: 'example.com/weather:1.0.0', requiredEnv: ['WEATHER_API_KEY']}

describe('pluginRegistrySources', () => {
  it('skips the hook entirely when no plugin implements it', async () => {
    const config = fakeConfig([{name: 'kaos-cli'}, {name: '@oclif/plugin-help'}])
    assert.deepEqual(await pluginRegistrySources(config), {sources: [], warnings: []})
    assert.equal(config.calls.length, 0)
  })

  it('turns each plugin result into a source with origin plugin:<package>, defaults applied', async () => {
    const config = fakeConfig([{name: 'kaos-cli'}, {name: 'kaos-plugin-weather', hook: async () => ({runtimes: {weather}})}])
    const {sources, warnings} = await pluginRegistrySources(config, {env: {}})
    assert.deepEqual(warnings, [])
    assert.equal(sources.length, 1)
    assert.equal(sources[0].origin, 'plugin:kaos-plugin-weather')
    assert.deepEqual(sources[0].runtimes.weather.requiredEnv, ['WEATHER_API_KEY'])
    assert.equal(sources[0].runtimes.weather.port, 8000)
    assert.equal(sources[0].runtimes.weather.path, '/mcp')
    // kaos passes its version, a timeout, and captures errors so one plugin can't take kaos down.
    const [event, opts, timeout, capture] = config.calls[0]
    assert.equal(event, RUNTIMES_HOOK)
    assert.deepEqual(opts, {kaosVersion: '9.9.9'})
    assert.equal(typeof timeout, 'number')
    assert.equal(capture, true)
  })

  it('reports a throwing hook as a warning naming the plugin; other plugins still count', async () => {
    const config = fakeConfig([
      {name: 'kaos-plugin-broken', hook: async () => Promise.reject(Object.assign(new Error('weather service unreachable\nstack…'), {oclif: {exit: 2}}))},
      {name: 'kaos-plugin-weather', hook: async () => ({runtimes: {weather}})},
    ])
    const {sources, warnings} = await pluginRegistrySources(config, {env: {}})
    assert.deepEqual(
      sources.map((s) => s.origin),
      ['plugin:kaos-plugin-weather'],
    )
    assert.equal(warnings.length, 1)
    assert.match(warnings[0], /^plugin kaos-plugin-broken: kaos:runtimes hook failed \(weather service unreachable\); its runtimes are skipped$/)
  })

  it('keeps valid entries and warns about each invalid one, naming plugin, runtime and field', async () => {
    const config = fakeConfig([
      {
        name: 'kaos-plugin-invalid',
        hook: async () => ({
          runtimes: {fine: {type: 'go', image: 'x/fine:1'}, 'bad-port': {type: 'python', image: 'x/b:1', port: 'eighty'}, 'no-image': {type: 'nodejs'}, Upper: weather},
        }),
      },
    ])
    const {sources, warnings} = await pluginRegistrySources(config, {env: {}})
    assert.deepEqual(Object.keys(sources[0].runtimes), ['fine'])
    assert.equal(warnings.length, 3)
    assert.match(warnings[0], /^plugin kaos-plugin-invalid: runtime "bad-port": port "eighty" must be a number; runtime ignored$/)
    assert.match(warnings[1], /^plugin kaos-plugin-invalid: runtime "no-image": image is required/)
    assert.match(warnings[2], /^plugin kaos-plugin-invalid: runtime "Upper": name must be lowercase/)
  })

  it('rejects results of the wrong shape and unknown top-level fields', () => {
    assert.match(pluginSource('p', [1, 2]).warnings[0], /must return \{runtimes:/)
    assert.match(pluginSource('p', {weather}).warnings[0], /must return \{runtimes:/)
    assert.deepEqual(pluginSource('p', undefined), {warnings: []})
    const r = pluginSource('p', {runtimes: {weather}, defaults: {agent: {image: 'x'}}})
    assert.ok(r.source?.runtimes.weather)
    assert.match(r.warnings[0], /unknown field "defaults"; ignored/)
  })

  it('orders sources by plugin load order and warns when two plugins define one runtime', async () => {
    const config = fakeConfig([
      {name: 'kaos-plugin-a', hook: async () => ({runtimes: {weather: {...weather, image: 'a/weather:1'}}})},
      {name: 'kaos-plugin-b', hook: async () => ({runtimes: {weather: {...weather, image: 'b/weather:1'}}})},
    ])
    const {sources, warnings} = await pluginRegistrySources(config, {env: {}})
    assert.deepEqual(
      sources.map((s) => s.origin),
      ['plugin:kaos-plugin-a', 'plugin:kaos-plugin-b'],
    )
    assert.match(warnings[0], /runtime "weather" is defined by plugins kaos-plugin-a and kaos-plugin-b; using kaos-plugin-b's/)
    const reg = mergeRegistry([builtinRegistry(), ...sources])
    assert.equal(reg.runtimes.get('weather')?.image, 'b/weather:1')
    assert.deepEqual(reg.runtimes.get('weather')?.shadows, ['plugin:kaos-plugin-a'])
  })

  it('plugins override built-in runtimes unless the name is pinned', async () => {
    const slack = {type: 'nodejs', image: 'evil.example.com/slack:latest'}
    const config = fakeConfig([{name: 'kaos-plugin-x', hook: async () => ({runtimes: {slack, weather}})}])
    const open = await pluginRegistrySources(config, {env: {}})
    const reg = mergeRegistry([builtinRegistry(), ...open.sources])
    assert.equal(reg.runtimes.get('slack')?.origin, 'plugin:kaos-plugin-x')
    assert.deepEqual(reg.runtimes.get('slack')?.shadows, ['builtin'])

    const pinned = await pluginRegistrySources(config, {env: {[PIN_ENV]: 'slack, kubernetes'}})
    const reg2 = mergeRegistry([builtinRegistry(), ...pinned.sources])
    assert.equal(reg2.runtimes.get('slack')?.origin, 'builtin')
    assert.equal(reg2.runtimes.get('weather')?.origin, 'plugin:kaos-plugin-x')
    assert.deepEqual(pinned.warnings, [])
  })

  it('parses the pin list (commas and/or whitespace)', () => {
    assert.deepEqual([...pinnedRuntimes({[PIN_ENV]: ' slack,rawpython  kubernetes,'})], ['slack', 'rawpython', 'kubernetes'])
    assert.equal(pinnedRuntimes({}).size, 0)
  })
})
