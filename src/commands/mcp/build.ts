import * as Flags from '@oclif/core/flags'
import {relative} from 'node:path'

import {KaosCommand} from '../../cli/base-command.js'
import type {CreateDockerfileResult, McpBuildResult} from '../../lib/image/build.js'
import {DEFAULT_BASE_IMAGES} from '../../lib/image/project.js'
import {parseDuration} from '../../lib/duration.js'
import {invalid} from '../../lib/errors.js'

const buildFlags = {
  path: Flags.string({char: 'p', description: 'Project folder (the build context)', default: '.'}),
  name: Flags.string({description: 'Server and image name (default: the pyproject.toml / package.json name)'}),
  tag: Flags.string({description: 'Image tag (default: the project version, else sha-<context hash>; never latest)'}),
  // Not --registry: that names runtime registry files on every kaos command.
  'image-registry': Flags.string({description: 'Image registry and namespace to prefix, e.g. localhost:5001 or ghcr.io/acme'}),
  'fastmcp-path': Flags.string({description: 'Python: module:object of the FastMCP server (default: server:mcp, main:mcp or app:mcp)'}),
  dockerfile: Flags.string({char: 'f', description: 'Dockerfile to build with (default: the project\'s Dockerfile, else a generated one)'}),
  'create-dockerfile': Flags.boolean({description: 'Write the generated Dockerfile into the project and stop, without building (refuses to overwrite one)'}),
  'base-image': Flags.string({description: `Base image of the generated Dockerfile (default: ${DEFAULT_BASE_IMAGES.python} / ${DEFAULT_BASE_IMAGES.typescript})`}),
  platform: Flags.string({description: 'Target platform, e.g. linux/amd64 or linux/arm64'}),
  'build-arg': Flags.string({description: 'Build argument KEY=VALUE (repeatable)', multiple: true}),
  push: Flags.boolean({description: 'Push the image (needs --image-registry); credentials from ~/.docker/config.json'}),
  'kind-load': Flags.boolean({description: 'Load the image into a kind cluster (needs the kind CLI)'}),
  'kind-cluster': Flags.string({description: 'kind cluster for --kind-load (default: the kube context\'s kind cluster, else the only one, else "kind")'}),
  from: Flags.string({description: 'Build a stdio MCP server package instead of a project: npx://PACKAGE@VERSION or uvx://PACKAGE@VERSION (exact version), behind kaos\'s stdio adapter'}),
  bin: Flags.string({description: 'With --from: the package\'s executable, when it has several'}),
  timeout: Flags.string({description: 'Bound on the build (an engine that stops answering fails it)', default: '30m'}),
}

