// The process entry (bin/run.js loads it): oclif, bundled with the rest of kaos so that starting
// kaos reads a few files instead of resolving @oclif/core and its dependencies file by file.
import {execute} from '@oclif/core/execute'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {redactUserinfo} from './lib/redact.js'

/**
 * oclif plugins kaos ships, and when they are loaded: only for their own commands and for help
 * (which lists them). Every other command starts without reading their manifests. Their command
 * names are known to the not-found hook (src/cli/not-found.ts) without loading them.
 */
export const LAZY_PLUGINS: Record<string, string[]> = {
  '@oclif/plugin-plugins': ['plugins'],
  '@oclif/plugin-autocomplete': ['autocomplete'],
}

function pluginsFor(argv: string[]): string[] {
  const words = argv.filter((a) => !a.startsWith('-'))
  const wantsHelp = words.length === 0 || words[0] === 'help' || argv.includes('--help') || argv.includes('-h')
  return Object.entries(LAZY_PLUGINS)
    .filter(([, topics]) => wantsHelp || topics.includes(words[0]?.split(':')[0]))
    .map(([name]) => name)
}

// Linked ESM plugins (kaos plugins link) are loaded as they are; oclif's notice about it is noise.
process.env.OCLIF_DISABLE_LINKED_ESM_WARNING ??= '1'

// DEBUG logs (oclif's and kaos's) print argv and URLs: credentials in URLs stay out of them.
if (process.env.DEBUG) {
  const write = process.stderr.write.bind(process.stderr) as (...a: unknown[]) => boolean
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? redactUserinfo(chunk) : chunk, ...rest)) as typeof process.stderr.write
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
await execute({loadOptions: {root, pluginAdditions: {core: pluginsFor(process.argv.slice(2))}}})
