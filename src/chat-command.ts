import {Args, Flags} from '@oclif/core'

import {KaosCommand} from './base-command.js'
import type {ChatMessage, ChatResult} from './lib/chat.js'
import type {Cluster} from './lib/cluster/client.js'
import type {PortForwarder} from './lib/cluster/portforward.js'
import type {Kind} from './lib/documents.js'
import {parseDuration} from './lib/duration.js'
import {ExitCode, KaosError, invalid} from './lib/errors.js'
import {onInterrupt, parseHeaders} from './lib/interrupt.js'

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

  async run(): Promise<unknown> {
    const {flags, args} = this
    if (flags.url && args.name) throw invalid('give a NAME or --url, not both')
    if (!flags.url && !args.name) throw invalid(`a ${this.kind} NAME (or --url) is required`)
    if (flags.url && !flags.model) throw invalid('--url needs --model (there is no stored document to take it from)')
    const timeoutMs = parseDuration(flags.timeout)
    const headers = parseHeaders(flags.header)
    const messages: ChatMessage[] = [...(flags.system ? [{role: 'system' as const, content: flags.system}] : []), {role: 'user', content: flags.message}]

    const ac = new AbortController()
    let forwarder: PortForwarder | undefined
    const stopSignals = onInterrupt(() => {
      ac.abort(new KaosError('interrupted', {exit: ExitCode.UNEXPECTED}))
      forwarder?.closeNow()
    })
    try {
      let baseUrl: string
      let model: string
      let target: string
      if (flags.url) {
        baseUrl = flags.url.replace(/\/v1\/chat\/completions\/?$/, '')
        model = flags.model!
        target = baseUrl
      } else {
        const name = args.name!
        const {Cluster} = await import('./lib/cluster/client.js')
        const cluster: Cluster = Cluster.connect({kubeconfig: flags.kubeconfig, context: flags.context, namespace: flags.namespace})
        const {documentOf, getDeployment} = await import('./lib/workloads.js')
        const d = await getDeployment(cluster, this.kind, name, cluster.namespace)
        const m = flags.model ?? this.defaultModel(name, documentOf(d))
        if (!m) throw invalid(`cannot tell which model ${this.kind} "${name}" serves: pass --model`)
        model = m
        const {forwardWorkload} = await import('./lib/cluster/portforward.js')
        forwarder = await forwardWorkload(cluster, this.kind, name, cluster.namespace, {localPort: flags['local-port'], log: (msg) => this.debug(msg)})
        baseUrl = forwarder.url()
        target = `${this.kind} "${name}" (pod ${forwarder.pod})`
      }
      const {chatCompletion} = await import('./lib/chat.js')
      const json = this.jsonEnabled()
      const fwd = forwarder
      let printed = false
      const result: ChatResult = await chatCompletion({
        baseUrl,
        model,
        messages,
        stream: flags.stream,
        headers,
        timeoutMs,
        signal: ac.signal,
        target,
        explainNetworkError: fwd ? (e) => fwd.explain(e) : undefined,
        onDelta:
          flags.stream && !json
            ? (t) => {
                printed = true
                process.stdout.write(t)
              }
            : undefined,
      })
      if (json) return {model: result.model ?? model, content: result.content, finishReason: result.finishReason, usage: result.usage, ...(flags.stream ? {chunks: result.chunks} : {raw: result.raw})}
      if (flags.stream) {
        if (printed) process.stdout.write('\n')
      } else this.log(result.content)
      return result
    } finally {
      await forwarder?.close()
      stopSignals()
    }
  }
}
