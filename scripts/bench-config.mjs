#!/usr/bin/env node
// Benchmark (not a test): what looking for kaos's config files costs every command. Runs
// src/lib/config.ts through tsx (a devDependency), in a throwaway tree:
//
//   node --import tsx scripts/bench-config.mjs [--runs 2000]
//
// Prints the mean time of loadConfig() per call: with no config file anywhere (what every
// command pays when kaos is not configured), and with a project file 6 folders up.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'

const {loadConfig} = await import('../src/lib/config.ts')
const argv = process.argv.slice(2)
const runs = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : 2000
const tmp = mkdtempSync(join(tmpdir(), 'kaos-bench-config-'))
process.on('exit', () => rmSync(tmp, {recursive: true, force: true}))
const deep = join(tmp, 'p', 'a', 'b', 'c', 'd', 'e', 'f')
mkdirSync(deep, {recursive: true})
const env = {XDG_CONFIG_HOME: join(tmp, 'xdg')}

async function time(label, fn) {
  for (let i = 0; i < 50; i++) await fn()
  const t0 = performance.now()
  for (let i = 0; i < runs; i++) await fn()
  const us = ((performance.now() - t0) / runs) * 1000
  console.log(`${label.padEnd(44)} ${us.toFixed(1).padStart(8)} µs per command`)
}

console.log(`mean of ${runs} calls, ${process.version}`)
await time('no config file (7 folders deep)', () => loadConfig(deep, env))
writeFileSync(join(tmp, 'p', '.kaos-config.yaml'), 'namespace: team-a\noutput: json\n')
await time('a project file 6 folders up (parsed each time)', () => loadConfig(deep, env))
