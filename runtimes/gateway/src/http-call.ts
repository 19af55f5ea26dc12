// Declarative HTTP calls: a configured HttpCall, compiled once, run with a call's arguments. Every
// way a call can go wrong (an argument the URL needs is missing, the service is unreachable or
// slow, the answer is too big) comes back as a value, never as a thrown error, so a tool turns it
// into `isError` and the gateway keeps serving.
import http from 'node:http'
import https from 'node:https'

import {DEFAULTS, type HeaderValue, type HttpCall} from './config.js'
import {compileJson, lookup, parseTemplate, render, stringify, type Placeholder, type Template} from './template.js'

export type Outcome =
  | {ok: true; status: number; statusText: string; mediaType: string; body: Buffer; target: string; location?: string}
  | {ok: false; reason: 'timeout' | 'unreachable' | 'too_large' | 'bad_arguments'; message: string}

export interface CompiledCall {
  run(args: unknown, maxBytes?: number): Promise<Outcome>
}

interface UrlPart {
  text: string | Placeholder
  inQuery: boolean
}

export function compileCall(call: HttpCall, env: Record<string, string | undefined>): CompiledCall {
  const method = call.method ?? 'GET'
  const timeoutMs = call.timeoutMs ?? DEFAULTS.httpTimeoutMs
  // The scheme://host:port holds no placeholder (checked in config): keep it literal.
  const authority = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(call.url)![0]
  const rest = parseTemplate(call.url.slice(authority.length))
  const parts: UrlPart[] = []
  let inQuery = false
  for (const p of rest.parts) {
    parts.push({text: p, inQuery})
    if (typeof p === 'string' && p.includes('?')) inQuery = true
  }
  const query = Object.entries(call.query ?? {}).map(([k, v]) => [k, parseTemplate(v)] as const)
  const headers = compileHeaders(call.headers, env)
  const body = call.body === undefined ? undefined : compileJson(call.body)
  const hasContentType = Object.keys(call.headers ?? {}).some((k) => k.toLowerCase() === 'content-type')

  return {
    async run(args, maxBytes = DEFAULTS.maxResponseBytes) {
      let url = authority
      let missing: string | undefined
      for (const {text, inQuery: q} of parts) {
        if (typeof text === 'string') url += text
        else {
          const v = lookup(args, text.path)
          if (v === undefined && !q) missing ??= text.source
          url += encodeURIComponent(stringify(v))
        }
      }
      if (missing) return {ok: false, reason: 'bad_arguments', message: `the URL needs ${missing}, which is missing`}
      const path = url.slice(authority.length).split('?')[0]
      if (path.split('/').some((s) => /^(\.|%2e){1,2}$/i.test(s))) {
        return {ok: false, reason: 'bad_arguments', message: 'an argument made a "." or ".." path segment, which is not allowed'}
      }
      let sep = url.includes('?') ? (url.endsWith('?') || url.endsWith('&') ? '' : '&') : '?'
      for (const [k, t] of query) {
        for (const v of queryValues(t, args)) {
          url += `${sep}${encodeURIComponent(k)}=${encodeURIComponent(v)}`
          sep = '&'
        }
      }
      const h: Record<string, string> = {}
      for (const [k, v] of headers) h[k] = typeof v === 'string' ? v : render(v, args)
      let payload: string | undefined
      if (body) {
        const value = body(args)
        if (value !== undefined) {
          payload = JSON.stringify(value)
          if (!hasContentType) h['content-type'] = 'application/json'
        }
      }
      const target = `${method} ${url.split('?')[0]}`
      return fetchLimited(url, {method, headers: h, body: payload}, timeoutMs, maxBytes, target)
    },
  }
}

function queryValues(t: Template, args: unknown): string[] {
  if (t.whole) {
    const v = lookup(args, t.whole.path)
    if (v === undefined) return []
    return Array.isArray(v) ? v.map(stringify) : [stringify(v)]
  }
  return [render(t, args)]
}

function compileHeaders(hs: Record<string, HeaderValue> | undefined, env: Record<string, string | undefined>): Array<[string, string | Template]> {
  return Object.entries(hs ?? {}).map(([k, v]) => {
    if (typeof v !== 'string') return [k, (v.prefix ?? '') + (env[v.fromEnv] ?? '')]
    const t = parseTemplate(v)
    return [k, t.parts.every((p) => typeof p === 'string') ? v : t]
  })
}

/** Headers for upstream MCP servers: literal or from env, no templates. */
export function staticHeaders(hs: Record<string, HeaderValue> | undefined, env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(hs ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : (v.prefix ?? '') + (env[v.fromEnv] ?? '')]))
}

// node:http rather than fetch: fetch refuses the "bad ports" browsers block (6000, 10080, …),
// which in-cluster services may well use, and costs more per call.
const agents = {
  'http:': new http.Agent({keepAlive: true, keepAliveMsecs: 15_000}),
  'https:': new https.Agent({keepAlive: true, keepAliveMsecs: 15_000}),
}

function fetchLimited(url: string, init: {method: string; headers: Record<string, string>; body?: string}, timeoutMs: number, maxBytes: number, target: string): Promise<Outcome> {
  return new Promise((resolve) => {
    let done = false
    const finish = (o: Outcome) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve(o)
    }
    const timer = setTimeout(() => {
      finish({ok: false, reason: 'timeout', message: `${target} did not answer within ${timeoutMs} ms`})
      req?.destroy()
    }, timeoutMs)
    let req: http.ClientRequest | undefined
    try {
      const u = new URL(url)
      const headers: Record<string, string> = {...init.headers}
      if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body))
      const mod = u.protocol === 'https:' ? https : http
      req = mod.request(u, {method: init.method, headers, agent: agents[u.protocol as 'http:' | 'https:']}, (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          if (size > maxBytes) {
            finish({ok: false, reason: 'too_large', message: `the answer from ${target} is larger than ${maxBytes} bytes (raise response.maxBytes or select less)`})
            res.destroy()
            return
          }
          chunks.push(c)
        })
        res.on('end', () => {
          const mediaType = String(res.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
          finish({ok: true, status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', mediaType, body: Buffer.concat(chunks), target, location: res.headers.location})
        })
        res.on('error', (error) => finish({ok: false, reason: 'unreachable', message: `${target} broke off its answer: ${describeError(error)}`}))
      })
      req.on('error', (error) => finish({ok: false, reason: 'unreachable', message: `cannot reach ${target}: ${describeError(error)}`}))
      req.end(init.body)
    } catch (error) {
      // Node checks header values before sending: a line break in one from an argument lands here.
      finish({ok: false, reason: 'bad_arguments', message: `cannot send ${target}: ${describeError(error)}`})
    }
  })
}

function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException
  return e.code ? `${e.code}${e.message && !e.message.includes(e.code) ? ` (${e.message})` : ''}` : (e.message ?? String(error))
}

/** The start of a body, on one line, for error messages. */
export function excerpt(body: Buffer, max = 300): string {
  const text = body.subarray(0, max * 4).toString('utf8').replace(/\s+/g, ' ').trim()
  return text.length > max ? `${text.slice(0, max)}…` : text
}

export function isJsonType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json')
}

export function isTextualType(mediaType: string): boolean {
  return (
    mediaType === '' ||
    mediaType.startsWith('text/') ||
    isJsonType(mediaType) ||
    mediaType.endsWith('+xml') ||
    ['application/xml', 'application/yaml', 'application/x-yaml', 'application/javascript', 'application/x-ndjson', 'application/graphql'].includes(mediaType)
  )
}
