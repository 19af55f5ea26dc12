// Node 20's test runner does not expand globs: find the test files and hand them over.
// usage: node scripts/run-tests.mjs unit|integration [extra node --test args…] [-- filter substrings]
import {spawnSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import {join, relative} from 'node:path'

const [kind = 'unit', ...rest] = process.argv.slice(2)
const suffix = kind === 'integration' ? '.it.ts' : '.test.ts'
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
// Integration tests share one cluster and one Docker engine: run the files one at a time.
const concurrency = kind === 'integration' ? ['--test-concurrency=1'] : []
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...concurrency, ...extra, ...files], {stdio: 'inherit'})
process.exit(r.status ?? 1)
