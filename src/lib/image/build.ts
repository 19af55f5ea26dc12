// `kaos mcp build`: pick or generate the Dockerfile, pack the context, build with the Docker
// Engine API, record the build, and optionally push it or load it into kind.
import {existsSync, readFileSync, statSync} from 'node:fs'
import {join, relative, resolve, sep} from 'node:path'

import {invalid} from '../errors.js'
import {packageRoot} from '../package-root.js'
import {writeFiles} from '../files.js'
import {imageProblem} from '../k8s-values.js'
import {
  type ProjectType,
  detectProject,
  generateDockerfile,
  imageReference,
  parseBuildArgs,
  projectName,
  registryHost,
  resolveFastmcpPath,
} from './project.js'
import {chooseKindCluster} from './kind-cluster.js'
import {type BuildRecord, writeBuildRecord} from './record.js'

/** What `kaos mcp build` returns (and prints with --json). */
export interface McpBuildResult {
  name: string
  /** The image reference built (and pushed / loaded). */
  image: string
  imageId: string
  project?: ProjectType
  /** `generated`, or the Dockerfile's path relative to the project. */
  dockerfile: string
  context: {files: number; bytes: number; dockerignore: boolean; packMs: number}
  pushed?: {registry: string; digest?: string; credentials: string}
  kindLoaded?: {cluster: string}
  /** The build record written for `kaos mcp deploy` (absolute path). */
  record: string
  durationMs: number
}

export interface BuildOptions {
  path: string
  name?: string
  tag?: string
  /** Image registry and namespace to prefix. */
  registry?: string
  fastmcpPath?: string
  dockerfile?: string
  createDockerfile?: boolean
  baseImage?: string
  platform?: string
  buildArgs?: string[]
  push?: boolean
  kindLoad?: boolean
  kindCluster?: string
  kubeconfig?: string
  context?: string
  timeoutMs?: number
}

/** A base image for the generated Dockerfile must be one reference: a newline would add Dockerfile lines. */
function checkBaseImage(baseImage: string | undefined): void {
  const problem = baseImage === undefined ? undefined : imageProblem(baseImage)
  if (problem) throw invalid(`--base-image ${JSON.stringify(baseImage)} ${problem}`, ['Give one image reference, e.g. --base-image python:3.13-slim-bookworm.'])
}

/** What `kaos mcp build --create-dockerfile` returns: the Dockerfile written, and no build. */
export interface CreateDockerfileResult {
  dockerfile: string
  project: ProjectType
}

/**
 * Write the Dockerfile a build would generate into the project, and stop: the user edits it, and
 * the next `kaos mcp build` uses it. Never overwrites an existing Dockerfile.
 */
export function createDockerfile(opts: Pick<BuildOptions, 'path' | 'fastmcpPath' | 'baseImage' | 'dockerfile'>): CreateDockerfileResult {
  if (opts.dockerfile) throw invalid('--create-dockerfile writes a generated Dockerfile; it cannot be combined with --dockerfile')
  checkBaseImage(opts.baseImage)
  const dir = resolve(opts.path)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw invalid(`--path ${opts.path} is not a folder`)
  const info = detectProject(dir)
  if (!info.type) throw invalid(`no pyproject.toml, requirements.txt or package.json in ${dir}: kaos generates Dockerfiles for Python and TypeScript projects`, ['Create a project with `kaos mcp init NAME`.'])
  const path = join(dir, 'Dockerfile')
  if (info.dockerfile) throw invalid(`refusing to overwrite ${join(relative(process.cwd(), dir) || '.', 'Dockerfile')} with --create-dockerfile`, ['Delete it first, or build with it (omit --create-dockerfile).'])
  const fastmcpPath = info.type === 'python' ? resolveFastmcpPath(dir, opts.fastmcpPath) : undefined
  const text = generateDockerfile(info.type, {baseImage: opts.baseImage, fastmcpPath, manifest: info.manifest, main: info.main})
  writeFiles([{path, content: text}], {what: '--create-dockerfile'})
  return {dockerfile: path, project: info.type}
}

