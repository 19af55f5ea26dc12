import * as Args from '@oclif/core/args'

import {KaosCommand} from '../../cli/base-command.js'

export default class SamplesShow extends KaosCommand<typeof SamplesShow> {
  static summary = 'Print a sample\'s YAML file, to read or copy'
  static examples = ['<%= config.bin %> <%= command.id %> calculator', '<%= config.bin %> <%= command.id %> agent-network > team.yaml && kaos apply -f team.yaml']
  static args = {name: Args.string({description: 'Sample name (see `kaos samples list`)', required: true})}

  async run(): Promise<{name: string; file: string; text: string}> {
    const {findSample, sampleFile, sampleText} = await import('../../lib/samples.js')
    const sample = findSample(this.args.name)
    const text = sampleText(sample)
    if (!this.jsonEnabled()) process.stdout.write(text)
    return {name: sample.name, file: sampleFile(sample), text}
  }
}
