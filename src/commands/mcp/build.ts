import {Flags, type Interfaces} from '@oclif/core'
import {existsSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join, relative, resolve, sep} from 'node:path'

import {KaosCommand} from '../../base-command.js'
import {
  type ProjectType,
  DEFAULT_BASE_IMAGES,
  detectProject,
  generateDockerfile,
  imageReference,
  kindClusterName,
  parseBuildArgs,
  projectName,
  registryHost,
  resolveFastmcpPath,
} from '../../lib/build/project.js'
import {type BuildRecord, writeBuildRecord} from '../../lib/build/record.js'
import {invalid} from '../../lib/errors.js'

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

/** Where kaos puts a Dockerfile it adds to the context (like the docker CLI's `.dockerfile.<id>`). */
const INJECTED_DOCKERFILE = '.kaos.Dockerfile'

const buildFlags = {
  path: Flags.string({char: 'p', description: 'Project folder (the build context)', default: '.'}),
  name: Flags.string({description: 'Server and image name (default: the pyproject.toml / package.json name)'}),
  tag: Flags.string({description: 'Image tag (default: the project version, else sha-<context hash>; never latest)'}),
  // Overrides the global --registry (runtime registry files), which a build does not use.
  registry: Flags.string({description: 'Image registry and namespace to prefix, e.g. localhost:5001 or ghcr.io/acme'}),
  'fastmcp-path': Flags.string({description: 'Python: module:object of the FastMCP server (default: server:mcp, main:mcp or app:mcp)'}),
  dockerfile: Flags.string({char: 'f', description: 'Dockerfile to build with (default: the project\'s Dockerfile, else a generated one)'}),
  'create-dockerfile': Flags.boolean({description: 'Write the generated Dockerfile into the project (refuses to overwrite one)'}),
  'base-image': Flags.string({description: `Base image of the generated Dockerfile (default: ${DEFAULT_BASE_IMAGES.python} / ${DEFAULT_BASE_IMAGES.typescript})`}),
  platform: Flags.string({description: 'Target platform, e.g. linux/amd64 or linux/arm64'}),
  'build-arg': Flags.string({description: 'Build argument KEY=VALUE (repeatable)', multiple: true}),
  push: Flags.boolean({description: 'Push the image (needs --registry); credentials from ~/.docker/config.json'}),
  'kind-load': Flags.boolean({description: 'Load the image into a kind cluster (needs the kind CLI)'}),
  'kind-cluster': Flags.string({description: 'kind cluster for --kind-load (default: from a kind-<name> kube context, else "kind")'}),
}

/** The parsed flags: the global --registry (runtime registry files) is replaced by the image registry. */
type BuildFlags = Interfaces.InferredFlags<Omit<(typeof KaosCommand)['baseFlags'], 'registry'> & typeof buildFlags>

