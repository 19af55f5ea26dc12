import {Command, Help} from '@oclif/core'

import {exitCodeTable} from './lib/errors.js'

/** oclif help plus the exit-code table, which is part of every command's contract. */
export default class KaosHelp extends Help {
  formatCommand(command: Command.Loadable): string {
    return `${super.formatCommand(command)}\n\n${this.section('EXIT CODES', exitCodeTable().replace(/^ {2}/gm, ''))}`
  }

  formatRoot(): string {
    return `${super.formatRoot()}\n\n${this.section('EXIT CODES', exitCodeTable().replace(/^ {2}/gm, ''))}`
  }
}
