/**
 * A2A (agent-to-agent) through the A2A JavaScript SDK (`@a2a-js/sdk`, loaded only here, lazily):
 * the agent card, send (blocking, streamed, or returning at once), get, watch and cancel a task.
 *
 * Upstream KAOS's agent runtime (pydantic-ai-server 0.8.4, module pais) speaks a dialect of A2A
 * 0.3 the SDK cannot talk to as is: its card is at /.well-known/agent.json and names
 * http://localhost:8000, its methods are SendMessage/GetTask/CancelTask, text parts say
 * `type` instead of `kind`, tasks carry `sessionId` and a string status message, and it has no
 * streaming. `paisFetch` is the fetch the SDK uses against it: it speaks pais's dialect on the
 * wire and hands the SDK standard A2A 0.3, so every command goes through the SDK's own client.
 * Against any other A2A agent the SDK talks unaided. Errors carry kaos's exit codes.
 */
import type {FetchFn} from './chat.js'
import {ExitCode, KaosError} from './errors.js'

/** Where the card is: A2A 0.3 and 1.0, then the 0.2 path pais serves. */
export const CARD_PATHS = ['/.well-known/agent-card.json', '/.well-known/agent.json'] as const

export interface A2AEndpoint {
  /** Base URL of the agent (a port-forward's, or --url). */
  baseUrl: string
  /** For messages: `Agent "x" (pod …)` or the URL. */
  label: string
  fetch: FetchFn
  /** Turn a network failure into a clearer error (the port-forward lost its pod). */
  explainNetworkError?: (error: Error) => Promise<KaosError | undefined>
}

export interface AgentCard {
  /** The card as the agent serves it. */
  card: Record<string, any>
  /** Where it was found. */
  path: string
  /** Upstream KAOS's agent runtime (pais): it needs the dialect adapter. */
  pais: boolean
}

/** A task as kaos prints it (and returns with --json): the SDK's task in plain terms. */
export interface A2ATask {
  id: string
  contextId: string
  state: string
  /** The status message's text, if any. */
  message?: string
  timestamp?: string
  history: Array<{role: string; text: string}>
  artifacts: Array<{name?: string; text: string}>
  metadata?: Record<string, unknown>
}

export const TERMINAL_STATES = new Set(['completed', 'failed', 'canceled', 'rejected'])

const STATE_NAMES = ['unspecified', 'submitted', 'working', 'completed', 'failed', 'canceled', 'input-required', 'rejected', 'auth-required']

const noA2A = (target: string, why: string) =>
  new KaosError(`${target} serves no A2A: ${why}`, {
    exit: ExitCode.TOOL_ERROR,
    code: 'A2A_NOT_SUPPORTED',
    suggestions: ['kaos agent invoke talks to its chat API (/v1/chat/completions) instead.'],
  })

async function networkFailure(ep: A2AEndpoint, error: unknown): Promise<never> {
  if (error instanceof KaosError) throw error
  const e = error as Error
  const better = await ep.explainNetworkError?.(e).catch(() => undefined)
  if (better) throw better
  const cause = (e as {cause?: {code?: string; message?: string}}).cause
  throw new KaosError(`cannot talk to ${ep.label}: ${(e as NodeJS.ErrnoException).code ?? cause?.code ?? cause?.message ?? e.message}`, {exit: ExitCode.WORKLOAD_FAILED, code: 'UNREACHABLE'})
}

/** The agent card from its well-known URL; none there is "serves no A2A" (exit 6). */
export async function fetchAgentCard(ep: A2AEndpoint, signal?: AbortSignal): Promise<AgentCard> {
  const tried: string[] = []
  for (const path of CARD_PATHS) {
    let res: Response
    try {
      res = await ep.fetch(ep.baseUrl.replace(/\/$/, '') + path, {headers: {accept: 'application/json'}, signal})
    } catch (error) {
      return networkFailure(ep, error)
    }
    const text = await res.text().catch(() => '')
    if (res.status === 404 || res.status === 405) {
      tried.push(`${path}: HTTP ${res.status}`)
      continue
    }
    if (!res.ok) throw new KaosError(`${ep.label} answered HTTP ${res.status} for ${path}`, {exit: ExitCode.TOOL_ERROR, code: 'A2A_ERROR'})
    let card: any
    try {
      card = JSON.parse(text)
    } catch {
      throw noA2A(ep.label, `${path} is not JSON`)
    }
    if (!card || typeof card !== 'object' || typeof card.name !== 'string') throw noA2A(ep.label, `${path} is not an agent card (no name)`)
    const pais = Array.isArray(card.supportedProtocols)
    if (pais && !card.supportedProtocols.includes('jsonrpc')) throw noA2A(ep.label, `its card lists no JSON-RPC protocol (supportedProtocols: ${card.supportedProtocols.join(', ') || 'none'})`)
    return {card, path, pais}
  }
  throw noA2A(ep.label, `no agent card (${tried.join(', ')})`)
}

