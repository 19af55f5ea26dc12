import type {Config, Hook} from '@oclif/core'
import {existsSync, lstatSync, mkdirSync, realpathSync, rmSync, symlinkSync} from 'node:fs'
import {join} from 'node:path'
import type {z} from 'zod'

import type {RuntimeSchema} from './registry.js'

/** Name of the oclif hook through which plugins contribute runtimes. */
export const RUNTIMES_HOOK = 'kaos:runtimes'

/** Environment variable listing runtime names that plugins may not define or replace. */
export const PIN_ENV = 'KAOS_PIN_RUNTIMES'

/** Environment variable overriding how long kaos waits for each plugin's hook (ms). */
export const HOOK_TIMEOUT_ENV = 'KAOS_PLUGIN_HOOK_TIMEOUT'
export const DEFAULT_HOOK_TIMEOUT_MS = 10_000

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
