import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../cli/base-command.js'
import type {ConfigValue} from '../../lib/config.js'

export default class ConfigSet extends KaosCommand<typeof ConfigSet> {
  static summary = 'Set one configuration key in the nearest .kaos-config.yaml, or the user config'
  static description = `Writes KEY into the nearest .kaos-config.yaml from the working directory upwards; when there is none, or with --global, into $XDG_CONFIG_HOME/kaos/config.yaml (default ~/.config/kaos/config.yaml), created if missing. Comments and other keys are kept. A relative path is taken from the working directory and stored relative to the file.

Keys (each the default of the flag of the same name):
  namespace         namespace when -n is not given (before the kubeconfig context's; a document's metadata.namespace still wins)
  context           kubeconfig context (--context)
  kubeconfig        kubeconfig file (--kubeconfig)
  registry          runtime registry files, comma-separated (--registry)
  image-registry    where kaos's own images live, and the default of --image-registry
  system-namespace  namespace of the kaos-mcp-runtimes ConfigMap (--system-namespace)
  output            -o where a command offers it: table, wide, json, yaml or name`
  static examples = [
    {description: 'This project deploys to team-a', command: 'cd my-project && touch .kaos-config.yaml && <%= config.bin %> <%= command.id %> namespace team-a'},
    {description: "Where kaos's images are, for every project", command: '<%= config.bin %> <%= command.id %> image-registry ghcr.io/acme --global'},
    {description: 'Two registry files', command: '<%= config.bin %> <%= command.id %> registry team-runtimes.yaml,more.yaml'},
  ]
  static args = {
    key: Args.string({description: 'The key', required: true}),
    value: Args.string({description: 'The value', required: true}),
  }
  static flags = {global: Flags.boolean({description: 'Write the user config, even inside a project that has a .kaos-config.yaml'})}
  // The file being written may be the one that is broken.
  protected static readsConfig = false

  async run(): Promise<{file: string; key: string; value: ConfigValue}> {
    const {configTarget, writeConfigValue} = await import('../../lib/config.js')
    const file = configTarget(process.cwd(), this.flags.global)
    const value = (await writeConfigValue(file, this.args.key, this.args.value, process.cwd()))!
    this.note(`set ${this.args.key} in ${file}`)
    return {file, key: this.args.key, value}
  }
}