export default class McpBuild extends KaosCommand<typeof McpBuild> {
  static summary = 'Build an MCP server image from a project (and push it, or load it into kind)'
  static description = `Builds the project in --path with the Docker engine API (Docker, or podman's Docker-compatible service; DOCKER_HOST is honoured). Without a Dockerfile, kaos generates one: a pinned slim base, dependencies from pyproject.toml (or package.json) in their own cached layer, a non-root user, and streamable HTTP on 0.0.0.0:8000 at /mcp with the Host allowlist configured for Kubernetes.

The build context honours .dockerignore; kaos's own .kaos/ folder is never sent. The image is tagged <name>:<version> (pyproject.toml / package.json), or <name>:sha-<context hash> without a version; never "latest". The result is recorded in .kaos/build.json, so \`kaos mcp deploy\` run in the project folder without NAME or -f deploys it (runtime custom, imagePullPolicy IfNotPresent).

Build output streams to stderr; stdout gets the image reference (or the --json result).`
  static examples = [
    {description: 'Build the project in the current folder', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Build and load into the kind cluster of the current context, then deploy', command: '<%= config.bin %> <%= command.id %> --kind-load && <%= config.bin %> mcp deploy --wait'},
    {description: 'Build and push to a registry', command: '<%= config.bin %> <%= command.id %> --path services/calc --registry ghcr.io/acme --tag 1.2.0 --push'},
    {description: 'A FastMCP object that is not server:mcp, on another base image', command: '<%= config.bin %> <%= command.id %> --fastmcp-path app.main:server --base-image python:3.13-slim-bookworm'},
    {description: 'Write the generated Dockerfile into the project to customise it', command: '<%= config.bin %> <%= command.id %> --create-dockerfile'},
  ]
  static flags = buildFlags

  async run(): Promise<McpBuildResult> {
    const started = Date.now()
    const flags = this.flags as unknown as BuildFlags
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
      if (flags['create-dockerfile']) throw invalid('--create-dockerfile writes a generated Dockerfile; it cannot be combined with --dockerfile')
      const rel = relative(dir, abs)
      dockerfileLabel = rel.startsWith('..') ? abs : rel
      if (rel.startsWith('..') || rel.split(sep)[0] === '.kaos') dockerfileText = readFileSync(abs, 'utf8')
      else dockerfileInContext = rel.split(sep).join('/')
    } else if (info.dockerfile && !flags['create-dockerfile']) {
      dockerfileInContext = info.dockerfile
      dockerfileLabel = info.dockerfile
      if (flags['base-image'] || flags['fastmcp-path']) this.warn(`--base-image and --fastmcp-path only apply to a generated Dockerfile; ${info.dockerfile} is used as is`)
    } else {
      if (!info.type) throw invalid(`no pyproject.toml, requirements.txt, package.json or Dockerfile in ${dir}`, ['Create a project with `kaos mcp init NAME`, or give a Dockerfile with --dockerfile.'])
      if (flags['create-dockerfile'] && info.dockerfile) throw invalid(`refusing to overwrite ${join(relative(process.cwd(), dir) || '.', 'Dockerfile')} with --create-dockerfile`, ['Delete it first, or build with it (omit --create-dockerfile).'])
      const fastmcpPath = info.type === 'python' ? resolveFastmcpPath(dir, flags['fastmcp-path']) : undefined
      dockerfileText = generateDockerfile(info.type, {baseImage: flags['base-image'], fastmcpPath, manifest: info.manifest, main: info.main})
      dockerfileLabel = 'generated'
      if (flags['create-dockerfile']) {
        writeFileSync(join(dir, 'Dockerfile'), dockerfileText)
        this.note(`wrote ${join(relative(process.cwd(), dir) || '.', 'Dockerfile')}`)
        dockerfileLabel = 'Dockerfile'
      }
    }

    // The heavy part (dockerode, tar) is loaded only now.
    const [{connectDocker, buildImage, pushImage, registryAuth, kindLoad}, {listContext, contextHash, contextMatcher, packContext}] = await Promise.all([
      import('../../lib/docker.js'),
      import('../../lib/build/context.js'),
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
    const host = registryHost(image)
    if (flags.push && !host) throw invalid(`--push needs a registry to push ${image} to`, ['Add --registry HOST[/NAMESPACE], e.g. --registry localhost:5001 or --registry ghcr.io/acme.'])

    const docker = await connectDocker()
    const packed = packContext(listing, extra)
    const echo = (line: string) => this.note(line)
    this.note(`building ${image} from ${relative(process.cwd(), dir) || '.'} (${listing.files} files, Dockerfile: ${dockerfileLabel})`)
    const built = await buildImage(docker, {
      context: packed.stream,
      tag: image,
      dockerfile: dockerfileInContext ?? INJECTED_DOCKERFILE,
      buildargs,
      platform: flags.platform,
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
      this.note(`pushing ${image} (credentials: ${creds?.source ?? 'none'})`)
      const pushed = await pushImage(docker, image, host, {auth: creds?.auth, credentials: creds?.source, onLine: echo})
      result.pushed = {registry: host, ...(pushed.digest ? {digest: pushed.digest} : {}), credentials: pushed.credentials}
      record.digest = pushed.digest
      writeBuildRecord(dir, record)
    }
    if (flags['kind-load']) {
      const kubeconfig = flags.kubeconfig ?? process.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config')
      const kubeconfigText = existsSync(kubeconfig) ? readFileSync(kubeconfig, 'utf8') : undefined
      const {cluster, from} = kindClusterName({flag: flags['kind-cluster'], context: flags.context, kubeconfigText})
      this.note(`loading ${image} into kind cluster "${cluster}" (from ${from})`)
      await kindLoad(docker, image, cluster, {onLine: echo})
      result.kindLoaded = {cluster}
      record.kindCluster = cluster
      writeBuildRecord(dir, record)
    }
    result.durationMs = Date.now() - started
    if (!this.jsonEnabled()) {
      this.note(`built ${image} (${built.imageId.replace(/^sha256:/, '').slice(0, 12)}) in ${(result.durationMs / 1000).toFixed(1)} s; recorded in ${relative(process.cwd(), result.record)}`)
      this.log(image)
    }
    return result
  }
}