/**
 * The card with its interface URLs on `baseUrl`: an agent names its in-cluster (or localhost)
 * address, and kaos reaches it through a port-forward. pais's A2A has no streaming (its card's
 * `streaming` is about chat), so the SDK is told so.
 */
export function localCard(c: AgentCard, baseUrl: string): Record<string, any> {
  const base = new URL(baseUrl)
  const move = (url: unknown) => {
    if (typeof url !== 'string') return url
    try {
      const u = new URL(url)
      u.protocol = base.protocol
      u.host = base.host
      // pais's card names a bare origin; the base may carry a path (a --url behind a proxy).
      if (u.pathname === '/' && base.pathname !== '/') u.pathname = base.pathname
      return u.toString().replace(/\/$/, '')
    } catch {
      return url
    }
  }
  const card = structuredClone(c.card)
  card.url = move(card.url ?? baseUrl)
  if (Array.isArray(card.additionalInterfaces)) card.additionalInterfaces = card.additionalInterfaces.map((i: any) => ({...i, url: move(i.url)}))
  if (Array.isArray(card.supportedInterfaces)) card.supportedInterfaces = card.supportedInterfaces.map((i: any) => ({...i, url: move(i.url)}))
  if (c.pais) {
    card.preferredTransport ??= 'JSONRPC'
    card.capabilities = {...card.capabilities, streaming: false}
  }
  return card
}

// ---------------------------------------------------------------------------------------------
// pais's dialect, both ways

type Json = Record<string, any>

/** A2A 0.3 JSON-RPC (what the SDK sends) → pais's, or undefined to pass it on unchanged. */
export function toPaisRequest(rpc: Json): Json | undefined {
  const p = rpc.params ?? {}
  switch (rpc.method) {
    case 'message/send': {
      const m = p.message ?? {}
      const parts = (m.parts ?? []).filter((x: Json) => x.kind === 'text' || typeof x.text === 'string').map((x: Json) => ({type: 'text', text: x.text}))
      // pais runs a message inline ("interactive") or as a background loop ("autonomous"), which
      // is what upstream's own `a2a send --async` asks for when the client will not wait.
      const mode = p.configuration?.blocking === false ? 'autonomous' : 'interactive'
      return {
        ...rpc,
        method: 'SendMessage',
        params: {
          message: {role: m.role ?? 'user', parts, ...(m.metadata ? {metadata: m.metadata} : {})},
          ...(m.contextId ? {contextId: m.contextId} : {}),
          configuration: {mode, ...(p.metadata?.budgets ? {budgets: p.metadata.budgets} : {})},
          ...(p.metadata ? {metadata: p.metadata} : {}),
        },
      }
    }
    case 'tasks/get':
      return {...rpc, method: 'GetTask', params: {id: p.id}}
    case 'tasks/cancel':
      return {...rpc, method: 'CancelTask', params: {id: p.id}}
    default:
      return undefined
  }
}

/** A pais task → an A2A 0.3 Task (what the SDK parses). */
export function fromPaisTask(t: Json): Json {
  const id = String(t.id)
  const contextId = String(t.contextId ?? t.sessionId ?? '')
  const textParts = (parts: Json[] | undefined) => (parts ?? []).map((p) => ({kind: 'text', text: String(p.text ?? '')}))
  const status = t.status ?? {}
  const artifacts = (t.artifacts ?? []).map((a: Json, i: number) => ({artifactId: String(a.artifactId ?? `${id}-artifact-${i}`), ...(a.name ? {name: a.name} : {}), parts: textParts(a.parts)}))
  if (t.output) artifacts.push({artifactId: `${id}-output`, name: 'output', parts: [{kind: 'text', text: String(t.output)}]})
  return {
    kind: 'task',
    id,
    contextId,
    status: {
      state: status.state ?? 'unknown',
      ...(status.timestamp ? {timestamp: status.timestamp} : {}),
      ...(status.message
        ? {message: {kind: 'message', role: 'agent', messageId: `${id}-status`, taskId: id, contextId, parts: [{kind: 'text', text: typeof status.message === 'string' ? status.message : JSON.stringify(status.message)}]}}
        : {}),
    },
    history: (t.history ?? []).map((m: Json, i: number) => ({kind: 'message', role: m.role === 'agent' ? 'agent' : 'user', messageId: `${id}-${i}`, taskId: id, contextId, parts: textParts(m.parts)})),
    artifacts,
    metadata: {...t.metadata, ...(t.autonomous === undefined ? {} : {autonomous: t.autonomous}), ...(t.events ? {events: t.events} : {})},
  }
}

