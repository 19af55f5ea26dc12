// `kaos mcp weather-check`: a command a plugin adds under kaos's existing `mcp` topic. It extends
// kaos's own base command, so it gets the global flags (--kubeconfig, --context, -n, --registry),
// --json, the merged runtime registry and kaos's exit codes for free.
// Everything comes from kaos-cli (a peer dependency): the running kaos's own classes, and its copy
// of oclif's Flags/Args, so the plugin needs no @oclif/core of its own.
import {ExitCode, Flags, KaosCommand, KaosError} from 'kaos-cli'

export default class WeatherCheck extends KaosCommand {
  static summary = 'Check that the weather runtime can be deployed from here'
  static description =
    'Looks the `weather` runtime up in the merged registry and checks that the variables it requires are set, without touching the cluster. Exits 2 when something is missing.'
  static examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'As JSON, for CI', command: 'WEATHER_API_KEY=… <%= config.bin %> <%= command.id %> --json'},
  ]
  static flags = {
    runtime: Flags.string({char: 'r', description: 'Runtime to check', default: 'weather'}),
  }

  async run() {
    const registry = await this.registry()
    this.warnAll(registry.warnings)
    const runtime = registry.runtimes.get(this.flags.runtime)
    if (!runtime) {
      throw new KaosError(`runtime "${this.flags.runtime}" is not in the registry`, {
        exit: ExitCode.NOT_FOUND,
        suggestions: ['See `kaos system runtimes`; is kaos-plugin-weather installed (`kaos plugins`)?'],
      })
    }
    const missing = runtime.requiredEnv.filter((name) => !process.env[name])
    if (missing.length > 0) {
      throw new KaosError(`runtime "${runtime.name}" needs ${missing.join(', ')} in the environment`, {
        exit: ExitCode.INVALID_INPUT,
        suggestions: [`export ${missing[0]}=…, or deploy with --secret-env ${missing[0]}=SECRET/KEY`],
        data: {runtime: runtime.name, missing},
      })
    }
    const result = {runtime: runtime.name, origin: runtime.origin, image: runtime.image, requiredEnv: runtime.requiredEnv, ok: true}
    this.log(`runtime ${runtime.name} (${runtime.origin}): ${runtime.image}; ${runtime.requiredEnv.join(', ') || 'no variables'} set — ready to deploy`)
    return result
  }
}
