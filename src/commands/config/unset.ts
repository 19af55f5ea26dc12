import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../cli/base-command.js'

export default class ConfigUnset extends KaosCommand<typeof ConfigUnset> {
  static summary = 'Remove one configuration key from the nearest .kaos-config.yaml, or the user config'
  static examples = ['<%= config.bin %> <%= command.id %> namespace', '<%= config.bin %> <%= command.id %> image-registry --global']
  static args = {key: Args.string({description: 'The key', required: true})}
  static flags = {global: Flags.boolean({description: 'Edit the user config, even inside a project that has a .kaos-config.yaml'})}
  protected static readsConfig = false

  async run(): Promise<{file: string; key: string}> {
    const {configTarget, writeConfigValue} = await import('../../lib/config.js')
    const file = configTarget(process.cwd(), this.flags.global)
    await writeConfigValue(file, this.args.key, undefined, process.cwd())
    this.note(`unset ${this.args.key} in ${file}`)
    return {file, key: this.args.key}
  }
}