/** Where kaos puts a Dockerfile it adds to the context (like the docker CLI's `.dockerfile.<id>`). */
const INJECTED_DOCKERFILE = '.kaos.Dockerfile'

/**
 * Build a project's image. Progress and build output go to `hooks.note` (stderr); problems with
 * the input are invalid-input errors before the engine is contacted; engine failures are exit 9.
 */
export async function buildProject(opts: BuildOptions, hooks: {note: (line: string) => void; warn: (line: string) => void}): Promise<McpBuildResult> {
  const started = Date.now()
  if (opts.createDockerfile) throw new Error('buildProject: --create-dockerfile is createDockerfile()\'s job')
  checkBaseImage(opts.baseImage)
  const flags = {
    path: opts.path,
    name: opts.name,
    tag: opts.tag,
    registry: opts.registry,
    'fastmcp-path': opts.fastmcpPath,
    dockerfile: opts.dockerfile,
    'create-dockerfile': opts.createDockerfile,
    'base-image': opts.baseImage,
    platform: opts.platform,
    'build-arg': opts.buildArgs,
    push: opts.push,
    'kind-load': opts.kindLoad,
    'kind-cluster': opts.kindCluster,
    kubeconfig: opts.kubeconfig,
    context: opts.context,
  }
  const dir = resolve(flags.path)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw invalid(`--path ${flags.path} is not a folder`)
  const info = detectProject(dir)
  const buildargs = parseBuildArgs(flags['build-arg'])
  const name = projectName(info, flags.name)

  // Which Dockerfile: --dockerfile, else the project's, else generated.
  let dockerfileText: string | undefined
  let dockerfileLabel: string
  let dockerfileInContext: string | undefined
  if (flags.dockerfile) {
    const abs = resolve(flags.dockerfile)
    if (!existsSync(abs)) throw invalid(`--dockerfile ${flags.dockerfile} does not exist`)
    const rel = relative(dir, abs)
    dockerfileLabel = rel.startsWith('..') ? abs : rel
    if (rel.startsWith('..') || rel.split(sep)[0] === '.kaos') dockerfileText = readFileSync(abs, 'utf8')
    else dockerfileInContext = rel.split(sep).join('/')
  } else if (info.dockerfile) {
    dockerfileInContext = info.dockerfile
    dockerfileLabel = info.dockerfile
    if (flags['base-image'] || flags['fastmcp-path']) hooks.warn(`--base-image and --fastmcp-path only apply to a generated Dockerfile; ${info.dockerfile} is used as is`)
  } else {
    if (!info.type) throw invalid(`no pyproject.toml, requirements.txt, package.json or Dockerfile in ${dir}`, ['Create a project with `kaos mcp init NAME`, or give a Dockerfile with --dockerfile.'])
    const fastmcpPath = info.type === 'python' ? resolveFastmcpPath(dir, flags['fastmcp-path']) : undefined
    dockerfileText = generateDockerfile(info.type, {baseImage: flags['base-image'], fastmcpPath, manifest: info.manifest, main: info.main})
    dockerfileLabel = 'generated'
  }

  // The heavy part (dockerode, tar) is loaded only now.
  const [{connectDocker, buildImage, pushImage, registryAuth, kindLoad}, {listContext, contextHash, contextMatcher, packContext}] = await Promise.all([
    import('./docker.js'),
    import('./context.js'),
  ])
  if (dockerfileInContext && contextMatcher(dir).ignores(dockerfileInContext)) {
    // Docker sends an ignored Dockerfile anyway; so does kaos, under its own name.
    dockerfileText = readFileSync(join(dir, dockerfileInContext), 'utf8')
    dockerfileInContext = undefined
  }
  const extra = dockerfileText === undefined ? [] : [{path: INJECTED_DOCKERFILE, content: dockerfileText}]

  const packStarted = Date.now()
  const listing = listContext(dir)
  const version = flags.tag ? undefined : info.version
  const image = imageReference({
    name,
    tag: flags.tag,
    version,
    registry: flags.registry,
    contextHash: flags.tag || version ? undefined : contextHash(listing, extra),
  })
  const problem = imageProblem(image)
  if (problem) throw invalid(`the image reference ${JSON.stringify(image)} ${problem}`, ['Check --image-registry, --name and --tag.'])
  const host = registryHost(image)
  if (flags.push && !host)
    throw invalid(`--push needs a registry to push ${image} to`, ['Add --image-registry HOST[/NAMESPACE], e.g. --image-registry localhost:5001 or --image-registry ghcr.io/acme.'])

  const docker = await connectDocker()
  const packed = packContext(listing, extra)
  const echo = (line: string) => hooks.note(line)
  hooks.note(`building ${image} from ${relative(process.cwd(), dir) || '.'} (${listing.files} files, Dockerfile: ${dockerfileLabel})`)
  const built = await buildImage(docker, {
    context: packed.stream,
    tag: image,
    dockerfile: dockerfileInContext ?? INJECTED_DOCKERFILE,
    buildargs,
    platform: flags.platform,
    timeoutMs: opts.timeoutMs,
    onLine: echo,
  })
  const {bytes} = await packed.done.catch(() => ({bytes: 0}))
  const packMs = Date.now() - packStarted

  const record: BuildRecord = {version: 1, name, image, imageId: built.imageId, builtAt: new Date().toISOString(), ...(info.type ? {project: info.type} : {})}
  const result: McpBuildResult = {
    name,
    image,
    imageId: built.imageId,
    ...(info.type ? {project: info.type} : {}),
    dockerfile: dockerfileLabel,
    context: {files: listing.files, bytes, dockerignore: listing.dockerignore, packMs},
    record: '',
    durationMs: 0,
  }
  // Record the build before push/load, so a failed push still leaves a deployable local record.
  result.record = writeBuildRecord(dir, record)

  if (flags.push && host) {
    const creds = await registryAuth(host)
    hooks.note(`pushing ${image} (credentials: ${creds?.source ?? 'none'})`)
    const pushed = await pushImage(docker, image, host, {auth: creds?.auth, credentials: creds?.source, onLine: echo})
    result.pushed = {registry: host, ...(pushed.digest ? {digest: pushed.digest} : {}), credentials: pushed.credentials}
    record.digest = pushed.digest
    writeBuildRecord(dir, record)
  }
  if (flags['kind-load']) {
    const {cluster, from} = await chooseKindCluster({flag: flags['kind-cluster'], context: flags.context, kubeconfig: flags.kubeconfig})
    hooks.note(`loading ${image} into kind cluster "${cluster}" (from ${from})`)
    await kindLoad(docker, image, cluster, {onLine: echo})
    result.kindLoaded = {cluster}
    record.kindCluster = cluster
    writeBuildRecord(dir, record)
  }
  result.durationMs = Date.now() - started
  return result
}