const jsonResponse = (body: unknown) => new Response(JSON.stringify(body), {status: 200, headers: {'content-type': 'application/json'}})

/**
 * The fetch the SDK uses against pais: requests translated on the way out, tasks on the way back.
 * `tasks/resubscribe` (following a task) becomes a poll of GetTask, served to the SDK as the SSE
 * stream it expects: the task each time it changes, until it ends.
 */
export function paisFetch(inner: FetchFn, opts: {pollMs?: number} = {}): FetchFn {
  const pollMs = opts.pollMs ?? 500
  return async (input, init = {}) => {
    if ((init.method ?? 'GET').toUpperCase() !== 'POST' || typeof init.body !== 'string') return inner(input, init)
    let rpc: Json
    try {
      rpc = JSON.parse(init.body)
    } catch {
      return inner(input, init)
    }
    if (rpc.method === 'tasks/resubscribe') return pollAsStream(inner, String(input), init, rpc, pollMs)
    const out = toPaisRequest(rpc)
    if (!out) return inner(input, init)
    const res = await inner(input, {...init, body: JSON.stringify(out), headers: {...headersOf(init.headers), accept: 'application/json'}})
    if (!res.ok) return res
    const body = (await res.json()) as Json
    return jsonResponse(body.result && typeof body.result === 'object' && 'id' in body.result ? {...body, result: fromPaisTask(body.result)} : body)
  }
}

function headersOf(h: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  new Headers(h).forEach((v, k) => {
    out[k] = v
  })
  return out
}

function pollAsStream(inner: FetchFn, url: string, init: RequestInit, rpc: Json, pollMs: number): Response {
  const encoder = new TextEncoder()
  const signal = init.signal ?? undefined
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (payload: Json) => controller.enqueue(encoder.encode(`data: ${JSON.stringify({jsonrpc: '2.0', id: rpc.id, ...payload})}\n\n`))
      let last = ''
      try {
        while (!signal?.aborted) {
          const res = await inner(url, {
            method: 'POST',
            headers: {'content-type': 'application/json', accept: 'application/json'},
            body: JSON.stringify({jsonrpc: '2.0', id: rpc.id, method: 'GetTask', params: {id: rpc.params?.id}}),
            signal,
          })
          const body = (await res.json()) as Json
          if (body.error) {
            send({error: body.error})
            break
          }
          const task = fromPaisTask(body.result)
          const key = JSON.stringify([task.status.state, task.history.length, task.artifacts.length, task.metadata.events?.length])
          if (key !== last) {
            send({result: task})
            last = key
          }
          if (TERMINAL_STATES.has(task.status.state)) break
          await new Promise((r) => setTimeout(r, pollMs))
        }
        controller.close()
      } catch (error) {
        controller.error(error)
      }
    },
  })
  return new Response(stream, {status: 200, headers: {'content-type': 'text/event-stream'}})
}

// ---------------------------------------------------------------------------------------------
// the SDK client and what kaos does with it

type SdkClient = Awaited<ReturnType<InstanceType<typeof import('@a2a-js/sdk/client').ClientFactory>['createFromAgentCard']>>

export interface A2ASession {
  client: SdkClient
  card: AgentCard
  ep: A2AEndpoint
}

/** The SDK's client for the agent behind `ep` (card fetched, dialect chosen). */
export async function a2aSession(ep: A2AEndpoint, signal?: AbortSignal): Promise<A2ASession> {
  const card = await fetchAgentCard(ep, signal)
  const sdk = await import('@a2a-js/sdk/client')
  const fetchImpl = (card.pais ? paisFetch(ep.fetch) : ep.fetch) as typeof fetch
  const legacyCompat = {enabled: true}
  const factory = new sdk.ClientFactory(
    sdk.ClientFactoryOptions.createFrom(sdk.ClientFactoryOptions.default, {
      transports: [new sdk.JsonRpcTransportFactory({fetchImpl, legacyCompat}), new sdk.RestTransportFactory({fetchImpl, legacyCompat})],
      cardResolver: new sdk.DefaultAgentCardResolver({fetchImpl, legacyCompat}),
    }),
  )
  let client: SdkClient
  try {
    client = await factory.createFromAgentCard(localCard(card, ep.baseUrl) as never)
  } catch (error) {
    throw noA2A(ep.label, `the A2A SDK cannot use its card: ${(error as Error).message}`)
  }
  return {client, card, ep}
}

