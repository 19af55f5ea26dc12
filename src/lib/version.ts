import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {packageRoot} from './package-root.js'

let cached: string | undefined

/** kaos's own version (package.json): the tag of every image kaos builds for itself. */
export function kaosVersion(): string {
  cached ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {version: string}).version
  return cached
}
