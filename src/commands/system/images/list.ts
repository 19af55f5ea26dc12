import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../../cli/base-command.js'
import {table} from '../../../cli/format/table.js'
import type {ImagePresence} from '../../../lib/system/images.js'

const where = (v: unknown): string => (v === true ? 'yes' : v === false ? 'no' : v === 'not applicable' ? '-' : typeof v === 'object' && v && 'unknown' in v ? '?' : String(v))

export default class SystemImagesList extends KaosCommand<typeof SystemImagesList> {
  static summary = "kaos's own images: the reference the registry expects, and where each is present"
  static description = `For each image kaos builds for itself (\`kaos system images build\`): the reference deploys render (<image registry>/kaos-<name>:<kaos version>), whether the local Docker engine has it, which cluster nodes hold it (node status.images), and whether its registry serves it (not asked for kaos.local, which no registry serves). Unknown answers (no engine, no cluster) are "?" in the table and explained in --json.`
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --image-registry ghcr.io/acme --json']
  static flags = {
    'image-registry': Flags.string({description: 'Registry (and path) the images are named under (default: the cluster\'s, else kaos.local)'}),
    'system-namespace': Flags.string({description: 'Namespace of the kaos-mcp-runtimes ConfigMap', default: 'kaos-system'}),
    output: Flags.string({char: 'o', description: 'Output format', options: ['table', 'json', 'yaml'], default: 'table'}),
  }

  async run(): Promise<{images: ImagePresence[]; kindCluster?: string}> {
    const {flags} = this
    const {clusterSourcesQuietly} = await import('../../../lib/cluster/registry-configmap.js')
    const cluster = await this.connect({retries: 0}).catch(() => undefined)
    const registry = await this.registry(cluster ? await clusterSourcesQuietly(cluster, flags['system-namespace']) : [], flags['image-registry'])
    const {listOwnImages} = await import('../../../lib/system/images.js')
    const result = await listOwnImages({registry, cluster: cluster ? async () => cluster : undefined})
    if (this.jsonEnabled()) return result
    if (flags.output === 'json' || flags.output === 'yaml') await this.printStructured(result, flags.output)
    else
      this.log(
        table(
          ['IMAGE', 'REFERENCE', 'LOCAL', 'NODES', 'REGISTRY'],
          result.images.map((i) => [i.name, i.ref, i.local && 'id' in i.local ? i.local.id.replace(/^sha256:/, '').slice(0, 12) : where(i.local), Array.isArray(i.nodes) ? i.nodes.join(',') || 'none' : '?', where(i.registry)]),
        ),
      )
    return result
  }
}
