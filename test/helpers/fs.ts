import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

/** A new directory under `root` holding `files` (relative path → content). */
export function writeProject(root: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(root, 'p-'))
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), {recursive: true})
    writeFileSync(join(dir, p), c)
  }
  return dir
}
