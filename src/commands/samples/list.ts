import {KaosCommand} from '../../cli/base-command.js'
import {table} from '../../cli/format/table.js'
import type {SampleSummary} from '../../lib/samples.js'

export default class SamplesList extends KaosCommand<typeof SamplesList> {
  static summary = 'List the samples kaos ships: ready-to-deploy kaos YAML files'
  static description = 'Each sample is an ordinary kaos YAML file (see `kaos samples show NAME`) that `kaos samples deploy NAME` applies, with what it needs beyond the file (a Secret from flags, RBAC).'
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<{items: SampleSummary[]}> {
    const {summarizeSamples} = await import('../../lib/samples.js')
    const items = summarizeSamples()
    if (!this.jsonEnabled())
      this.log(table(['NAME', 'DOCUMENTS', 'DESCRIPTION'], items.map((s) => [s.name, s.documents.map((d) => `${d.kind}/${d.name}`).join(', '), s.description])))
    return {items}
  }
}
