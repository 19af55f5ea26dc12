// kaos with real oclif plugins: the example plugin and two broken fixtures are linked into a
// throwaway data dir, and the built CLI (bin/run.js) is run as a child process, as users run it.
// Needs `npm run build` first.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describeOrSkip} from '../helpers/mocha.js'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const built = existsSync(join(repo, 'dist', 'index.js')) && existsSync(join(repo, 'oclif.manifest.json'))

/**
 * The built package, copied as npm would install it (node_modules linked back), so that a rebuild
 * running in the work tree meanwhile can't pull dist/ away under these tests.
 */
function snapshot(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'kaos-snapshot-')), 'kaos-cli')
  for (const f of ['package.json', 'oclif.manifest.json', 'bin', 'dist', 'registry', 'templates', 'examples']) {
    if (existsSync(join(repo, f))) cpSync(join(repo, f), join(dir, f), {recursive: true})
  }
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir')
  return dir
}
function stableSnapshot(): string {
  // A build in progress deletes dist/ first; wait for it rather than copying half a package.
  for (let i = 0; ; i++) {
    const dir = snapshot()
    const complete = ['dist/index.js', 'dist/types/index.d.ts', 'oclif.manifest.json'].every((f) => existsSync(join(dir, f)))
    if (complete || i >= 12) return dir
    rmSync(dirname(dir), {recursive: true, force: true})
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000)
  }
}
const root = built ? stableSnapshot() : repo
const bin = join(root, 'bin', 'run.js')
process.on('exit', () => {
  if (root !== repo) rmSync(dirname(root), {recursive: true, force: true})
})

let tmp = ''
let env: NodeJS.ProcessEnv = {}

function kaos(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {cwd: root, env: {...env, ...extraEnv}, encoding: 'utf8', timeout: 60_000})
  // Colour can be forced by a library that detects CI; compare plain text.
  const plain = (t: string) => t.replace(/\x1B\[[0-9;]*m/g, '')
  return {code: r.status, stdout: plain(r.stdout), stderr: plain(r.stderr)}
}

function runtimesJson(extraEnv: NodeJS.ProcessEnv = {}): {runtimes: Array<{name: string; origin: string; shadows: string[]; image?: string}>; warnings: string[]} {
  const r = kaos(['system', 'runtimes', '--json'], extraEnv)
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout)
}

