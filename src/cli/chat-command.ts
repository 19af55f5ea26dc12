import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {KaosCommand} from './base-command.js'
import {controlStripper, stripControl} from './format/terminal.js'
import type {ChatMessage} from '../lib/chat.js'
import {parseDuration} from '../lib/duration.js'
import {ExitCode, KaosError, invalid} from '../lib/errors.js'
import {parseHeaders} from '../lib/invoke/args.js'
import type {Kind} from '../lib/kinds.js'
import {withHeld} from './interrupt.js'

/** Flags `kaos agent invoke` and `kaos modelapi invoke` share. */
export const chatFlags = {
  message: Flags.string({char: 'm', description: 'The user message', required: true}),
  system: Flags.string({description: 'A system message before it'}),
  model: Flags.string({description: 'Model name to send'}),
  stream: Flags.boolean({description: 'Print tokens as they arrive (server-sent events)'}),
  url: Flags.string({description: 'Base URL of an OpenAI-compatible server (e.g. http://127.0.0.1:8000), without the cluster'}),
  header: Flags.string({char: 'H', description: 'Extra HTTP header NAME=VALUE (repeatable)', multiple: true}),
  timeout: Flags.string({description: 'How long to wait for the whole answer', default: '120s'}),
  'local-port': Flags.integer({description: 'Local port of the port-forward (default: a free one)', min: 1, max: 65535}),
}

/**
 * `POST /v1/chat/completions` to a workload through an in-process port-forward (or --url), plain
 * or streamed. Subclasses name the kind and the default model.
 */
export abstract class ChatCommand extends KaosCommand<typeof ChatCommand> {
  static args = {name: Args.string({description: 'Name of the workload (not needed with --url)'})}
  static flags = chatFlags

  protected abstract readonly kind: Kind

  /** The model to send when --model is not given, from the stored document. */
  protected abstract defaultModel(name: string, doc: any): string | undefined

  /** Agents: read upstream KAOS's runtime's progress chunks and its in-band errors. */
  protected readonly agentRuntime: boolean = false

  async run(): Promise<unknown> {
    const {flags, args} = this
    if (flags.url && args.name) throw invalid('give a NAME or --url, not both')
    if (!flags.url && !args.name) throw invalid(`a ${this.kind} NAME (or --url) is required`)
    if (flags.url && !flags.model) throw invalid('--url needs --model (there is no stored document to take it from)')
    const timeoutMs = parseDuration(flags.timeout)
    const headers = parseHeaders(flags.header)
    const messages: ChatMessage[] = [...(flags.system ? [{role: 'system' as const, content: flags.system}] : []), {role: 'user', content: flags.message}]
    const json = this.jsonEnabled()
    // A model's text reaches a terminal without escape sequences; piped, it is passed on as it is.
    const terminal = Boolean(process.stdout.isTTY)
    const stripper = terminal ? controlStripper() : undefined
    let printed = false
    const {result, model} = await withHeld(async (hold) => {
      const [{chatCompletion, agentProgressOf}, target] = await Promise.all([import('../lib/chat.js'), import('../lib/invoke/target.js')])
      const t = flags.url
        ? {baseUrl: target.parseHttpUrl(flags.url, '--url').toString().replace(/\/v1\/chat\/completions\/?$/, '').replace(/\/$/, ''), model: flags.model!, label: target.redactUrl(flags.url), forwarder: undefined}
        : await target.chatWorkloadTarget(await this.connect(), this.kind, args.name!, {
            model: flags.model,
            defaultModel: (doc) => this.defaultModel(args.name!, doc),
            localPort: flags['local-port'],
            log: (m) => this.debug(m),
          })
      const fwd = t.forwarder ? hold(t.forwarder) : undefined
      const r = await chatCompletion({
        baseUrl: t.baseUrl,
        model: t.model,
        messages,
        stream: flags.stream,
        headers,
        timeoutMs,
        target: t.label,
        explainNetworkError: fwd ? (e) => fwd.explain(e) : undefined,
        ...(this.agentRuntime
          ? {
              progressOf: agentProgressOf,
              onProgress: (p: {step: number; maxSteps: number; action: string; target: string}) => {
                if (!json) process.stderr.write(`step ${p.step}/${p.maxSteps}: ${p.action === 'delegate' ? 'delegating to' : 'calling'} ${stripControl(p.target)}\n`)
              },
            }
          : {}),
        onDelta:
          flags.stream && !json
            ? (text) => {
                printed = true
                process.stdout.write(stripper ? stripper.push(text) : text)
              }
            : undefined,
      })
      return {result: r, model: t.model}
    })
    const {agentRuntimeError} = await import('../lib/chat.js')
    const failed = this.agentRuntime ? agentRuntimeError(result.content) : undefined
    const error = () =>
      new KaosError(`${this.kind} "${args.name ?? flags.url}" failed to answer: ${failed}`, {
        exit: ExitCode.TOOL_ERROR,
        code: 'TOOL_ERROR',
        suggestions: [`kaos agent status ${args.name ?? 'NAME'} shows whether its model API and MCP servers are ready.`],
      })
    if (json) {
      if (failed) process.exitCode = ExitCode.TOOL_ERROR
      return {model: result.model ?? model, content: result.content, finishReason: result.finishReason, usage: result.usage, ...(flags.stream ? {chunks: result.chunks} : {raw: result.raw})}
    }
    if (flags.stream) {
      if (printed) process.stdout.write(`${stripper?.end() ?? ''}\n`)
    } else if (!failed) this.log(terminal ? stripControl(result.content) : result.content)
    if (failed) throw error()
    return result
  }
}
