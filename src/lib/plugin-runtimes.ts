// Running the `kaos:runtimes` hook and validating what plugins return. Separate from plugins.ts
// (constants, types, the install hook) because it needs the registry schema, which is loaded
// only by commands that build a registry.
import type {Config} from '@oclif/core'

import {KaosError} from './errors.js'
import {DEFAULT_HOOK_TIMEOUT_MS, HOOK_TIMEOUT_ENV, PIN_ENV, RUNTIMES_HOOK, linkKaosForPlugins, pinnedRuntimes} from './plugins.js'
import {type RegistrySource, parseRegistry} from './registry.js'

function hookTimeout(env: NodeJS.ProcessEnv): number {
  const n = Number(env[HOOK_TIMEOUT_ENV])
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_HOOK_TIMEOUT_MS
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  return msg.split('\n')[0] || (err instanceof Error ? err.name : 'error')
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * Validate what one plugin's hook returned. Each runtime is checked on its own, so one bad entry
 * costs only that entry; problems come back as warnings naming the plugin.
 */
export function pluginSource(pluginName: string, result: unknown, pinned: Set<string> = new Set()): {source?: RegistrySource; warnings: string[]} {
  const origin = `plugin:${pluginName}`
  const warnings: string[] = []
  if (result === undefined || result === null) return {warnings}
  if (!isPlainObject(result) || !isPlainObject(result.runtimes)) {
    return {warnings: [`plugin ${pluginName}: its ${RUNTIMES_HOOK} hook must return {runtimes: {<name>: {...}}}; ignored`]}
  }
  const extra = Object.keys(result).filter((k) => k !== 'runtimes')
  if (extra.length > 0) warnings.push(`plugin ${pluginName}: ${RUNTIMES_HOOK} hook returned unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')}; ignored`)
  const runtimes: RegistrySource['runtimes'] = {}
  for (const [name, raw] of Object.entries(result.runtimes)) {
    if (pinned.has(name)) continue
    try {
      Object.assign(runtimes, parseRegistry({runtimes: {[name]: raw}}, origin).runtimes)
    } catch (error) {
      const msg = firstLine(error).replace(`registry ${origin}: `, '')
      warnings.push(`plugin ${pluginName}: ${msg}; runtime ignored`)
    }
  }
  return {source: Object.keys(runtimes).length > 0 ? {origin, runtimes} : undefined, warnings}
}

/**
 * Registry sources contributed by installed plugins through the `kaos:runtimes` hook, validated
 * like registry files; failures become warnings naming the plugin.
 *
 * Sources come back in oclif's plugin order (core, then user-installed, then linked), one per
 * plugin, so when two plugins define the same runtime the later one wins and a warning says so.
 * Names in `$KAOS_PIN_RUNTIMES` are never taken from a plugin.
 */
export async function pluginRegistrySources(
  config: Config,
  opts: {env?: NodeJS.ProcessEnv} = {},
): Promise<{sources: RegistrySource[]; warnings: string[]}> {
  const env = opts.env ?? process.env
  const order = [...config.plugins.values()]
  // Fast path: nothing implements the hook, so don't pay for oclif's hook machinery.
  if (!order.some((p) => (p.hooks?.[RUNTIMES_HOOK]?.length ?? 0) > 0)) return {sources: [], warnings: []}
  if (order.some((p) => p.type === 'user')) linkKaosForPlugins(config)

  // captureErrors: a hook calling this.error() must not take kaos down with it.
  const result = await config.runHook(RUNTIMES_HOOK, {kaosVersion: config.version}, hookTimeout(env), true)
  const rank = (name: string) => order.findIndex((p) => p.name === name)
  const warnings: string[] = []
  for (const f of [...result.failures].sort((a, b) => rank(a.plugin.name) - rank(b.plugin.name))) {
    const err = f.error as Error & {code?: string}
    const why = err instanceof KaosError || !err?.code ? firstLine(err) : `${err.code}: ${firstLine(err)}`
    warnings.push(`plugin ${f.plugin.name}: ${RUNTIMES_HOOK} hook failed (${why}); its runtimes are skipped`)
  }

  const pinned = pinnedRuntimes(env)
  const sources: RegistrySource[] = []
  const owner = new Map<string, string>()
  for (const s of [...result.successes].sort((a, b) => rank(a.plugin.name) - rank(b.plugin.name))) {
    const {source, warnings: w} = pluginSource(s.plugin.name, s.result, pinned)
    warnings.push(...w)
    if (!source) continue
    for (const name of Object.keys(source.runtimes)) {
      const prev = owner.get(name)
      if (prev) warnings.push(`runtime "${name}" is defined by plugins ${prev} and ${s.plugin.name}; using ${s.plugin.name}'s (uninstall one of them, or pin the name with ${PIN_ENV} to keep plugins off it)`)
      owner.set(name, s.plugin.name)
    }
    sources.push(source)
  }
  return {sources, warnings}
}
