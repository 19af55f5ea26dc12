/**
 * An OpenAI-compatible chat client: `POST /v1/chat/completions`, plain or streamed (SSE, tokens
 * handed to `onDelta` as they arrive). Used for agents (KAOS agent) and model APIs (LiteLLM
 * proxy, Ollama's OpenAI-compatible path). Errors carry kaos's exit codes.
 */
import http from 'node:http'
import https from 'node:https'
import {Readable} from 'node:stream'

import {formatDuration} from './duration.js'
import {ExitCode, KaosError} from './errors.js'

export type FetchFn = (url: string | URL, init?: RequestInit) => Promise<Response>

/**
 * A `fetch` over node:http with its own keep-alive agents, so `close()` can end every connection
 * at once: the global fetch keeps idle sockets open for seconds after the last answer, which holds
 * a one-shot CLI's exit. Bodies stream (SSE works); redirects are not followed.
 */
export function createHttpFetch(): {fetch: FetchFn; close: () => void} {
  const agents = {'http:': new http.Agent({keepAlive: true}), 'https:': new https.Agent({keepAlive: true})}
  const doFetch: FetchFn = (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(String(input))
      const isHttps = url.protocol === 'https:'
      const headers: Record<string, string> = {}
      new Headers(init.headers).forEach((v, k) => {
        headers[k] = v
      })
      const body = init.body
      if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body))
      const method = (init.method ?? 'GET').toUpperCase()
      const req = (isHttps ? https : http).request(
        url,
        {method, headers, agent: isHttps ? agents['https:'] : agents['http:'], signal: init.signal ?? undefined},
        (res) => {
          const h = new Headers()
          for (const [k, v] of Object.entries(res.headers)) {
            if (Array.isArray(v)) for (const x of v) h.append(k, x)
            else if (v !== undefined) h.set(k, v)
          }
          const status = res.statusCode ?? 502
          const noBody = status === 204 || status === 304 || method === 'HEAD'
          if (noBody) res.resume()
          resolve(new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {status, statusText: res.statusMessage, headers: h}))
        },
      )
      req.on('error', reject)
      if (body !== undefined && body !== null) req.write(typeof body === 'string' ? body : Buffer.from(body as ArrayBuffer))
      req.end()
    })
  return {
    fetch: doFetch,
    close: () => {
      agents['http:'].destroy()
      agents['https:'].destroy()
    },
  }
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool'
  content: string
}

export interface ChatOptions {
  /** Base URL, e.g. http://127.0.0.1:40123 (no trailing path). */
  baseUrl: string
  /** Default /v1/chat/completions. */
  path?: string
  model: string
  messages: ChatMessage[]
  stream?: boolean
  /** Streamed text as it arrives. */
  onDelta?: (text: string) => void
  headers?: Record<string, string>
  /** Overall timeout in ms (default 120 s). */
  timeoutMs?: number
  signal?: AbortSignal
  /** Extra request fields (temperature, max_tokens, …). */
  extra?: Record<string, unknown>
  /** What errors say they were talking to (default: the URL). */
  target?: string
  /** Turn a network failure into a clearer error (port-forward lost its pod). */
  explainNetworkError?: (error: Error) => Promise<KaosError | undefined>
  /** fetch to use (default: a private one, closed when the answer is complete). */
  fetch?: FetchFn
  /**
   * Streamed chunks that report progress rather than carry text (upstream KAOS's agent runtime
   * streams each tool call as a JSON chunk): handed to `onProgress`, left out of the content.
   */
  progressOf?: (delta: string) => AgentProgress | undefined
  onProgress?: (p: AgentProgress) => void
}

/** A step of upstream KAOS's agent runtime (pais), as it streams it: `{"type": "progress", …}`. */
export interface AgentProgress {
  step: number
  maxSteps: number
  /** `tool_call` or `delegate` (to a peer agent). */
  action: string
  /** The tool or the peer. */
  target: string
}

