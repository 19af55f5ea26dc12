import type {Config, Hook} from '@oclif/core'
import {existsSync, lstatSync, mkdirSync, realpathSync, rmSync, symlinkSync} from 'node:fs'
import {join} from 'node:path'
import type {z} from 'zod'

import {KaosError} from './errors.js'
import {type RegistrySource, type RuntimeSchema, parseRegistry} from './registry.js'

/** Name of the oclif hook through which plugins contribute runtimes. */
export const RUNTIMES_HOOK = 'kaos:runtimes'

/** Environment variable listing runtime names that plugins may not define or replace. */
export const PIN_ENV = 'KAOS_PIN_RUNTIMES'

/** Environment variable overriding how long kaos waits for each plugin's hook (ms). */
export const HOOK_TIMEOUT_ENV = 'KAOS_PLUGIN_HOOK_TIMEOUT'
const DEFAULT_HOOK_TIMEOUT_MS = 10_000

/**
 * One runtime as a plugin writes it: the registry format of `registry/runtimes.yaml`'s `runtimes:`
 * map, before defaults are applied (so `port`, `path`, `transport`… may be left out).
 */
export type RuntimeInput = z.input<typeof RuntimeSchema>

/** What kaos passes to a `kaos:runtimes` hook (besides oclif's `config` and `context`). */
export interface RuntimesHookOptions {
  /** Version of the running kaos, e.g. `0.1.0`, so a plugin can adapt to older releases. */
  kaosVersion: string
}

/** What a `kaos:runtimes` hook returns. Returning nothing means "no runtimes". */
export interface RuntimesHookResult {
  /** Runtime name (lowercase letters, digits, `-`) → entry in the registry format. */
  runtimes: Record<string, RuntimeInput>
}

declare module '@oclif/core/hooks' {
  interface Hooks {
    'kaos:runtimes': {
      options: RuntimesHookOptions
      return: RuntimesHookResult | undefined | void
    }
  }
}

/**
 * The type of a plugin's `kaos:runtimes` hook, for plugin authors:
 *
 * ```ts
 * import type {RuntimesHook} from 'kaos-cli'
 * const hook: RuntimesHook = async () => ({runtimes: {weather: {type: 'python', image: '…'}}})
 * export default hook
 * ```
 */
export type RuntimesHook = Hook<'kaos:runtimes'>

/** Runtime names pinned by the user: plugins cannot define or replace them (see docs/plugins.md). */
export function pinnedRuntimes(env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set((env[PIN_ENV] ?? '').split(/[\s,]+/).filter(Boolean))
}

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
 * Make `import … from 'kaos-cli'` in user-installed plugins resolve to the running kaos: a symlink
 * `<dataDir>/node_modules/kaos-cli` → kaos's package root, next to the plugins npm installed there.
 * Plugins declare kaos-cli as an optional peer dependency, so npm neither fetches a second copy nor
 * keeps our link (it prunes it as extraneous on every install); hence this runs after each
 * `plugins install|uninstall` (oclif hooks below) and, cheaply, whenever plugins contribute
 * runtimes. A real kaos-cli directory that a plugin installed as a dependency is left alone.
 * Returns the link's path when it (re)created it.
 */
export function linkKaosForPlugins(config: Pick<Config, 'dataDir' | 'root' | 'pjson'>): string | undefined {
  const modules = join(config.dataDir, 'node_modules')
  if (!existsSync(modules)) return undefined
  const link = join(modules, config.pjson.name)
  try {
    const st = lstatSync(link, {throwIfNoEntry: false})
    if (st && !st.isSymbolicLink()) return undefined
    if (st && existsSync(link) && realpathSync(link) === realpathSync(config.root)) return undefined
    if (st) rmSync(link, {force: true})
    mkdirSync(join(link, '..'), {recursive: true})
    symlinkSync(config.root, link, process.platform === 'win32' ? 'junction' : 'dir')
    return link
  } catch {
    // Not fatal: a plugin that imports kaos-cli will then fail to load, and oclif says which.
    return undefined
  }
}

/** oclif hook (`plugins:postinstall`, `plugins:postuninstall`): see {@link linkKaosForPlugins}. */
export const kaosPluginsHook = async function (opts: {config: Config}): Promise<void> {
  linkKaosForPlugins(opts.config)
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
