import * as Args from '@oclif/core/args'
import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import {loadHelpClass} from '@oclif/core/help'

/** `kaos help [COMMAND…]`: kaos's own, so oclif's help plugin stays off every other command's path. */
export default class Help extends Command {
  static summary = 'Show help for kaos or one of its commands'
  static args = {command: Args.string({description: 'Command to show help for, e.g. "mcp deploy"', required: false})}
  static flags = {'nested-commands': Flags.boolean({char: 'n', description: 'Include all nested commands in the output'})}
  static strict = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Help)
    const HelpClass = await loadHelpClass(this.config)
    await new HelpClass(this.config, {all: flags['nested-commands']}).showHelp(argv as string[])
  }
}