/** A pais progress chunk, or undefined for text. */
export function agentProgressOf(delta: string): AgentProgress | undefined {
  if (!delta.startsWith('{"type": "progress"') && !delta.startsWith('{"type":"progress"')) return undefined
  try {
    const v = JSON.parse(delta)
    if (v?.type !== 'progress') return undefined
    return {step: Number(v.step), maxSteps: Number(v.max_steps), action: String(v.action), target: String(v.target)}
  } catch {
    return undefined
  }
}

/**
 * What upstream KAOS's agent runtime answers (HTTP 200) when a run fails: its model API or an MCP
 * server unreachable, a tool failing. The error, or undefined for an answer.
 */
export function agentRuntimeError(content: string): string | undefined {
  const prefix = 'Sorry, I encountered an error: '
  return content.startsWith(prefix) ? content.slice(prefix.length) : undefined
}

export interface ChatResult {
  content: string
  model?: string
  id?: string
  finishReason?: string
  usage?: Record<string, unknown>
  /** The whole answer (non-streamed), or the last chunk (streamed). */
  raw?: unknown
  /** Number of SSE chunks (streamed). */
  chunks?: number
}

/** Parse SSE text into events: `data` lines joined, `event` name kept. Returns the unparsed rest. */
export function parseSse(buffer: string): {events: Array<{event?: string; data: string}>; rest: string} {
  const events: Array<{event?: string; data: string}> = []
  const parts = buffer.split(/\r?\n\r?\n/)
  const rest = parts.pop() ?? ''
  for (const part of parts) {
    let event: string | undefined
    const data: string[] = []
    for (const line of part.split(/\r?\n/)) {
      if (line.startsWith(':')) continue
      const i = line.indexOf(':')
      const field = i === -1 ? line : line.slice(0, i)
      let value = i === -1 ? '' : line.slice(i + 1)
      if (value.startsWith(' ')) value = value.slice(1)
      if (field === 'data') data.push(value)
      else if (field === 'event') event = value
    }
    if (data.length > 0 || event) events.push({event, data: data.join('\n')})
  }
  return {events, rest}
}

/** The error text of an OpenAI-style error body (`{error: {message}}`, `{detail}`, `{error: "…"}`). */
export function errorMessageOf(body: string): string {
  try {
    const v = JSON.parse(body)
    const m = v?.error?.message ?? (typeof v?.error === 'string' ? v.error : undefined) ?? v?.detail?.message ?? v?.detail ?? v?.message
    if (m) return typeof m === 'string' ? m : JSON.stringify(m)
  } catch {
    // not JSON
  }
  return body.trim().split('\n')[0].slice(0, 500)
}

function networkError(e: Error): boolean {
  const code = (e as NodeJS.ErrnoException).code ?? (e as {cause?: {code?: string}}).cause?.code
  return /fetch failed|other side closed|terminated|socket hang up|aborted/i.test(e.message) || Boolean(code && /^(E[A-Z]+|UND_ERR_SOCKET)$/.test(code))
}

/** One chat completion. Streamed text goes to `onDelta`; the whole text is in the result. */
export async function chatCompletion(opts: ChatOptions): Promise<ChatResult> {
  const url = opts.baseUrl.replace(/\/$/, '') + (opts.path ?? '/v1/chat/completions')
  const target = opts.target ?? url
  const timeoutMs = opts.timeoutMs ?? 120_000
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout
  const body = {model: opts.model, messages: opts.messages, stream: Boolean(opts.stream), ...opts.extra}
  const own = opts.fetch ? undefined : createHttpFetch()
  try {
    return await chatWith(opts.fetch ?? own!.fetch, opts, url, target, timeoutMs, timeout, signal, body)
  } finally {
    own?.close()
  }
}