describeOrSkip('plugins (built CLI)', built ? false : 'run `npm run build` first', () => {
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kaos-plugins-'))
    // Everything oclif and kaos keep per user goes to the temp dir: linked plugins, caches, config.
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(KAOS_|XDG_|OCLIF_|NODE_OPTIONS$|NODE_ENV$)/.test(k)))
    env = {
      ...clean,
      KAOS_DATA_DIR: join(tmp, 'data'),
      KAOS_CACHE_DIR: join(tmp, 'cache'),
      KAOS_CONFIG_DIR: join(tmp, 'config'),
      XDG_DATA_HOME: join(tmp, 'xdg-data'),
      XDG_CACHE_HOME: join(tmp, 'xdg-cache'),
      XDG_CONFIG_HOME: join(tmp, 'xdg-config'),
    }
    // The example plugin as its author develops it: a copy with kaos-cli resolvable from it
    // (what `npm link kaos-cli` or `npm i -D kaos-cli` does), linked without `npm install`.
    cpSync(join(root, 'examples', 'plugin-weather'), join(tmp, 'plugin-weather'), {recursive: true})
    mkdirSync(join(tmp, 'plugin-weather', 'node_modules'), {recursive: true})
    symlinkSync(root, join(tmp, 'plugin-weather', 'node_modules', 'kaos-cli'), 'dir')
    const r = kaos(['plugins', 'link', '--no-install', join(tmp, 'plugin-weather')])
    assert.equal(r.code, 0, r.stderr)
  })

  after(() => {
    if (tmp) rmSync(tmp, {recursive: true, force: true})
  })

  it('lists the linked plugin', () => {
    const r = kaos(['plugins'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /kaos-plugin-weather 0\.1\.0 \(link\)/)
  })

  it('shows the plugin runtime with SOURCE plugin:<package>', () => {
    const {runtimes, warnings} = runtimesJson()
    assert.deepEqual(warnings, [])
    const weather = runtimes.find((r) => r.name === 'weather')
    assert.ok(weather, 'weather runtime listed')
    assert.equal(weather.origin, 'plugin:kaos-plugin-weather')
    assert.ok(runtimes.find((r) => r.name === 'rawpython' && r.origin === 'builtin'))
    const table = kaos(['system', 'runtimes'])
    assert.match(table.stdout, /^weather\s+python\s+http\s+plugin:kaos-plugin-weather\s/m)
  })

  it('renders a server from the plugin runtime', () => {
    const r = kaos(['mcp', 'deploy', 'w', '--runtime', 'weather', '--env', 'WEATHER_API_KEY=x', '--dry-run', '-o', 'json'])
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    const objects: Array<{kind: string; spec?: any}> = Array.isArray(out) ? out : (out.items ?? out.objects)
    const deployment = objects.find((o) => o.kind === 'Deployment')
    assert.ok(deployment, r.stdout)
    const container = deployment.spec.template.spec.containers[0]
    assert.equal(container.image, 'ghcr.io/kaos-tools/weather-mcp:0.1.0')
    assert.ok(container.env.some((e: {name: string; value?: string}) => e.name === 'WEATHER_API_KEY' && e.value === 'x'))
  })

  it("validates the plugin runtime's requiredEnv (exit 2)", () => {
    const r = kaos(['mcp', 'deploy', 'w', '--runtime', 'weather', '--dry-run', '-o', 'json'])
    assert.equal(r.code, 2, r.stdout + r.stderr)
    assert.match(r.stderr, /WEATHER_API_KEY/)
  })

  it("runs the plugin's own command, built on KaosCommand imported from kaos-cli", () => {
    const ok = kaos(['mcp', 'weather-check', '--json'], {WEATHER_API_KEY: 'x'})
    assert.equal(ok.code, 0, ok.stderr)
    assert.deepEqual(JSON.parse(ok.stdout), {
      runtime: 'weather',
      origin: 'plugin:kaos-plugin-weather',
      image: 'ghcr.io/kaos-tools/weather-mcp:0.1.0',
      requiredEnv: ['WEATHER_API_KEY'],
      ok: true,
    })
    // KaosError and ExitCode from kaos-cli map to kaos's exit codes and --json error shape.
    const missing = kaos(['mcp', 'weather-check', '--json'])
    assert.equal(missing.code, 2)
    assert.equal(JSON.parse(missing.stdout).error.code, 'INVALID_INPUT')
    const help = kaos(['mcp', '--help'])
    assert.match(help.stdout, /mcp weather-check\s+Check that the weather runtime/)
  })

  it('lets the user pin a runtime name against plugins ($KAOS_PIN_RUNTIMES)', () => {
    const {runtimes} = runtimesJson({KAOS_PIN_RUNTIMES: 'weather'})
    assert.equal(
      runtimes.find((r) => r.name === 'weather'),
      undefined,
    )
  })

  it('keeps working when a plugin hook throws, with a warning naming the plugin', () => {
    const link = kaos(['plugins', 'link', '--no-install', join(repo, 'test', 'fixtures', 'plugins', 'broken')])
    assert.equal(link.code, 0, link.stderr)
    try {
      const {runtimes, warnings} = runtimesJson()
      assert.ok(runtimes.find((r) => r.name === 'weather'), 'the other plugin still contributes')
      assert.equal(warnings.length, 1, warnings.join('\n'))
      assert.match(warnings[0], /^plugin kaos-plugin-broken: kaos:runtimes hook failed \(weather service unreachable\)/)
      const table = kaos(['system', 'runtimes'])
      assert.equal(table.code, 0)
      assert.match(table.stderr, /Warning: plugin kaos-plugin-broken: kaos:runtimes hook failed/)
      const deploy = kaos(['mcp', 'deploy', '-f', 'examples/mcpserver-rawpython.yaml', '--dry-run'])
      assert.equal(deploy.code, 0, deploy.stderr)
      assert.match(deploy.stdout, /kind: Deployment/)
    } finally {
      assert.equal(kaos(['plugins', 'uninstall', 'kaos-plugin-broken']).code, 0)
    }
  })

  it('ignores invalid runtime entries from a plugin with a warning naming it, keeping valid ones', () => {
    const link = kaos(['plugins', 'link', '--no-install', join(repo, 'test', 'fixtures', 'plugins', 'invalid')])
    assert.equal(link.code, 0, link.stderr)
    try {
      const {runtimes, warnings} = runtimesJson()
      assert.equal(runtimes.find((r) => r.name === 'fine')?.origin, 'plugin:kaos-plugin-invalid')
      assert.equal(runtimes.find((r) => r.name === 'bad-port'), undefined)
      assert.equal(runtimes.find((r) => r.name === 'no-image'), undefined)
      assert.equal(warnings.length, 2, warnings.join('\n'))
      assert.match(warnings[0], /^plugin kaos-plugin-invalid: runtime "bad-port": port "eighty" must be a number/)
      assert.match(warnings[1], /^plugin kaos-plugin-invalid: runtime "no-image": image is required/)
    } finally {
      assert.equal(kaos(['plugins', 'uninstall', 'kaos-plugin-invalid']).code, 0)
    }
  })

  it('plugins uninstall removes the plugin, its runtime and its command', () => {
    const r = kaos(['plugins', 'uninstall', 'kaos-plugin-weather'])
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(kaos(['plugins']).stdout, /kaos-plugin-weather/)
    assert.equal(
      runtimesJson().runtimes.find((x) => x.name === 'weather'),
      undefined,
    )
    const deploy = kaos(['mcp', 'deploy', 'w', '--runtime', 'weather', '--env', 'WEATHER_API_KEY=x', '--dry-run'])
    assert.equal(deploy.code, 2)
    assert.notEqual(kaos(['mcp', 'weather-check']).code, 0)
  })
})

