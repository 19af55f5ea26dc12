import {KaosCommand} from '../cli/base-command.js'

export interface VersionResult {
  version: string
  node: string
  platform: string
  arch: string
}

/** `kaos version`: the same facts as `kaos --version`, with --json. Offline. */
export default class Version extends KaosCommand<typeof Version> {
  static summary = 'Print the kaos version (and Node.js version and platform)'
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<VersionResult> {
    const result = {version: this.config.version, node: process.versions.node, platform: process.platform, arch: process.arch}
    if (!this.jsonEnabled()) this.log(this.config.userAgent)
    return result
  }
}
