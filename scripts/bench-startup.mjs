#!/usr/bin/env node
// Startup benchmark (not a test): wall time of common kaos invocations, median of N runs, against
// `node -e 0`, with no plugins and with one linked plugin (examples/plugin-weather) in a throwaway
// data dir. Run `npm run build` first.
//
//   node scripts/bench-startup.mjs [--runs 15] [--json]
//
// Scenarios:
//   none          no user plugins
//   linked        the example plugin linked as during development (no oclif.manifest.json: oclif
//                 imports the plugin's command files on every start to learn its commands)
//   linked+manif  the same plugin with an oclif.manifest.json, as a published plugin ships it
import {spawnSync} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const argv = process.argv.slice(2)
const runs = Number(argv[argv.indexOf('--runs') + 1]) > 0 && argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : 15
const asJson = argv.includes('--json')

if (!existsSync(join(repo, 'dist', 'index.js'))) {
  console.error('dist/ is missing: run `npm run build` first')
  process.exit(1)
}

const tmp = mkdtempSync(join(tmpdir(), 'kaos-bench-'))
process.on('exit', () => rmSync(tmp, {recursive: true, force: true}))

// Benchmark a snapshot of the built package (laid out as npm installs it), so a rebuild running
// in the work tree meanwhile can't pull dist/ away mid-run.
const root = join(tmp, 'kaos-cli')
for (const f of ['package.json', 'oclif.manifest.json', 'bin', 'dist', 'registry', 'templates', 'examples']) {
  if (existsSync(join(repo, f))) cpSync(join(repo, f), join(root, f), {recursive: true})
}
symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir')
if (!existsSync(join(root, 'dist', 'index.js')) || !existsSync(join(root, 'oclif.manifest.json'))) {
  console.error('dist/ or oclif.manifest.json vanished while copying (a build running?); try again')
  process.exit(1)
}
const bin = join(root, 'bin', 'run.js')

const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(KAOS_|XDG_|NODE_OPTIONS$)/.test(k)))
function envFor(name) {
  const d = join(tmp, name)
  return {...baseEnv, KAOS_DATA_DIR: join(d, 'data'), KAOS_CACHE_DIR: join(d, 'cache'), KAOS_CONFIG_DIR: join(d, 'config'), XDG_CONFIG_HOME: join(d, 'xdg-config'), OCLIF_DISABLE_LINKED_ESM_WARNING: '1'}
}

function run(args, env) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, args, {cwd: root, env, encoding: 'utf8'})
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return ms
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** A copy of the example plugin with kaos-cli resolvable from it, linked into `env`'s data dir. */
function linkPlugin(name, env, {manifest}) {
  const dir = join(tmp, name, 'plugin-weather')
  cpSync(join(root, 'examples', 'plugin-weather'), dir, {recursive: true})
  mkdirSync(join(dir, 'node_modules'), {recursive: true})
  symlinkSync(root, join(dir, 'node_modules', 'kaos-cli'), 'dir')
  if (manifest) {
    // What `oclif manifest` writes when the plugin is published.
    const script = `const {Config} = await import('@oclif/core'); const c = await Config.load({root: ${JSON.stringify(dir)}}); process.stdout.write(JSON.stringify(c.plugins.get(c.pjson.name).manifest))`
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {cwd: root, env, encoding: 'utf8'})
    if (r.status !== 0) throw new Error(`manifest: ${r.stderr}`)
    writeFileSync(join(dir, 'oclif.manifest.json'), r.stdout)
  }
  run([bin, 'plugins', 'link', '--no-install', dir], env)
}

const cases = [
  ['kaos --version', [bin, '--version']],
  ['kaos --help', [bin, '--help']],
  ['kaos mcp deploy --dry-run -f …', [bin, 'mcp', 'deploy', '--dry-run', '-f', 'examples/mcpserver-rawpython.yaml']],
  ['kaos system runtimes', [bin, 'system', 'runtimes']],
]

const scenarios = {none: envFor('none'), linked: envFor('linked'), 'linked+manif': envFor('manif')}
linkPlugin('linked', scenarios.linked, {manifest: false})
linkPlugin('manif', scenarios['linked+manif'], {manifest: true})

// Interleaved (round-robin over every command and scenario) so that load from other processes
// spreads evenly instead of skewing whichever case ran during a busy moment.
const jobs = [
  {key: 'node -e 0', args: ['-e', '0'], env: scenarios.none},
  {key: "import('@oclif/core')", args: ['--input-type=module', '-e', "await import('@oclif/core')"], env: scenarios.none},
  {key: "import('./dist/index.js')", args: ['--input-type=module', '-e', "await import('./dist/index.js')"], env: scenarios.none},
]
for (const [label, args] of cases) for (const [scenario, env] of Object.entries(scenarios)) jobs.push({key: `${label}\t${scenario}`, args, env})
const samples = new Map(jobs.map((j) => [j.key, []]))
for (const j of jobs) run(j.args, j.env) // warm the file cache
for (let i = 0; i < runs; i++) for (const j of jobs) samples.get(j.key).push(run(j.args, j.env))
const med = (key) => median(samples.get(key))

const nodeBaseline = med('node -e 0')
const coreImport = med("import('@oclif/core')")
const bundleImport = med("import('./dist/index.js')")
const results = cases.map(([label]) => ({command: label, ...Object.fromEntries(Object.keys(scenarios).map((s) => [s, med(`${label}\t${s}`)]))}))

if (asJson) {
  console.log(JSON.stringify({runs, node: process.version, nodeBaseline, bundleImport, coreImport, results}, null, 2))
} else {
  const f = (ms) => `${ms.toFixed(0).padStart(5)} ms (+${(ms - nodeBaseline).toFixed(0).padStart(4)})`
  console.log(`median of ${runs} runs, ${process.version}; (+N) = over \`node -e 0\``)
  console.log(`${'node -e 0'.padEnd(32)}${f(nodeBaseline)}`)
  console.log(`${"import('@oclif/core')".padEnd(32)}${f(coreImport)}`)
  console.log(`${"import('./dist/index.js')".padEnd(32)}${f(bundleImport)}`)
  console.log()
  console.log(['command'.padEnd(32), ...Object.keys(scenarios).map((s) => s.padEnd(20))].join(''))
  for (const r of results) console.log([r.command.padEnd(32), ...Object.keys(scenarios).map((s) => f(r[s]).padEnd(20))].join(''))
}
