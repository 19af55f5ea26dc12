import {Flags} from '@oclif/core'
import {stringify} from 'yaml'

import {KaosCommand} from '../../base-command.js'
import {table} from '../../lib/output.js'
import type {Runtime} from '../../lib/registry.js'

export interface RuntimesResult {
  runtimes: Array<Runtime & {image?: string}>
  warnings: string[]
}

export default class SystemRuntimes extends KaosCommand<typeof SystemRuntimes> {
  static summary = 'List the MCP server runtimes kaos knows and where each comes from'
  static description = `Runtimes are merged from, later winning: the built-in registry, $KAOS_REGISTRY or ~/.config/kaos/runtimes.yaml, --registry files, the cluster ConfigMap kaos-mcp-runtimes, and plugins. SOURCE says which one each entry came from; SHADOWS which it replaced.`
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'With a team registry file, as JSON', command: '<%= config.bin %> <%= command.id %> --registry team-runtimes.yaml -o json'},
  ]
  static flags = {
    output: Flags.string({char: 'o', description: 'Output format', options: ['table', 'wide', 'json', 'yaml'], default: 'table'}),
  }

  async run(): Promise<RuntimesResult> {
    const registry = await this.registry()
    const runtimes = [...registry.runtimes.values()].sort((a, b) => a.name.localeCompare(b.name))
    const result = {runtimes, warnings: registry.warnings}
    this.warnAll(registry.warnings)
    if (this.jsonEnabled()) return result
    const fmt = this.flags.output
    if (fmt === 'json') this.log(JSON.stringify(runtimes, null, 2))
    else if (fmt === 'yaml') this.log(stringify(runtimes))
    else {
      const wide = fmt === 'wide'
      const headers = ['NAME', 'TYPE', 'TRANSPORT', 'SOURCE', ...(wide ? ['IMAGE', 'SHADOWS'] : []), 'DESCRIPTION']
      const rows = runtimes.map((r) => [
        r.name,
        r.type,
        r.transport,
        r.origin,
        ...(wide ? [r.image ?? '(container.image)', r.shadows.join(',') || '-'] : []),
        r.description,
      ])
      this.log(table(headers, rows))
    }
    return result
  }
}
