// The images kaos itself owns, and how each is built: from build contexts shipped in the npm
// package (runtimes/…), tagged <image registry>/kaos-<name>:<kaos version>. The registry's stdio
// runtimes (`package: npx://…` / `uvx://…`) each get an image too, built from the stdio adapter's
// templates with the package installed at build time.
import {existsSync, lstatSync, readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {invalid} from '../errors.js'
import {packageRoot} from '../package-root.js'
import {type Registry, type Runtime, ownImageOf, ownImageRef} from '../registry.js'
import type {ContextListing, ExtraFile} from './context.js'

export interface OwnImage {
  /** `rawpython`, `stdio-adapter`, `gateway`, `mcp-<runtime>`. */
  name: string
  /** The reference it is built as and rendered with. */
  ref: string
  description: string
  /** Folder of the build context, inside the package. */
  contextDir: string
  /** Files of the context, relative to contextDir. */
  files: string[]
  /** Files added to the context (a Dockerfile from a template). */
  extra?: ExtraFile[]
  dockerfile: string
  buildArgs?: Record<string, string>
  /** Own images this one is built FROM (built first). */
  needs?: string[]
}

/** Exact versions only: a package source must build the same image every time. */
export function parsePackageSource(source: string): {tool: 'npx' | 'uvx'; pkg: string; version: string} {
  const m = /^(npx|uvx):\/\/(.+)@([^@]+)$/.exec(source)
  if (!m) throw invalid(`package source "${source}" must be npx://PACKAGE@VERSION or uvx://PACKAGE@VERSION`, ['e.g. npx://@modelcontextprotocol/server-memory@2026.8.31'])
  const [, tool, pkg, version] = m
  if (!/^\d+(\.\d+)*([-+][0-9A-Za-z.+-]+)?$/.test(version))
    throw invalid(`package source "${source}": "${version}" is not an exact version (ranges and tags like latest would build a different image each time)`, [`Pin it, e.g. ${tool}://${pkg}@1.2.3`])
  return {tool: tool as 'npx' | 'uvx', pkg, version}
}

function filesIn(dir: string, files: string[]): string[] {
  for (const f of files) if (!existsSync(join(dir, f))) throw new Error(`kaos package incomplete: ${join(dir, f)} is missing`)
  return files
}

/** The stdio adapter's Go sources (not its tests, benchmark or test data). */
function adapterFiles(dir: string): string[] {
  return ['Dockerfile', 'go.mod', 'VERSION', ...readdirSync(dir).filter((f) => f.endsWith('.go') && !f.endsWith('_test.go')).sort()]
}

/** The image of a stdio runtime built from its package, FROM the adapter image. */
function packageImage(rt: Runtime, registry: Registry, adapterRef: string): OwnImage {
  const {tool, pkg, version} = parsePackageSource(rt.package!)
  const dir = join(packageRoot(), 'runtimes', 'stdio-adapter', 'templates')
  const template = tool === 'npx' ? 'npx.Dockerfile' : 'uvx.Dockerfile'
  return {
    name: ownImageOf(rt)!,
    ref: ownImageRef(ownImageOf(rt)!, registry.defaults.imageRegistry, version),
    description: `${rt.name}: ${pkg}@${version} (${tool}) behind the stdio adapter`,
    contextDir: dir,
    files: filesIn(dir, [template]),
    dockerfile: template,
    buildArgs: {PACKAGE: pkg, VERSION: version, ADAPTER_IMAGE: adapterRef, ...(rt.packageBin ? {BIN: rt.packageBin} : {})},
    needs: ['stdio-adapter'],
  }
}

/** Every image kaos owns under this registry, in build order (what others build FROM first). */
export function ownImages(registry: Registry): OwnImage[] {
  const root = packageRoot()
  const reg = registry.defaults.imageRegistry
  const raw = join(root, 'runtimes', 'rawpython')
  const adapter = join(root, 'runtimes', 'stdio-adapter')
  const gateway = join(root, 'dist', 'gateway')
  const images: OwnImage[] = [
    {
      name: 'rawpython',
      ref: ownImageRef('rawpython', reg),
      description: 'the rawpython runtime: Python functions in params become MCP tools',
      contextDir: raw,
      files: filesIn(raw, ['Dockerfile', 'requirements.txt', 'server.py', 'VERSION']),
      dockerfile: 'Dockerfile',
    },
    {
      name: 'stdio-adapter',
      ref: ownImageRef('stdio-adapter', reg),
      description: 'serves streamable HTTP for stdio MCP servers (static binary)',
      contextDir: adapter,
      files: filesIn(adapter, adapterFiles(adapter)),
      dockerfile: 'Dockerfile',
    },
  ]
  // The gateway's context: its Dockerfile (runtimes/gateway) and the bundle the build made (dist/gateway).
  const gatewayDockerfile = join(root, 'runtimes', 'gateway', 'Dockerfile')
  if (existsSync(join(gateway, 'gateway.mjs')) && existsSync(gatewayDockerfile))
    images.push({
      name: 'gateway',
      ref: ownImageRef('gateway', reg),
      description: 'declarative MCP tools, prompts and resources over in-cluster services',
      contextDir: gateway,
      files: filesIn(gateway, ['gateway.mjs']),
      extra: [{path: 'Dockerfile', content: readFileSync(gatewayDockerfile)}],
      dockerfile: 'Dockerfile',
    })
  const adapterRef = images.find((i) => i.name === 'stdio-adapter')!.ref
  for (const rt of [...registry.runtimes.values()].sort((a, b) => a.name.localeCompare(b.name))) if (rt.package) images.push(packageImage(rt, registry, adapterRef))
  return images
}

/** A build-context listing of exactly these files (no .dockerignore: the list is the context). */
export function listingOf(image: OwnImage): ContextListing {
  const entries = image.files.map((path) => {
    const st = lstatSync(join(image.contextDir, path))
    return {path, type: 'file' as const, mode: st.mode & 0o7777, size: st.size, mtime: st.mtime}
  })
  return {dir: image.contextDir, entries, dockerignore: false, files: entries.length, bytes: entries.reduce((n, e) => n + e.size, 0)}
}