const textOf = (parts: any[] | undefined) =>
  (parts ?? [])
    .map((p) => (p?.content?.$case === 'text' ? p.content.value : p?.content?.$case === 'data' ? JSON.stringify(p.content.value) : ''))
    .filter(Boolean)
    .join('\n')

const stateName = (s: unknown) => (typeof s === 'number' ? (STATE_NAMES[s] ?? String(s)) : String(s ?? 'unknown').replace(/^TASK_STATE_/, '').toLowerCase().replaceAll('_', '-'))

/** The SDK's (v1.0-shaped) task in kaos's plain terms. */
export function plainTask(t: any): A2ATask {
  const ts = t.status?.timestamp
  return {
    id: t.id,
    contextId: t.contextId,
    state: stateName(t.status?.state),
    ...(t.status?.message ? {message: textOf(t.status.message.parts)} : {}),
    ...(ts ? {timestamp: ts instanceof Date ? ts.toISOString() : String(ts)} : {}),
    history: (t.history ?? []).map((m: any) => ({role: m.role === 2 || m.role === 'ROLE_AGENT' ? 'agent' : 'user', text: textOf(m.parts)})),
    artifacts: (t.artifacts ?? []).map((a: any) => ({...(a.name ? {name: a.name} : {}), text: textOf(a.parts)})),
    ...(t.metadata && Object.keys(t.metadata).length > 0 ? {metadata: t.metadata} : {}),
  }
}

/** The answer a task gave: its artifacts, else the last agent message, else its status message. */
export function answerOf(t: A2ATask): string {
  const artifacts = t.artifacts.map((a) => a.text).filter(Boolean)
  if (artifacts.length > 0) return artifacts.join('\n')
  const agent = t.history.filter((m) => m.role === 'agent' && m.text)
  return agent.at(-1)?.text ?? t.message ?? ''
}

/** An SDK error (or a network one) as a KaosError with kaos's exit code. */
export async function a2aError(s: A2ASession, error: unknown, taskId?: string, signal?: AbortSignal): Promise<never> {
  if (error instanceof KaosError) throw error
  // Our own deadline (--timeout) ends a request as an abort or a reset socket: say which it was.
  if (signal?.aborted) error = signal.reason
  const e = error as any
  const code: number | undefined = e?.envelopeCode ?? e?.error?.code ?? e?.code
  const name = String(e?.name ?? e?.constructor?.name ?? '')
  const message = String(e?.message ?? error)
  if (name === 'TaskNotFoundError' || code === -32001)
    throw new KaosError(`${s.ep.label} has no task ${taskId ?? ''}`.trim() + (message && !/^Task not found/i.test(message) ? ` (${message})` : ''), {
      exit: ExitCode.NOT_FOUND,
      code: 'A2A_TASK_NOT_FOUND',
      suggestions: ['Task ids come from `kaos agent a2a send --async`; an agent keeps them in memory, so a restarted pod has none of the old ones.'],
    })
  if (code === -32601 || /UnsupportedOperation/.test(name)) throw noA2A(s.ep.label, `it does not implement that A2A method (${message})`)
  if (name === 'TimeoutError' || (name === 'AbortError' && /timeout/i.test(message)))
    throw new KaosError(`${s.ep.label} gave no answer within --timeout${taskId ? ` (task ${taskId} goes on)` : ''}`, {exit: ExitCode.TOOL_ERROR, code: 'TIMEOUT', suggestions: ['Raise --timeout (e.g. --timeout 10m).']})
  if (code === undefined && !/A2A|JsonRpc|Error$/.test(name)) return networkFailure(s.ep, error)
  if (code === undefined && error instanceof TypeError) return networkFailure(s.ep, error)
  throw new KaosError(`${s.ep.label} answered an A2A error${code === undefined ? '' : ` ${code}`}: ${message}`, {exit: ExitCode.TOOL_ERROR, code: 'A2A_ERROR'})
}

export interface SendOptions {
  text: string
  contextId?: string
  /** Return as soon as the agent has the task (its id), without waiting for it to finish. */
  returnImmediately?: boolean
  /** Each task update as it arrives (streaming agents, or the final task). */
  onUpdate?: (t: A2ATask) => void
  signal?: AbortSignal
}

