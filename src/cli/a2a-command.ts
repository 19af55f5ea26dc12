import type {Command} from '@oclif/core/command'
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {KaosCommand} from './base-command.js'
import {withHeld} from './interrupt.js'
import type {A2AEndpoint, A2ASession} from '../lib/a2a.js'
import {parseDuration} from '../lib/duration.js'
import {invalid} from '../lib/errors.js'

/** Flags every command that talks to an agent over A2A shares. */
export const a2aFlags = {
  url: Flags.string({description: 'Base URL of an A2A agent (e.g. http://127.0.0.1:8000), without the cluster'}),
  timeout: Flags.string({description: 'How long to wait for the agent', default: '120s'}),
  'local-port': Flags.integer({description: 'Local port of the port-forward (default: a free one)', min: 1, max: 65535}),
}

export const EXIT_CODES_A2A = `Exit codes: 5 no Ready pod, pod lost mid-call or agent unreachable; 6 the agent serves no A2A, answered an A2A error, or the task failed; 8 no such Agent or task.`

/**
 * Commands that talk to an agent's A2A endpoint (and its card) through an in-process
 * port-forward, or --url: the connection is held for the command and released however it ends.
 */
export abstract class A2ACommand<T extends typeof Command> extends KaosCommand<T> {
  static args = {name: Args.string({description: 'Name of the Agent (not needed with --url)'})}
  static flags = a2aFlags

  /** Run `body` with the agent's endpoint (no card fetched yet). */
  protected async withEndpoint<R>(body: (ep: A2AEndpoint, signal: AbortSignal) => Promise<R>): Promise<R> {
    const flags = this.flags as unknown as {url?: string; timeout: string; 'local-port'?: number}
    const name = (this.args as {name?: string}).name
    if (flags.url && name) throw invalid('give an Agent NAME or --url, not both')
    if (!flags.url && !name) throw invalid('an Agent NAME (or --url) is required', ['kaos agent … NAME -n NAMESPACE, or --url http://127.0.0.1:8000'])
    const signal = AbortSignal.timeout(parseDuration(flags.timeout))
    return withHeld(async (hold) => {
      const [{createHttpFetch}, target] = await Promise.all([import('../lib/chat.js'), import('../lib/invoke/target.js')])
      const http = createHttpFetch()
      hold({close: async () => http.close(), closeNow: () => http.close()})
      const t = flags.url
        ? {baseUrl: target.parseHttpUrl(flags.url, '--url').toString().replace(/\/$/, ''), label: target.redactUrl(flags.url), forwarder: undefined}
        : await target.agentWorkloadTarget(await this.connect(), name!, {localPort: flags['local-port'], log: (m) => this.debug(m)})
      const fwd = t.forwarder ? hold(t.forwarder) : undefined
      return body({baseUrl: t.baseUrl, label: t.label, fetch: http.fetch, explainNetworkError: fwd ? (e) => fwd.explain(e) : undefined}, signal)
    })
  }

  /** Run `body` with the SDK's client for the agent. */
  protected async withAgent<R>(body: (s: A2ASession, signal: AbortSignal) => Promise<R>): Promise<R> {
    return this.withEndpoint(async (ep, signal) => {
      const {a2aSession} = await import('../lib/a2a.js')
      return body(await a2aSession(ep, signal), signal)
    })
  }
}
