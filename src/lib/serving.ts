// What an MCPServer's runtime and document together say about serving it: sessions, egress and
// who checks bearer tokens. Pure; rendering, deploy (token Secrets) and invoke read the same answers.
import type {MCPServerDoc} from './documents.js'
import type {Egress} from './egress.js'
import type {Runtime} from './registry.js'

/** The variable kaos's stdio adapter reads a bearer token from (runtimes/stdio-adapter). */
export const ADAPTER_AUTH_ENV = 'KAOS_ADAPTER_AUTH_TOKEN'

export interface RuntimeAuth {
  type: 'bearer'
  tokenEnv: string
  when: 'always' | 'exposed'
}

/**
 * How the server checks bearer tokens, if it can: the runtime's `auth`, else kaos's stdio adapter
 * (every stdio runtime runs behind it) when exposed.
 */
export function runtimeAuth(runtime: Runtime): RuntimeAuth | undefined {
  if (runtime.auth) return runtime.auth
  if (runtime.transport === 'stdio') return {type: 'bearer', tokenEnv: ADAPTER_AUTH_ENV, when: 'exposed'}
  return undefined
}

/** The token variable the rendered server is started with, when this document makes it check one. */
export function activeAuth(doc: MCPServerDoc, runtime: Runtime): RuntimeAuth | undefined {
  const auth = runtimeAuth(runtime)
  if (!auth) return undefined
  if (auth.when === 'always') return auth
  return doc.spec.expose && doc.spec.expose.auth === 'bearer' ? auth : undefined
}

export function sessionsOf(doc: MCPServerDoc, runtime: Runtime): 'stateless' | 'sticky' {
  return doc.spec.sessions ?? runtime.sessions
}

/** The document's egress, else the runtime's; `declared` is false when neither says. */
export function egressOf(doc: MCPServerDoc, runtime: Runtime): {egress: Egress; declared: boolean} {
  const e = doc.spec.egress ?? runtime.egress
  return e === undefined ? {egress: 'any', declared: false} : {egress: e, declared: true}
}
