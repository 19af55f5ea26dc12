import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../../cli/base-command.js'
import {table} from '../../../cli/format/table.js'
import {parseDuration} from '../../../lib/duration.js'
import type {BuiltImage} from '../../../lib/system/images.js'

export default class SystemImagesBuild extends KaosCommand<typeof SystemImagesBuild> {
  static summary = "Build kaos's own images (rawpython, the stdio adapter, the gateway, stdio runtimes), then push them or load them into kind"
  static description = `kaos publishes no images: it builds its own, from build contexts shipped with it, through the Docker Engine API (Docker, or podman's Docker-compatible service; DOCKER_HOST is honoured). Each is tagged <image registry>/kaos-<name>:<kaos version> — the image registry is kaos.local until you choose one (--image-registry, a registry file's defaults.imageRegistry, or the cluster's, set by \`kaos system install --image-registry\`).

For kind: --kind-load loads each image into the cluster's nodes. For a remote cluster: --push --image-registry REG, then \`kaos system install --image-registry REG\` so every user of the cluster renders REG/…. Build output goes to stderr.`
  static examples = [
    {description: 'Everything, into the kind cluster "dev"', command: '<%= config.bin %> <%= command.id %> --kind-load --kind-cluster dev'},
    {description: 'Push to a registry the cluster pulls from', command: '<%= config.bin %> <%= command.id %> --push --image-registry ghcr.io/acme'},
    {description: 'Only rawpython', command: '<%= config.bin %> <%= command.id %> rawpython --kind-load'},
  ]
  static strict = false
  static args = {images: Args.string({description: 'Images to build (default: all; see `kaos system images list`)'})}
  static flags = {
    'image-registry': Flags.string({description: 'Registry (and path) to name the images under, e.g. ghcr.io/acme or localhost:5001'}),
    push: Flags.boolean({description: 'Push each image to its registry (credentials from ~/.docker/config.json)'}),
    'kind-load': Flags.boolean({description: 'Load each image into a kind cluster (needs the kind CLI)'}),
    'kind-cluster': Flags.string({description: 'kind cluster for --kind-load (default: the kube context\'s kind cluster, else the only one, else "kind")'}),
    platform: Flags.string({description: 'Target platform, e.g. linux/amd64 or linux/arm64'}),
    timeout: Flags.string({description: 'Bound on each image build', default: '30m'}),
  }

  async run(): Promise<{images: BuiltImage[]}> {
    const {flags} = this
    const only = (this.argv.filter((a) => !a.startsWith('-') && !Object.values(flags).includes(a)) as string[]).filter(Boolean)
    const timeoutMs = parseDuration(flags.timeout)
    const registry = await this.registry([], flags['image-registry'])
    const {buildOwnImages} = await import('../../../lib/system/images.js')
    let kindCluster = flags['kind-cluster']
    if (flags['kind-load'] && !kindCluster) {
      const {chooseKindCluster} = await import('../../../lib/image/kind-cluster.js')
      const chosen = await chooseKindCluster({context: flags.context, kubeconfig: flags.kubeconfig})
      kindCluster = chosen.cluster
      this.note(`kind cluster "${chosen.cluster}" (from ${chosen.from})`)
    }
    const images = await buildOwnImages({
      registry,
      only,
      push: flags.push,
      kindLoad: flags['kind-load'],
      kindCluster,
      platform: flags.platform,
      timeoutMs,
      onLine: (l) => this.note(l),
    })
    if (!this.jsonEnabled())
      this.log(
        table(
          ['IMAGE', 'REFERENCE', 'ID', 'PUSHED', 'KIND'],
          images.map((i) => [i.name, i.ref, i.imageId.replace(/^sha256:/, '').slice(0, 12), i.pushed ? i.pushed.registry : '-', i.kindLoaded?.cluster ?? '-']),
        ),
      )
    return {images}
  }
}
