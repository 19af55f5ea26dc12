#!/usr/bin/env node
// Benchmark (not a test): kaos's own overhead in `kaos mcp build` over a raw Docker API build of
// the same context. Needs DOCKER_HOST (e.g. `source .testbed/docker.env`) and `npm run build`.
//
//   node scripts/bench-build.mjs [--path DIR] [--base-image IMAGE] [--runs N]
//
// Without --path it creates a Python project with `kaos mcp init` in a temp folder. Every timed
// build runs after a warm-up, so both sides hit the layer cache and the difference is kaos's:
// process start, project detection, context listing and packing, streaming, the build record.
import Docker from 'dockerode'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {register} from 'tsx/esm/api'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const {values: opts} = parseArgs({
  options: {
    path: {type: 'string'},
    'base-image': {type: 'string', default: process.env.KAOS_TESTBED_PYTHON_IMAGE ?? 'python:3.12-slim-bookworm'},
    runs: {type: 'string', default: '5'},
  },
})
if (!process.env.DOCKER_HOST) console.error('note: DOCKER_HOST is not set; using the default socket')
register()
const {detectProject, generateDockerfile, resolveFastmcpPath} = await import('../src/lib/image/project.ts')
const {listContext, packContext} = await import('../src/lib/image/context.ts')

const runs = Number(opts.runs)
const tmp = mkdtempSync(join(tmpdir(), 'kaos-bench-'))
let dir = opts.path ? resolve(opts.path) : undefined
if (!dir) {
  execFileSync(process.execPath, [join(root, 'bin/run.js'), 'mcp', 'init', 'bench', '--dir', join(tmp, 'bench')], {stdio: 'ignore', env: {...process.env, CI: '1'}})
  dir = join(tmp, 'bench')
}
const info = detectProject(dir)
const dockerfile = info.dockerfile ? undefined : generateDockerfile(info.type, {baseImage: opts['base-image'], fastmcpPath: info.type === 'python' ? resolveFastmcpPath(dir) : undefined, manifest: info.manifest, main: info.main})
const extra = dockerfile ? [{path: '.kaos.Dockerfile', content: dockerfile}] : []
const docker = new Docker()
const tag = `kaos-bench:raw-${process.pid}`
const kaosTag = `bench-${process.pid}`

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6

async function packOnce() {
  const t0 = process.hrtime.bigint()
  const listing = listContext(dir)
  const packed = packContext(listing, extra)
  const chunks = []
  for await (const c of packed.stream) chunks.push(c)
  return {ms: ms(t0), buffer: Buffer.concat(chunks), files: listing.files}
}

async function rawBuild(buffer) {
  const t0 = process.hrtime.bigint()
  const stream = await docker.buildImage(buffer, {t: tag, dockerfile: dockerfile ? '.kaos.Dockerfile' : 'Dockerfile', rm: true})
  await new Promise((res, rej) =>
    docker.modem.followProgress(stream, (err) => (err ? rej(err) : res()), (e) => e.errorDetail && rej(new Error(e.errorDetail.message))),
  )
  return ms(t0)
}

function kaosBuild() {
  const t0 = process.hrtime.bigint()
  execFileSync(process.execPath, [join(root, 'bin/run.js'), 'mcp', 'build', '--path', dir, '--tag', kaosTag, '--base-image', opts['base-image'], '--json'], {stdio: ['ignore', 'pipe', 'inherit']})
  return ms(t0)
}

function kaosStartup() {
  const t0 = process.hrtime.bigint()
  execFileSync(process.execPath, [join(root, 'bin/run.js'), '--version'], {stdio: 'ignore'})
  return ms(t0)
}

try {
  // Warm-up: fill the layer cache for both.
  const first = await packOnce()
  await rawBuild(first.buffer)
  kaosBuild()
  const pack = []
  const raw = []
  const full = []
  const startup = []
  for (let i = 0; i < runs; i++) {
    const p = await packOnce()
    pack.push(p.ms)
    raw.push(await rawBuild(p.buffer))
    full.push(kaosBuild())
    startup.push(kaosStartup())
  }
  const rows = [
    ['project', `${dir} (${first.files} files${info.type ? `, ${info.type}` : ''})`],
    ['context tar size', `${(first.buffer.length / 1024).toFixed(1)} KiB`],
    ['context list+pack (median)', `${median(pack).toFixed(1)} ms`],
    ['raw Docker API build, pre-packed tar (median)', `${median(raw).toFixed(0)} ms`],
    ['kaos mcp build, whole process (median)', `${median(full).toFixed(0)} ms`],
    ['kaos process start (kaos --version, median)', `${median(startup).toFixed(0)} ms`],
    ['kaos overhead (kaos − raw)', `${(median(full) - median(raw)).toFixed(0)} ms`],
    ['total time ratio kaos / raw', `${(median(full) / median(raw)).toFixed(2)}×`],
  ]
  const w = Math.max(...rows.map((r) => r[0].length))
  console.log(`kaos mcp build benchmark, ${runs} runs after a warm-up (layer cache warm)\n`)
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`)
} finally {
  for (const t of [tag, `bench:${kaosTag}`]) await docker.getImage(t).remove({force: true}).catch(() => {})
  rmSync(tmp, {recursive: true, force: true})
}
