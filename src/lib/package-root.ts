import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

let cached: string | undefined

/**
 * The kaos package's root folder (where `registry/`, `templates/` and `runtimes/` ship). Found by
 * walking up from this module: the bundle puts it at dist/index.js or dist/chunks/*.js, and the
 * tests run it from src/lib/.
 */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  if (cached && from === dirname(fileURLToPath(import.meta.url))) return cached
  let dir = from
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'kaos-cli') return (cached = dir)
    const up = dirname(dir)
    if (up === dir) throw new Error(`the kaos-cli package root was not found above ${from}`)
    dir = up
  }
}
