// The test entry: mocha with the unit or integration config, on every test file of that suite or
// on the files whose paths contain one of the given substrings.
// usage: node scripts/run-tests.mjs unit|integration [extra mocha args…] [-- filter substrings]
import {spawnSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import {join, relative} from 'node:path'

const [kind = 'unit', ...rest] = process.argv.slice(2)
const suffix = kind === 'integration' ? '.it.ts' : '.test.ts'
const config = kind === 'integration' ? '.mocharc.integration.json' : '.mocharc.json'
const sep = rest.indexOf('--')
const extra = sep === -1 ? rest : rest.slice(0, sep)
const filters = sep === -1 ? [] : rest.slice(sep + 1)

function walk(dir) {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => {
    const p = join(dir, e.name)
    if (e.isDirectory()) return e.name === 'fixtures' || e.name === 'node_modules' ? [] : walk(p)
    return e.name.endsWith(suffix) ? [p] : []
  })
}

const files = walk('test')
  .map((f) => relative('.', f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort()
if (files.length === 0) {
  console.error(`no ${kind} test files found`)
  process.exit(1)
}
const mocha = join('node_modules', 'mocha', 'bin', 'mocha.js')
const r = spawnSync(process.execPath, [mocha, '--config', config, ...extra, ...files], {stdio: 'inherit'})
process.exit(r.status ?? 1)
