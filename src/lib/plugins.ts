import type {Config} from '@oclif/core'

import type {RegistrySource} from './registry.js'

/** Name of the oclif hook through which plugins contribute runtimes. */
export const RUNTIMES_HOOK = 'kaos:runtimes'

/**
 * Registry sources contributed by installed plugins through the `kaos:runtimes` hook, validated
 * like registry files; failures become warnings naming the plugin.
 */
export async function pluginRegistrySources(_config: Config): Promise<{sources: RegistrySource[]; warnings: string[]}> {
  return {sources: [], warnings: []}
}