async function chatWith(
  fetchFn: FetchFn,
  opts: ChatOptions,
  url: string,
  target: string,
  timeoutMs: number,
  timeout: AbortSignal,
  signal: AbortSignal,
  body: Record<string, unknown>,
): Promise<ChatResult> {
  const fail = async (error: unknown): Promise<never> => {
    if (error instanceof KaosError) throw error
    if (opts.signal?.aborted) throw opts.signal.reason
    if (timeout.aborted)
      throw new KaosError(`no complete answer from ${target} within --timeout ${formatDuration(timeoutMs)}`, {exit: ExitCode.TOOL_ERROR, code: 'TIMEOUT', suggestions: ['Raise --timeout (models can be slow to load).']})
    const e = error as Error
    if (e instanceof Error && networkError(e)) {
      const better = await opts.explainNetworkError?.(e).catch(() => undefined)
      if (better) throw better
      const cause = (e as {cause?: {code?: string; message?: string}}).cause
      throw new KaosError(`cannot talk to ${target}: ${(e as NodeJS.ErrnoException).code ?? cause?.code ?? cause?.message ?? e.message}`, {exit: ExitCode.WORKLOAD_FAILED, code: 'UNREACHABLE'})
    }
    throw e
  }

  let res: Response
  try {
    res = await fetchFn(url, {
      method: 'POST',
      headers: {'content-type': 'application/json', accept: opts.stream ? 'text/event-stream' : 'application/json', ...opts.headers},
      body: JSON.stringify(body),
      signal,
    })
  } catch (error) {
    return fail(error)
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '')
    throw new KaosError(`${target} answered HTTP ${res.status}: ${errorMessageOf(text) || res.statusText}`, {
      exit: ExitCode.TOOL_ERROR,
      code: 'CHAT_HTTP_ERROR',
      data: {status: res.status, body: text.slice(0, 4000)},
      suggestions: res.status === 404 ? ['Is this an OpenAI-compatible endpoint? It should serve POST /v1/chat/completions.'] : res.status === 400 ? ['Check --model: the server may not know it.'] : [],
    })
  }

  const type = res.headers.get('content-type') ?? ''
  if (!opts.stream || !type.includes('text/event-stream')) {
    let raw: any
    try {
      raw = await res.json()
    } catch (error) {
      if (error instanceof SyntaxError) throw new KaosError(`${target} did not answer JSON`, {exit: ExitCode.TOOL_ERROR, code: 'CHAT_PROTOCOL_ERROR'})
      return fail(error)
    }
    const choice = raw?.choices?.[0]
    const content = choice?.message?.content ?? choice?.text ?? ''
    if (opts.stream && content) opts.onDelta?.(content)
    return {content, model: raw?.model, id: raw?.id, finishReason: choice?.finish_reason, usage: raw?.usage, raw}
  }

  // Streamed: `data: {chunk}` events, `data: [DONE]` at the end.
  let content = ''
  let chunks = 0
  let last: any
  let finishReason: string | undefined
  let usage: Record<string, unknown> | undefined
  let buffer = ''
  const decoder = new TextDecoder()
  try {
    const reader = res.body!.getReader()
    let done = false
    while (!done) {
      const r = await reader.read()
      if (r.done) break
      buffer += decoder.decode(r.value, {stream: true})
      const parsed = parseSse(buffer)
      buffer = parsed.rest
      for (const ev of parsed.events) {
        if (ev.data === '[DONE]') {
          done = true
          break
        }
        let chunk: any
        try {
          chunk = JSON.parse(ev.data)
        } catch {
          continue
        }
        if (ev.event === 'error' || chunk?.error) {
          throw new KaosError(`${target} failed while streaming: ${errorMessageOf(ev.data)}`, {exit: ExitCode.TOOL_ERROR, code: 'CHAT_STREAM_ERROR'})
        }
        chunks++
        last = chunk
        const choice = chunk?.choices?.[0]
        const delta = choice?.delta?.content ?? choice?.text ?? ''
        const progress = delta ? opts.progressOf?.(delta) : undefined
        if (progress) opts.onProgress?.(progress)
        else if (delta) {
          content += delta
          opts.onDelta?.(delta)
        }
        if (choice?.finish_reason) finishReason = choice.finish_reason
        if (chunk?.usage) usage = chunk.usage
      }
    }
    if (done) await reader.cancel().catch(() => {})
  } catch (error) {
    return fail(error)
  }
  return {content, model: last?.model, id: last?.id, finishReason, usage, raw: last, chunks}
}
