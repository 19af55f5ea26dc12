// The build record: `.kaos/build.json` in the project folder, written by `kaos mcp build` and read
// by `kaos mcp deploy` run in that folder with no NAME and no -f. Small on purpose, so deploy's
// startup does not grow.
import {existsSync, lstatSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {invalid} from '../errors.js'
import {readInputFile} from '../files.js'

export const BUILD_RECORD = '.kaos/build.json'

/** `.kaos/build.json`, format version 1. Fields are only ever added. */
export interface BuildRecord {
  version: 1
  /** The MCPServer name deploy uses (DNS-1123): --name, else pyproject.toml / package.json name. */
  name: string
  /** The image reference that was built (and pushed / kind-loaded), e.g. `localhost:5001/calc:0.1.0`. */
  image: string
  /** Docker's image ID (`sha256:…`). */
  imageId?: string
  /** Registry digest after --push (`sha256:…`). */
  digest?: string
  /** The kind cluster the image was loaded into. */
  kindCluster?: string
  /** ISO 8601 time of the build. */
  builtAt: string
  /** `python` or `typescript`. */
  project?: string
  /** `npx://…` / `uvx://…` for an image built from a package behind kaos's stdio adapter. */
  source?: string
}

export function buildRecordPath(dir: string): string {
  return join(dir, BUILD_RECORD)
}

/** The record in `dir`, or undefined when there is none. A corrupt record is an error, not a silent miss. */
export function readBuildRecord(dir: string): BuildRecord | undefined {
  const path = buildRecordPath(dir)
  try {
    lstatSync(path)
  } catch {
    return undefined
  }
  const fix = ['Run `kaos mcp build` again to rewrite it, or delete it.']
  let rec: Partial<BuildRecord> | null
  try {
    rec = JSON.parse(readInputFile(path, 'the build record'))
  } catch (error) {
    if ((error as {exit?: number}).exit) throw error
    throw invalid(`the build record ${path} is not valid JSON: ${(error as Error).message.split('\n')[0]}`, fix)
  }
  if (!rec || typeof rec !== 'object' || Array.isArray(rec) || typeof rec.name !== 'string' || typeof rec.image !== 'string')
    throw invalid(`the build record ${path} has no "name" and "image" strings`, fix)
  return rec as BuildRecord
}

export function writeBuildRecord(dir: string, rec: BuildRecord): string {
  const path = buildRecordPath(dir)
  mkdirSync(join(dir, '.kaos'), {recursive: true})
  // The folder holds kaos state only; keep it out of git without touching the project's .gitignore.
  if (!existsSync(join(dir, '.kaos', '.gitignore'))) writeFileSync(join(dir, '.kaos', '.gitignore'), '*\n')
  writeFileSync(path, `${JSON.stringify(rec, null, 2)}\n`)
  return path
}