export interface PackageBuildOptions {
  /** `npx://PACKAGE@VERSION` or `uvx://PACKAGE@VERSION`. */
  from: string
  /** Where the build record goes (the project folder; default the current one). */
  path: string
  name?: string
  tag?: string
  /** Image registry and namespace to prefix. */
  registry?: string
  /** The package's executable, when it has several. */
  bin?: string
  baseImage?: string
  platform?: string
  push?: boolean
  kindLoad?: boolean
  kindCluster?: string
  kubeconfig?: string
  context?: string
  timeoutMs?: number
  /** The merged runtime registry: where kaos's own adapter image lives. */
  runtimes: import('../registry.js').Registry
}

/** A name for the image and the MCPServer from a package: its last path segment, DNS-1123. */
export function packageImageName(pkg: string): string {
  const base = pkg.split('/').pop()!.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '')
  return base.slice(0, 53) || 'mcp-server'
}

/**
 * `kaos mcp build --from npx://PKG@VER | uvx://PKG@VER`: the package installed at build time (never
 * at pod start) behind kaos's stdio adapter, served as streamable HTTP on :8000/mcp. The adapter
 * image is built first when the engine does not have it.
 */
export async function buildFromPackage(opts: PackageBuildOptions, hooks: {note: (line: string) => void; warn: (line: string) => void}): Promise<McpBuildResult> {
  const started = Date.now()
  const [{parsePackageSource, ownImages, listingOf}, {ownImageRef}] = await Promise.all([import('./own-images.js'), import('../registry.js')])
  const {tool, pkg, version} = parsePackageSource(opts.from)
  const dir = resolve(opts.path)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw invalid(`--path ${opts.path} is not a folder`)
  const name = opts.name ?? packageImageName(pkg)
  const image = imageReference({name, tag: opts.tag, version, registry: opts.registry})
  const host = registryHost(image)
  if (opts.push && !host) throw invalid(`--push needs a registry to push ${image} to`, ['Add --image-registry HOST[/NAMESPACE], e.g. --image-registry localhost:5001 or --image-registry ghcr.io/acme.'])
  const adapterRef = ownImageRef('stdio-adapter', opts.runtimes.defaults.imageRegistry)
  const [docker, context] = await Promise.all([import('./docker.js'), import('./context.js')])
  const engine = await docker.connectDocker()
  if (!(await docker.localImage(engine, adapterRef))) {
    const adapter = ownImages(opts.runtimes).find((i) => i.name === 'stdio-adapter')!
    hooks.note(`building kaos's stdio adapter ${adapterRef} first (the image is built FROM it)`)
    await docker.buildImage(engine, {context: context.packContext(listingOf(adapter)).stream, tag: adapter.ref, dockerfile: adapter.dockerfile, platform: opts.platform, timeoutMs: opts.timeoutMs, onLine: hooks.note})
  }
  const tdir = join(packageRoot(), 'runtimes', 'stdio-adapter', 'templates')
  const template = tool === 'npx' ? 'npx.Dockerfile' : 'uvx.Dockerfile'
  const listing = {dir: tdir, entries: [{path: template, type: 'file' as const, mode: 0o644, size: statSync(join(tdir, template)).size, mtime: new Date(0)}], dockerignore: false, files: 1, bytes: 0}
  const buildargs: Record<string, string> = {
    PACKAGE: pkg,
    VERSION: version,
    ADAPTER_IMAGE: adapterRef,
    ...(opts.bin ? {BIN: opts.bin} : {}),
    ...(opts.baseImage ? {[tool === 'npx' ? 'NODE_IMAGE' : 'PYTHON_IMAGE']: opts.baseImage} : {}),
  }
  hooks.note(`building ${image} from ${opts.from} (${tool === 'npx' ? 'npm' : 'PyPI'}), behind the stdio adapter`)
  const packed = context.packContext(listing)
  const built = await docker.buildImage(engine, {context: packed.stream, tag: image, dockerfile: template, buildargs, platform: opts.platform, timeoutMs: opts.timeoutMs, onLine: hooks.note})
  const {bytes} = await packed.done.catch(() => ({bytes: 0}))
  const record: BuildRecord = {version: 1, name, image, imageId: built.imageId, builtAt: new Date().toISOString(), source: opts.from}
  const result: McpBuildResult = {name, image, imageId: built.imageId, dockerfile: `template ${template}`, context: {files: 1, bytes, dockerignore: false, packMs: 0}, record: writeBuildRecord(dir, record), durationMs: 0}
  if (opts.push && host) {
    const creds = await docker.registryAuth(host)
    hooks.note(`pushing ${image} (credentials: ${creds?.source ?? 'none'})`)
    const pushed = await docker.pushImage(engine, image, host, {auth: creds?.auth, credentials: creds?.source, onLine: hooks.note})
    result.pushed = {registry: host, ...(pushed.digest ? {digest: pushed.digest} : {}), credentials: pushed.credentials}
    record.digest = pushed.digest
    writeBuildRecord(dir, record)
  }
  if (opts.kindLoad) {
    const {cluster, from} = await chooseKindCluster({flag: opts.kindCluster, context: opts.context, kubeconfig: opts.kubeconfig})
    hooks.note(`loading ${image} into kind cluster "${cluster}" (from ${from})`)
    await docker.kindLoad(engine, image, cluster, {onLine: hooks.note})
    result.kindLoaded = {cluster}
    record.kindCluster = cluster
    writeBuildRecord(dir, record)
  }
  result.durationMs = Date.now() - started
  return result
}