/** Send a message: streamed when the agent streams, else one answer; the task it made (or ran). */
export async function sendA2A(s: A2ASession, o: SendOptions): Promise<A2ATask> {
  const {randomUUID} = await import('node:crypto')
  const params = {
    tenant: '',
    message: {messageId: randomUUID(), contextId: o.contextId ?? '', taskId: '', role: 1, parts: [{content: {$case: 'text', value: o.text}, metadata: undefined, filename: '', mediaType: ''}], metadata: undefined, extensions: [], referenceTaskIds: []},
    configuration: {acceptedOutputModes: ['text/plain', 'application/json'], taskPushNotificationConfig: undefined, returnImmediately: Boolean(o.returnImmediately)},
    metadata: undefined,
  } as never
  try {
    if (o.returnImmediately) return fromResult(await s.client.sendMessage(params, {signal: o.signal} as never), o)
    let task: A2ATask | undefined
    for await (const ev of s.client.sendMessageStream(params, {signal: o.signal} as never) as AsyncIterable<any>) {
      task = applyEvent(task, ev)
      if (task) o.onUpdate?.(task)
    }
    if (!task) throw new KaosError(`${s.ep.label} answered no task`, {exit: ExitCode.TOOL_ERROR, code: 'A2A_ERROR'})
    return task
  } catch (error) {
    return a2aError(s, error, undefined, o.signal)
  }
}

function fromResult(r: any, o: SendOptions): A2ATask {
  // A message rather than a task: the agent answered without making one.
  const t = r && 'messageId' in r ? {id: '', contextId: r.contextId ?? '', state: 'completed', history: [{role: 'agent', text: textOf(r.parts)}], artifacts: []} : plainTask(r)
  o.onUpdate?.(t)
  return t
}

/** Fold one stream event into the task seen so far. */
function applyEvent(task: A2ATask | undefined, ev: any): A2ATask | undefined {
  const p = ev?.payload
  if (!p) return task
  if (p.$case === 'task') return plainTask(p.value)
  if (p.$case === 'message') return {id: task?.id ?? p.value.taskId ?? '', contextId: p.value.contextId ?? task?.contextId ?? '', state: task?.state ?? 'completed', history: [...(task?.history ?? []), {role: 'agent', text: textOf(p.value.parts)}], artifacts: task?.artifacts ?? []}
  const base: A2ATask = task ?? {id: p.value.taskId, contextId: p.value.contextId, state: 'submitted', history: [], artifacts: []}
  if (p.$case === 'statusUpdate') {
    const st = p.value.status
    const message = st?.message ? textOf(st.message.parts) : undefined
    const {message: _old, ...rest} = base
    return {...rest, state: stateName(st?.state), ...(message ? {message, history: [...base.history, {role: 'agent', text: message}]} : {})}
  }
  if (p.$case === 'artifactUpdate') {
    const a = p.value.artifact
    const text = textOf(a?.parts)
    const artifacts = p.value.append && base.artifacts.length > 0 ? [...base.artifacts.slice(0, -1), {...base.artifacts.at(-1)!, text: base.artifacts.at(-1)!.text + text}] : [...base.artifacts, {...(a?.name ? {name: a.name} : {}), text}]
    return {...base, artifacts}
  }
  return task
}

/** One task, as it is now. */
export async function getA2ATask(s: A2ASession, id: string, signal?: AbortSignal): Promise<A2ATask> {
  try {
    return plainTask(await s.client.getTask({tenant: '', id, historyLength: undefined} as never, {signal} as never))
  } catch (error) {
    return a2aError(s, error, id, signal)
  }
}

/** Ask the agent to cancel a task; the task as it is then. */
export async function cancelA2ATask(s: A2ASession, id: string, signal?: AbortSignal): Promise<A2ATask> {
  try {
    return plainTask(await s.client.cancelTask({tenant: '', id, metadata: undefined} as never, {signal} as never))
  } catch (error) {
    return a2aError(s, error, id, signal)
  }
}

/** Follow a task until it ends: each update through `onUpdate`; the last state. */
export async function watchA2ATask(s: A2ASession, id: string, onUpdate: (t: A2ATask) => void, signal?: AbortSignal): Promise<A2ATask> {
  let task = await getA2ATask(s, id, signal)
  onUpdate(task)
  if (TERMINAL_STATES.has(task.state)) return task
  try {
    for await (const ev of s.client.resubscribeTask({tenant: '', id} as never, {signal} as never) as AsyncIterable<any>) {
      const next = applyEvent(task, ev)
      if (next && next !== task) {
        task = next
        onUpdate(task)
      }
      if (TERMINAL_STATES.has(task.state)) break
    }
  } catch (error) {
    return a2aError(s, error, id, signal)
  }
  return task
}
