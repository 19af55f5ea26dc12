import {Command} from '@oclif/core/command'
import {Help} from '@oclif/core/help'

import {exitCodeTable} from './lib/errors.js'

/** oclif help plus the exit-code table, which is part of every command's contract. */
export default class KaosHelp extends Help {
  private exitCodes(): string {
    return this.section('EXIT CODES', exitCodeTable().replace(/^ {2}/gm, ''))
  }

  formatCommand(command: Command.Loadable): string {
    return `${super.formatCommand(command)}\n\n${this.exitCodes()}`
  }

  async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    this.log(`\n${this.exitCodes()}`)
  }
}