describeOrSkip('plugins install (built CLI)', built ? false : 'run `npm run build` first', () => {
  it('installs a packed plugin into the data dir; its command imports kaos-cli from the running kaos', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kaos-plugins-install-'))
    const env: NodeJS.ProcessEnv = {...process.env, KAOS_DATA_DIR: join(dir, 'data'), KAOS_CACHE_DIR: join(dir, 'cache'), KAOS_CONFIG_DIR: join(dir, 'config'), XDG_CONFIG_HOME: join(dir, 'xdg-config')}
    delete env.KAOS_REGISTRY
    const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [bin, ...args], {cwd: root, env: {...env, ...extra}, encoding: 'utf8', timeout: 180_000})
    try {
      // npm pack/install of a dependency-free tarball with an optional peer needs no registry.
      const pack = spawnSync('npm', ['pack', '--pack-destination', dir], {cwd: join(root, 'examples', 'plugin-weather'), encoding: 'utf8'})
      assert.equal(pack.status, 0, pack.stderr)
      const install = run(['plugins', 'install', `file:${join(dir, 'kaos-plugin-weather-0.1.0.tgz')}`])
      assert.equal(install.status, 0, install.stderr)
      const check = run(['mcp', 'weather-check', '--json'], {WEATHER_API_KEY: 'x'})
      assert.equal(check.status, 0, check.stderr)
      assert.equal(JSON.parse(check.stdout).origin, 'plugin:kaos-plugin-weather')
      assert.equal(run(['plugins', 'uninstall', 'kaos-plugin-weather']).status, 0)
      assert.doesNotMatch(run(['system', 'runtimes']).stdout, /weather/)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describeOrSkip('plugin author types', existsSync(join(root, 'dist', 'types', 'index.d.ts')) ? false : 'run `npm run build` first', () => {
  it('a TypeScript plugin type-checks against kaos-cli (hook type, Hooks augmentation, KaosCommand)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kaos-typed-plugin-'))
    try {
      cpSync(join(repo, 'test', 'fixtures', 'plugins', 'typed'), dir, {recursive: true})
      mkdirSync(join(dir, 'node_modules'))
      symlinkSync(root, join(dir, 'node_modules', 'kaos-cli'), 'dir')
      for (const dep of ['@oclif', '@types']) symlinkSync(join(root, 'node_modules', dep), join(dir, 'node_modules', dep), 'dir')
      const r = spawnSync(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], {encoding: 'utf8', timeout: 120_000})
      assert.equal(r.status, 0, r.stdout + r.stderr)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
