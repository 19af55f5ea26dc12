import * as Args from '@oclif/core/args'

import {KaosCommand} from '../../cli/base-command.js'
import type {ConfigValue} from '../../lib/config.js'

export default class ConfigGet extends KaosCommand<typeof ConfigGet> {
  static summary = 'Print the value of one configuration key (nothing when it is not set)'
  static examples = ['<%= config.bin %> <%= command.id %> namespace', '<%= config.bin %> <%= command.id %> registry --json']
  static args = {key: Args.string({description: 'namespace, context, kubeconfig, registry, image-registry, system-namespace or output', required: true})}

  async run(): Promise<{key: string; value: ConfigValue | null; source: string | null}> {
    const {checkKey} = await import('../../lib/config.js')
    checkKey(this.args.key, 'kaos config get')
    const value = this.kaosConfig?.values[this.args.key]
    if (!this.jsonEnabled() && value !== undefined) this.log(Array.isArray(value) ? value.join('\n') : value)
    return {key: this.args.key, value: value ?? null, source: this.kaosConfig?.sources[this.args.key] ?? null}
  }
}
