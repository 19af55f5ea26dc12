import type {Interfaces} from '@oclif/core'
import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'

import {type Config, loadConfig} from '../lib/config.js'
import {ExitCode, KaosError} from '../lib/errors.js'
import {parseDuration} from '../lib/duration.js'
import {redactUserinfo} from '../lib/redact.js'
import {didYouMean} from '../lib/suggest.js'
import type {Registry, RegistrySource} from '../lib/registry.js'
import {stripControl} from './format/terminal.js'

export type KaosFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof KaosCommand)['baseFlags'] & T['flags']>
export type KaosArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Base of every kaos command, and of commands that plugins add: the shared cluster and registry
 * flags, `--json`, and errors mapped to the documented exit codes.
 */
export abstract class KaosCommand<T extends typeof Command> extends Command {
  static enableJsonFlag = true

  static baseFlags = {
    kubeconfig: Flags.string({
      description: 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)',
      helpGroup: 'GLOBAL',
    }),
    context: Flags.string({description: 'Kubeconfig context to use', helpGroup: 'GLOBAL'}),
    namespace: Flags.string({
      char: 'n',
      description: "Namespace (default: the context's namespace, then 'default')",
      helpGroup: 'GLOBAL',
    }),
    registry: Flags.string({
      description: 'Runtime registry file to merge over the built-in one (repeatable)',
      helpGroup: 'GLOBAL',
      multiple: true,
    }),
    'request-timeout': Flags.string({
      description: 'How long one API request may wait for an answer before failing (kubectl\'s flag; e.g. 10s; 0 waits as long as the command allows)',
      helpGroup: 'GLOBAL',
    }),
  }

  protected flags!: KaosFlags<T>
  protected args!: KaosArgs<T>
  /** Every positional word, for commands that take several (`strict = false`). */
  protected positional: string[] = []
  /** kaos's config files (`.kaos-config.yaml`, ~/.config/kaos/config.yaml), when there are any. */
  protected kaosConfig?: Config
  /** The flags this run took from the config files, for messages about their values. */
  protected fromConfig = new Set<string>()
  /** Commands that manage the config files read them themselves (a broken file must not stop them). */
  protected static readsConfig = true

  /** Rewrites argv before parsing; e.g. kubectl's bare `--dry-run` meaning `--dry-run=client`. */
  protected normalizeArgv(argv: string[]): string[] {
    return argv
  }

  public async init(): Promise<void> {
    await super.init()
    this.argv = this.normalizeArgv(this.argv)
    // oclif would otherwise fill a missing positional argument from piped stdin; kaos reads
    // stdin only where asked (`-f -`), and must never block on it in CI.
    const args0 = Object.fromEntries(Object.entries(this.ctor.args ?? {}).map(([k, a]) => [k, {...a, ignoreStdin: true}]))
    const {args, argv, flags, metadata} = await this.parse({
      args: args0,
      baseFlags: (super.ctor as typeof KaosCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.flags = flags as KaosFlags<T>
    this.args = args as KaosArgs<T>
    this.positional = argv as string[]
    if ((this.ctor as unknown as typeof KaosCommand).readsConfig) {
      this.kaosConfig = await loadConfig()
      if (this.kaosConfig) this.applyConfig(this.kaosConfig, metadata as {flags?: Record<string, {setFromDefault?: boolean}>})
    }
  }

  /**
   * Config values as defaults of this command's flags: only flags it has, only where the command
   * line gave none. `namespace` stays a default (see connectOptions), not an explicit -n.
   */
  private applyConfig(config: Config, metadata: {flags?: Record<string, {setFromDefault?: boolean}>}): void {
    const defs = {...(this.ctor as typeof KaosCommand).baseFlags, ...this.ctor.flags} as Record<string, {options?: readonly string[]}>
    const flags = this.flags as Record<string, unknown>
    for (const key of ['context', 'kubeconfig', 'registry', 'image-registry', 'system-namespace', 'output']) {
      const value = config.values[key]
      if (value === undefined || !(key in defs)) continue
      if (flags[key] !== undefined && !metadata.flags?.[key]?.setFromDefault) continue
      // `output: wide` means nothing to a command whose -o has no wide: its own default stays.
      const options = defs[key].options
      if (options && (typeof value !== 'string' || !options.includes(value))) continue
      flags[key] = value
      this.fromConfig.add(key)
    }
  }

  /**
   * The merged runtime registry: built-in < user file < --registry files < `cluster` (the
   * kaos-mcp-runtimes ConfigMap, when the caller read it) < plugins.
   */
  protected async registry(cluster: RegistrySource[] = [], imageRegistry?: string): Promise<Registry> {
    // Loaded here, not at startup: only commands that need runtimes pay for the schema library.
    const [{pluginRegistrySources}, {loadRegistry, parseRegistry}] = await Promise.all([import('../lib/plugin-runtimes.js'), import('../lib/registry.js')])
    const plugins = await pluginRegistrySources(this.config)
    // A flag naming the image registry is a source of its own, above every file and the cluster.
    const flag = imageRegistry ? [parseRegistry({defaults: {imageRegistry}}, 'flag:--image-registry')] : []
    // The config's image registry ranks as the user's own registry file does: below --registry
    // files and the cluster's choice (a flag given on the command line is above them all).
    const fromConfig = this.kaosConfig?.values['image-registry']
    const configSources = fromConfig ? [parseRegistry({defaults: {imageRegistry: fromConfig}}, `config:${this.kaosConfig!.sources['image-registry']}`)] : []
    const filesWhat = this.fromConfig.has('registry') ? `registry (from ${this.kaosConfig!.sources.registry})` : undefined
    return loadRegistry({files: this.flags.registry, filesWhat, userSources: configSources, extraSources: [...cluster, ...plugins.sources, ...flag], warnings: plugins.warnings})
  }

  /**
   * Connect to the cluster named by --kubeconfig/--context/-n. The Kubernetes client is imported
   * here, not at startup: offline commands never pay for it.
   */
  protected async connect(opts: {deadline?: AbortSignal; retries?: number} = {}): Promise<import('../lib/cluster/client.js').Cluster> {
    const {Cluster} = await import('../lib/cluster/client.js')
    return Cluster.connect({...this.connectOptions(), ...opts})
  }

  /** The cluster flags as connection options (for lib functions that connect themselves). */
  protected connectOptions(): {kubeconfig?: string; context?: string; namespace?: string; defaultNamespace?: string; requestTimeoutMs?: number} {
    const rt = this.flags['request-timeout']
    const defaultNamespace = this.kaosConfig?.values.namespace as string | undefined
    return {
      kubeconfig: this.flags.kubeconfig,
      context: this.flags.context,
      namespace: this.flags.namespace,
      ...(defaultNamespace ? {defaultNamespace} : {}),
      ...(rt === undefined ? {} : {requestTimeoutMs: rt === '0' ? 0 : parseDuration(rt, '--request-timeout')}),
    }
  }

  /**
   * `-o json` / `-o yaml` print exactly what `--json` returns, so a script gets one shape per
   * command whichever flag it uses.
   */
  protected async printStructured(value: unknown, format: 'json' | 'yaml'): Promise<void> {
    const {formatValue} = await import('./format/objects.js')
    this.log(formatValue(value, format))
  }

  /** Non-fatal notes go to stderr so stdout stays machine-readable (YAML, JSON, names). */
  protected note(message: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${message}\n`)
  }

  protected warnAll(warnings: string[]): void {
    for (const w of warnings) this.warn(w)
  }

  /** `{"error": …}` for --json, with credentials in URLs redacted (server data included). */
  protected toErrorJson(err: unknown): unknown {
    if (err instanceof KaosError) {
      const data = err.data === undefined ? undefined : JSON.parse(redactUserinfo(JSON.stringify(err.data)))
      return {error: {code: err.code, exit: err.exit, message: redactUserinfo(err.message), suggestions: err.suggestions.map(redactUserinfo), data}}
    }
    const e = err as {message?: string; oclif?: {exit?: number}}
    return {error: {code: 'ERROR', exit: e.oclif?.exit ?? ExitCode.UNEXPECTED, message: redactUserinfo(e.message ?? String(err))}}
  }

  /** ` Did you mean --registry?` for "Nonexistent flag: --regsitry", from this command's flags. */
  private flagSuggestion(message: string): string {
    const typed = /Nonexistent flags?: (--?[\w-]+)/.exec(message)?.[1]
    if (!typed) return ''
    const flags = {...(this.ctor as typeof KaosCommand).baseFlags, ...this.ctor.flags}
    // oclif adds --json (and --help) outside the declared flags; they are the likeliest typos.
    const names = [...Object.keys(flags), ...(this.ctor.enableJsonFlag ? ['json'] : []), 'help'].map((n) => `--${n}`)
    const guess = didYouMean(typed.startsWith('--') ? typed : `-${typed}`, names)
    return guess ? `. Did you mean ${guess}?` : ''
  }

  protected async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (err instanceof KaosError) {
      if (this.jsonEnabled()) {
        this.logJson(this.toErrorJson(err))
        this.exit(err.exit)
      }
      // Messages quote servers (error bodies, tool errors): no escape sequences, no credentials.
      const suggestions = err.suggestions.map(forTerminal)
      this.error(forTerminal(err.message), {exit: err.exit, suggestions: suggestions.length > 0 ? suggestions : undefined})
    }
    try {
      err.message = forTerminal(err.message ?? '')
    } catch {
      // a read-only message: printed as it is
    }
    // oclif's own parse errors (unknown flag, bad option) are invalid input too.
    if (err.oclif?.exit === 2 || /Nonexistent flags?|Unexpected argument|Expected --|Missing required flag|Missing \d+ required arg/.test(err.message ?? '')) {
      const message = oneLine(err.message) + this.flagSuggestion(err.message ?? '')
      if (this.jsonEnabled()) {
        this.logJson({error: {code: 'INVALID_INPUT', exit: ExitCode.INVALID_INPUT, message}})
        this.exit(ExitCode.INVALID_INPUT)
      }
      this.error(message, {exit: ExitCode.INVALID_INPUT})
    }
    return super.catch(err)
  }
}

/** An error line for stderr: credentials in URLs redacted, control characters removed. */
function forTerminal(text: string): string {
  return stripControl(redactUserinfo(text))
}

/** oclif's parse errors span lines ("Parsing --replicas \n\tExpected…"); kaos errors are one line. */
function oneLine(message: string): string {
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('See more help with'))
    .join(' ')
}