export default class McpBuild extends KaosCommand<typeof McpBuild> {
  static summary = 'Build an MCP server image from a project (and push it, or load it into kind)'
  static description = `Builds the project in --path with the Docker engine API (Docker, or podman's Docker-compatible service; DOCKER_HOST is honoured). Without a Dockerfile, kaos generates one: a pinned slim base, dependencies from pyproject.toml (or package.json) in their own cached layer, a non-root user, and streamable HTTP on 0.0.0.0:8000 at /mcp with the Host allowlist configured for Kubernetes.

The build context honours .dockerignore; kaos's own .kaos/ folder is never sent. The image is tagged <name>:<version> (pyproject.toml / package.json), or <name>:sha-<context hash> without a version; never "latest". The result is recorded in .kaos/build.json, so \`kaos mcp deploy\` run in the project folder without NAME or -f deploys it (runtime custom, imagePullPolicy IfNotPresent).

Build output streams to stderr; stdout gets the image reference (or the --json result).`
  static examples = [
    {description: 'Build the project in the current folder', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Build and load into the kind cluster of the current context, then deploy', command: '<%= config.bin %> <%= command.id %> --kind-load && <%= config.bin %> mcp deploy --wait'},
    {description: 'Build and push to a registry', command: '<%= config.bin %> <%= command.id %> --path services/calc --image-registry ghcr.io/acme --tag 1.2.0 --push'},
    {description: 'A FastMCP object that is not server:mcp, on another base image', command: '<%= config.bin %> <%= command.id %> --fastmcp-path app.main:server --base-image python:3.13-slim-bookworm'},
    {description: 'Write the generated Dockerfile into the project to customise it (no build)', command: '<%= config.bin %> <%= command.id %> --create-dockerfile'},
  ]
  static flags = buildFlags

  async run(): Promise<McpBuildResult | CreateDockerfileResult> {
    const {flags} = this
    if (flags.registry)
      throw invalid('kaos mcp build uses no runtime registry: --registry names runtime registry files on every kaos command', [
        `For the image registry use --image-registry ${flags.registry.join(' ')}`,
      ])
    const {buildProject, buildFromPackage, createDockerfile} = await import('../../lib/image/build.js')
    const timeoutMs = parseDuration(flags.timeout)
    if (flags.from) {
      const projectOnly = (['dockerfile', 'create-dockerfile', 'fastmcp-path', 'build-arg'] as const).filter((f) => flags[f] !== undefined && flags[f] !== false)
      if (projectOnly.length > 0) throw invalid(`--${projectOnly[0]} builds a project; it cannot be combined with --from`, ['Drop it, or build the project without --from.'])
    } else if (flags.bin) throw invalid('--bin goes with --from')
    if (flags['create-dockerfile']) {
      const action = flags.push ? '--push' : flags['kind-load'] ? '--kind-load' : undefined
      if (action) throw invalid(`--create-dockerfile writes the Dockerfile and stops; it cannot be combined with ${action}`, [`Run kaos mcp build ${action} after it.`])
      const created = createDockerfile({path: flags.path, fastmcpPath: flags['fastmcp-path'], baseImage: flags['base-image'], dockerfile: flags.dockerfile})
      const shown = relative(process.cwd(), created.dockerfile) || created.dockerfile
      this.note(`wrote ${shown}; edit it if you like, then build with: kaos mcp build${flags.path === '.' ? '' : ` --path ${flags.path}`}`)
      if (!this.jsonEnabled()) this.log(shown)
      return created
    }
    const hooks = {note: (line: string) => this.note(line), warn: (line: string) => this.warn(line)}
    const result = flags.from
      ? await buildFromPackage(
          {
            from: flags.from,
            path: flags.path,
            name: flags.name,
            tag: flags.tag,
            registry: flags['image-registry'],
            bin: flags.bin,
            baseImage: flags['base-image'],
            platform: flags.platform,
            push: flags.push,
            kindLoad: flags['kind-load'],
            kindCluster: flags['kind-cluster'],
            kubeconfig: flags.kubeconfig,
            context: flags.context,
            timeoutMs,
            runtimes: await this.runtimeRegistry(),
          },
          hooks,
        )
      : await buildProject(
      {
        path: flags.path,
        name: flags.name,
        tag: flags.tag,
        registry: flags['image-registry'],
        fastmcpPath: flags['fastmcp-path'],
        dockerfile: flags.dockerfile,
        baseImage: flags['base-image'],
        platform: flags.platform,
        buildArgs: flags['build-arg'],
        push: flags.push,
        kindLoad: flags['kind-load'],
        kindCluster: flags['kind-cluster'],
        kubeconfig: flags.kubeconfig,
        context: flags.context,
        timeoutMs,
      },
      hooks,
    )
    if (!this.jsonEnabled()) {
      this.note(`built ${result.image} (${result.imageId.replace(/^sha256:/, '').slice(0, 12)}) in ${(result.durationMs / 1000).toFixed(1)} s; recorded in ${relative(process.cwd(), result.record)}`)
      this.log(result.image)
    }
    return result
  }

  /** The runtime registry without --registry (here the image registry): where kaos's adapter image lives. */
  private async runtimeRegistry() {
    const [{pluginRegistrySources}, {loadRegistry}] = await Promise.all([import('../../lib/plugin-runtimes.js'), import('../../lib/registry.js')])
    const plugins = await pluginRegistrySources(this.config)
    return loadRegistry({extraSources: plugins.sources, warnings: plugins.warnings})
  }
}
