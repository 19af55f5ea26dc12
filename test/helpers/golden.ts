// Golden files: compare rendered text with test/fixtures/golden/<name>, or rewrite them when
// UPDATE_GOLDEN=1 (`npm run golden:update`). Review the diff of a rewrite like any code change.
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {type Registry, builtinRegistry, mergeRegistry, parseRegistryYaml} from '../../src/lib/registry.js'

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures')
export const GOLDEN_DIR = join(FIXTURES, 'golden')
export const INPUTS_DIR = join(FIXTURES, 'inputs')

/** The built-in registry, plus test/fixtures/registries/<input file> when that input has one. */
export function fixtureRegistry(file: string): Registry {
  const extra = join(FIXTURES, 'registries', file)
  return mergeRegistry([builtinRegistry(), ...(existsSync(extra) ? [parseRegistryYaml(readFileSync(extra, 'utf8'), `file:${extra}`)] : [])])
}

export const updating = (): boolean => process.env.UPDATE_GOLDEN === '1' || process.env.UPDATE_GOLDEN === 'true'

/** Assert `actual` equals the golden file `name` (or write it when updating). */
export function expectGolden(name: string, actual: string): void {
  const path = join(GOLDEN_DIR, name)
  if (updating()) {
    mkdirSync(dirname(path), {recursive: true})
    if (!existsSync(path) || readFileSync(path, 'utf8') !== actual) writeFileSync(path, actual)
    return
  }
  assert.ok(existsSync(path), `golden file ${path} is missing: run \`npm run golden:update\` and review it`)
  const expected = readFileSync(path, 'utf8')
  if (expected !== actual) {
    assert.fail(`rendered output differs from ${path}\n${lineDiff(expected, actual)}\nIf the change is intended, run \`npm run golden:update\` and review the diff.`)
  }
}

/** A short unified-style diff (- golden, + actual) with two lines of context, for failure messages. */
export function lineDiff(expected: string, actual: string, context = 2): string {
  const a = expected.split('\n')
  const b = actual.split('\n')
  // LCS table; golden files are a few hundred lines, so O(n·m) is fine.
  const lcs = Array.from({length: a.length + 1}, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1])
  const ops: Array<{t: ' ' | '-' | '+'; line: string; at: number}> = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push({t: ' ', line: a[i++], at: j++})
    else if (j < b.length && (i === a.length || lcs[i][j + 1] >= lcs[i + 1][j])) ops.push({t: '+', line: b[j], at: j++})
    else ops.push({t: '-', line: a[i++], at: j})
  }
  const keep = ops.map((o, k) => o.t !== ' ' || ops.slice(Math.max(0, k - context), k + context + 1).some((x) => x.t !== ' '))
  const out: string[] = []
  ops.forEach((o, k) => {
    if (keep[k]) out.push(`${o.t === ' ' ? ' ' : o.t} ${o.line}`)
    else if (keep[k - 1]) out.push('  …')
  })
  return out.join('\n')
}
