// Bundle kaos into dist/ with esbuild and write oclif.manifest.json.
// One bundle (plus lazily loaded chunks) because startup matters: CI calls kaos hundreds of times,
// and resolving node_modules file by file costs more than the code itself.
import {build} from 'esbuild'
import {execFileSync} from 'node:child_process'
import {readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

// @kubernetes/client-node declares no `sideEffects`, so esbuild keeps all of its generated API
// (~6 MB) although kaos uses KubeConfig and PortForward only. Its modules are side-effect free
// declarations; saying so lets tree shaking drop the rest, which is most of the startup cost.
const GEN_STUB = `
const unbundled = (what) => () => { throw new Error('kaos does not bundle the generated Kubernetes API (' + what + ')') }
export const createConfiguration = unbundled('createConfiguration')
export class ServerConfiguration { constructor() { unbundled('ServerConfiguration')() } }
export class CoreV1Api { constructor() { unbundled('CoreV1Api')() } }
export class AppsV1Api { constructor() { unbundled('AppsV1Api')() } }
`

const pureClientNode = {
  name: 'pure-client-node',
  setup(b) {
    // KubeConfig (connection, auth) and PortForward.portForward(pod) are all kaos uses; they
    // import the generated API only for makeApiClient / service lookups kaos never calls. A stub
    // keeps ~6 MB of generated code (~100 ms per cluster command) out of the bundle.
    b.onResolve({filter: /^\.\/gen\/index\.js$/}, (args) =>
      /client-node[\\/]dist[\\/](config|portforward)\.js$/.test(args.importer) ? {path: 'client-node-gen-stub', namespace: 'kaos-stub'} : undefined,
    )
    b.onLoad({filter: /.*/, namespace: 'kaos-stub'}, () => ({contents: GEN_STUB, loader: 'js'}))
    b.onResolve({filter: /.*/}, async (args) => {
      if (args.pluginData === 'pure' || !/client-node/.test(args.importer + args.path)) return undefined
      const r = await b.resolve(args.path, {kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'pure'})
      if (r.errors.length > 0 || !r.path.includes('/node_modules/@kubernetes/client-node/')) return undefined
      return {path: r.path, sideEffects: false}
    })
  },
}

// kubernetes-models' validators import `@kubernetes-models/validate` for six formats; its index
// also pulls in every ajv format and ajv-i18n's messages in all languages. kaos's own module with
// the same contract (src/lib/k8s-formats.ts) keeps ~270 KB out of the deploy chunk.
const leanK8sFormats = {
  name: 'lean-k8s-formats',
  setup(b) {
    b.onResolve({filter: /^@kubernetes-models\/validate$/}, () => ({path: join(root, 'src', 'lib', 'k8s-formats.ts')}))
  },
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const started = Date.now()

// Build beside dist/ and swap it in at the end, so a CLI started meanwhile (tests, a second
// terminal) never sees a half-written dist/.
const out = `.dist-build-${process.pid}`
rmSync(join(root, out), {recursive: true, force: true})

await build({
  absWorkingDir: root,
  entryPoints: {index: 'src/index.ts', help: 'src/help.ts', ...(pkg.kaosBuild?.extraEntryPoints ?? {})},
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  // Packages oclif loads itself or that carry native/optional parts stay in node_modules.
  external: Object.keys(pkg.dependencies ?? {}),
  // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {js: "import {createRequire as __kaosCreateRequire} from 'node:module'; const require = __kaosCreateRequire(import.meta.url);"},
  logLevel: 'warning',
  plugins: [pureClientNode, leanK8sFormats],
  legalComments: 'none',
})

// Type declarations for plugin authors (`import {KaosCommand} from 'kaos-cli'`).
try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--emitDeclarationOnly', '-p', root, '--outDir', join(out, 'types')], {stdio: 'inherit'})
} catch (error) {
  rmSync(join(root, out), {recursive: true, force: true})
  throw error
}
rmSync(join(root, 'dist'), {recursive: true, force: true})
renameSync(join(root, out), join(root, 'dist'))
rmSync(join(root, 'oclif.manifest.json'), {force: true})

// The manifest lets oclif answer --help and route commands without importing them.
const {Config} = await import('@oclif/core')
const config = await Config.load({root})
const plugin = config.plugins.get(pkg.name)
writeFileSync(join(root, 'oclif.manifest.json'), JSON.stringify(plugin.manifest, null, 2))
console.error(`built dist/ and oclif.manifest.json (${Object.keys(plugin.manifest.commands).length} commands) in ${Date.now() - started} ms`)
