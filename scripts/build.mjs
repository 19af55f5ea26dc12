// Bundle kaos into dist/ with esbuild and write oclif.manifest.json.
// One bundle (plus lazily loaded chunks) because startup matters: CI calls kaos hundreds of times,
// and resolving node_modules file by file costs more than the code itself.
import {build} from 'esbuild'
import {execFileSync} from 'node:child_process'
import {readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

// Bundled packages swapped for small stand-ins that do what kaos's bundle needs (see each shim).
const shims = {
  name: 'kaos-shims',
  setup(b) {
    b.onResolve({filter: /^debug$/}, () => ({path: join(root, 'scripts', 'build-shims', 'debug.cjs')}))
    // kubernetes-models' validators import `@kubernetes-models/validate` for six formats; its
    // index also pulls in every ajv format and ajv-i18n's messages in all languages. kaos's own
    // module with the same contract keeps ~270 KB out of the deploy chunk.
    b.onResolve({filter: /^@kubernetes-models\/validate$/}, () => ({path: join(root, 'src', 'lib', 'k8s-formats.ts')}))
  },
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const started = Date.now()

// Build beside dist/ and swap it in at the end, so a CLI started meanwhile (tests, a second
// terminal) never sees a half-written dist/.
const out = `.dist-build-${process.pid}`
rmSync(join(root, out), {recursive: true, force: true})

await build({
  absWorkingDir: root,
  entryPoints: {bin: 'src/bin.ts', index: 'src/index.ts', help: 'src/help.ts', ...(pkg.kaosBuild?.extraEntryPoints ?? {})},
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  // oclif's own core is bundled (startup: one file instead of dozens); the oclif plugins it loads
  // by path, and packages with native or optional parts, stay in node_modules. typescript is only
  // used by oclif for linked TypeScript plugins in development.
  external: [...Object.keys(pkg.dependencies ?? {}).filter((d) => d !== '@oclif/core'), 'typescript', 'bufferutil', 'utf-8-validate'],
  minifyWhitespace: true,
  minifySyntax: true,
  // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {js: "import {createRequire as __kaosCreateRequire} from 'node:module'; const require = __kaosCreateRequire(import.meta.url);"},
  logLevel: 'warning',
  legalComments: 'none',
  plugins: [shims],
})

// kaos's MCP gateway (runtimes/gateway): its own standalone bundle, every dependency inlined, so
// its image needs only this one file next to its Dockerfile.
await build({
  absWorkingDir: root,
  entryPoints: {gateway: 'runtimes/gateway/src/main.ts'},
  outdir: join(out, 'gateway'),
  outExtension: {'.js': '.mjs'},
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  define: {KAOS_GATEWAY_VERSION: JSON.stringify(readFileSync(join(root, 'runtimes', 'gateway', 'VERSION'), 'utf8').trim())},
  banner: {js: "import {createRequire as __kaosCreateRequire} from 'node:module'; const require = __kaosCreateRequire(import.meta.url);"},
  logLevel: 'warning',
  // The image ships this file alone: keep the bundled packages' license notices in it.
  legalComments: 'eof',
})

// Type declarations for plugin authors (`import {KaosCommand} from 'kaos-cli'`).
try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--emitDeclarationOnly', '-p', root, '--outDir', join(out, 'types')], {stdio: 'inherit'})
  // rootDir is the repository (src/ reads the gateway's config format), so src's declarations land
  // in types/src; the package's documented entry stays types/index.d.ts.
  writeFileSync(join(root, out, 'types', 'index.d.ts'), "export * from './src/index.js'\n")
} catch (error) {
  rmSync(join(root, out), {recursive: true, force: true})
  throw error
}
// The built-in registry, parsed and validated by kaos's own code, cached as JSON (see builtinRegistry()).
execFileSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    `import {createHash} from 'node:crypto'; import {readFileSync, writeFileSync} from 'node:fs'
     import {builtinRegistryPath, parseRegistryYaml} from './src/lib/registry.ts'
     const text = readFileSync(builtinRegistryPath(), 'utf8')
     const source = {...parseRegistryYaml(text, 'builtin'), origin: 'builtin'}
     writeFileSync(${JSON.stringify(join(out, 'builtin-registry.json'))}, JSON.stringify({sha256: createHash('sha256').update(text).digest('hex'), source}))`,
  ],
  {cwd: root, stdio: 'inherit'},
)
rmSync(join(root, 'dist'), {recursive: true, force: true})
renameSync(join(root, out), join(root, 'dist'))
rmSync(join(root, 'oclif.manifest.json'), {force: true})

// The manifest lets oclif answer --help and route commands without importing them.
const {Config} = await import('@oclif/core')
const config = await Config.load({root})
const plugin = config.plugins.get(pkg.name)
writeFileSync(join(root, 'oclif.manifest.json'), JSON.stringify(plugin.manifest, null, 2))
console.error(`built dist/ and oclif.manifest.json (${Object.keys(plugin.manifest.commands).length} commands) in ${Date.now() - started} ms`)
