import {KaosCommand} from '../../cli/base-command.js'
import {table} from '../../cli/format/table.js'
import type {ConfigValues} from '../../lib/config.js'

export default class ConfigShow extends KaosCommand<typeof ConfigShow> {
  static summary = "Show kaos's configuration: every value in effect and the file it comes from"
  static description = `kaos reads defaults for its flags from the nearest .kaos-config.yaml found from the working directory upwards (a project's), then from $XDG_CONFIG_HOME/kaos/config.yaml (default ~/.config/kaos/config.yaml, the user's); a project value wins over the user's, and a flag on the command line over both.

Keys: namespace, context, kubeconfig, registry, image-registry, system-namespace, output (see \`kaos config set --help\`).`
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<{values: ConfigValues; sources: Record<string, string>; files: Array<{path: string; scope: string}>; looked: {project?: string; global: string}}> {
    const {configLocations} = await import('../../lib/config.js')
    const where = configLocations(process.cwd())
    const cfg = this.kaosConfig
    const result = {
      values: cfg?.values ?? {},
      sources: cfg?.sources ?? {},
      files: (cfg?.files ?? []).map((f) => ({path: f.path, scope: f.scope})),
      looked: {...(where.project ? {project: where.project} : {}), global: where.global},
    }
    if (this.jsonEnabled()) return result
    const keys = Object.keys(result.values)
    if (keys.length === 0) this.note(`no kaos configuration: looked for .kaos-config.yaml from ${process.cwd()} upwards, and ${where.global}`)
    else this.log(table(['KEY', 'VALUE', 'SOURCE'], keys.map((k) => {
      const v = result.values[k]
      return [k, Array.isArray(v) ? v.join(',') : v, result.sources[k]]
    })))
    return result
  }
}
