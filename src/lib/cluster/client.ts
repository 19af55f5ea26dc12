import {X509Certificate} from 'node:crypto'
import {setMaxListeners} from 'node:events'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import tls from 'node:tls'
import {setTimeout as sleep} from 'node:timers/promises'

import {ExitCode, KaosError, namespaceTerminating} from '../errors.js'
import {type ConnectionSettings, Credentials} from './auth.js'
import {type Kubeconfig, type KubeTarget, loadKubeconfig, resolveTarget} from './kubeconfig.js'
import {checkNamespace} from './paths.js'

export interface ConnectOptions {
  kubeconfig?: string
  context?: string
  namespace?: string
  /**
   * The namespace when -n is not given, before the context's (kaos's config file). Unlike -n it
   * is not explicit: a document's own metadata.namespace may differ from it.
   */
  defaultNamespace?: string
  /** Retries for 429/5xx and dropped connections (default 4). */
  retries?: number
  /**
   * How long one request may go without an answer (connect, then each gap between bytes) before
   * it fails: kubectl's --request-timeout. Watches and log streams use their own (longer) bound.
   */
  requestTimeoutMs?: number
  /** Ends every request at once when it fires: `--timeout` bounding a whole command. */
  deadline?: AbortSignal
}

/** The default --request-timeout: long enough for a busy API server, short enough that a dead one is noticed. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
/** TCP+TLS connect limit, whatever --request-timeout says: an address that drops packets fails fast. */
const CONNECT_TIMEOUT_MS = 10_000

/** A Kubernetes `Status` object as the API server returns it on errors. */
export interface Status {
  kind?: 'Status'
  code?: number
  reason?: string
  message?: string
  details?: {name?: string; group?: string; kind?: string; causes?: Array<{reason?: string; message?: string; field?: string}>; retryAfterSeconds?: number}
}

/** An API answer that is not 2xx, kept with the request that caused it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Status,
    readonly method: string,
    readonly path: string,
  ) {
    super(body.message ?? `HTTP ${status}`)
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  contentType?: string
  /** Return undefined instead of throwing on 404. */
  allow404?: boolean
  /**
   * With allow404, also the API server's plain-text 404 ("404 page not found"): its answer for an
   * API group it does not serve (a CRD that is not installed).
   */
  missingApiOk?: boolean
  signal?: AbortSignal
  /**
   * A long-lived stream (watch, log follow) goes quiet for long stretches: it gets this idle bound
   * instead of --request-timeout's (0: none; the caller bounds it with its signal).
   */
  idleTimeoutMs?: number
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|SSL|EPROTO/

const VERBS: Record<string, string> = {GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete'}

/** Split an API path into the resource, its group and namespace, for messages. */
export function describePath(method: string, path: string, query?: RequestOptions['query']): {verb: string; resource: string; namespace?: string} {
  const p = path.split('?')[0].split('/').filter(Boolean).map((x) => decodeURIComponent(x))
  // /api/v1/... or /apis/<group>/<version>/...
  const rest = p[0] === 'api' ? p.slice(2) : p.slice(3)
  const group = p[0] === 'apis' ? p[1] : ''
  let namespace: string | undefined
  let i = 0
  if (rest[0] === 'namespaces' && rest.length > 2) {
    namespace = rest[1]
    i = 2
  }
  const resource = rest[i] ?? 'namespaces'
  const sub = rest[i + 2] ? `/${rest[i + 2]}` : ''
  let verb = VERBS[method] ?? method.toLowerCase()
  if (method === 'GET' && rest[i + 1] === undefined) verb = query?.watch ? 'watch' : 'list'
  return {verb, resource: `${resource}${sub}${group ? `.${group}` : ''}`, namespace}
}

/** A request that got no answer in time (connect or idle), as an errno-style error. */
class RequestTimeout extends Error {
  readonly code = 'ETIMEDOUT'
  constructor(readonly phase: 'connect' | 'answer', readonly ms: number) {
    super(`${phase === 'connect' ? 'no connection' : 'no answer'} within ${ms} ms`)
  }
}

/** Request tracing (KAOS_TRACE=http): method, path, status and milliseconds on stderr. */
const TRACE = /(^|,)(http|all|1|true)(,|$)/.test(process.env.KAOS_TRACE ?? '')
const t0 = performance.timeOrigin

function trace(line: string): void {
  if (TRACE) process.stderr.write(`[kaos trace +${Math.round(performance.now())}ms] ${line}\n`)
}
void t0

/**
 * The one door to the cluster: connection from kubeconfig, authenticated HTTP with retries and
 * timeouts, and translation of failures into kaos's one-line errors and exit codes.
 */
export class Cluster {
  readonly kubeconfig: Kubeconfig
  readonly target: KubeTarget
  readonly server: string
  readonly contextName: string
  readonly userName: string
  /** The namespace in effect: -n, else the config file's, else the context's, else `default`. */
  readonly namespace: string
  readonly namespaceExplicit: boolean
  readonly credentials: Credentials
  private readonly retries: number
  private readonly requestTimeoutMs: number
  private readonly deadline?: AbortSignal
  /** Set once the server has answered: a refused connection after that is a restart, worth waiting out. */
  private answered = false
  /** Kept-alive connections: the requests of one command share TLS handshakes. */
  private readonly agent: http.Agent

  private constructor(kc: Kubeconfig, target: KubeTarget, opts: ConnectOptions) {
    this.kubeconfig = kc
    this.target = target
    this.contextName = target.context
    this.userName = target.user.name
    this.server = target.cluster.server.replace(/\/$/, '')
    this.namespaceExplicit = Boolean(opts.namespace)
    this.namespace = checkNamespace(
      opts.namespace || opts.defaultNamespace || target.namespace || 'default',
      opts.namespace ? 'namespace' : opts.defaultNamespace ? 'the namespace of kaos\'s config' : `the namespace of context "${target.context}"`,
    )
    this.retries = opts.retries ?? 4
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.deadline = opts.deadline
    // One command-wide deadline listens on every request in flight (a deploy of many objects
    // sends dozens at once): that is its purpose, not a leak.
    if (opts.deadline) setMaxListeners(0, opts.deadline)
    this.credentials = new Credentials(target)
    const proxy = target.cluster.proxyUrl ?? proxyFromEnv(this.server)
    const agentOpts = {keepAlive: true, maxSockets: 16}
    this.agent = proxy ? new ProxyAgent(proxy, this.server.startsWith('https:'), agentOpts) : this.server.startsWith('http:') ? new http.Agent(agentOpts) : new https.Agent(agentOpts)
  }

  /**
   * Load the kubeconfig (see kubeconfig.ts for the rules kubectl uses), pick the context and
   * resolve the namespace. No network yet.
   */
  static connect(opts: ConnectOptions = {}): Cluster {
    const kc = loadKubeconfig({kubeconfig: opts.kubeconfig})
    const target = resolveTarget(kc, opts.context)
    try {
      new URL(target.cluster.server)
    } catch {
      throw new KaosError(`the server of cluster "${target.cluster.name}" (${target.cluster.server}) is not a URL`, {exit: ExitCode.INVALID_INPUT})
    }
    return new Cluster(kc, target, opts)
  }

  /** TLS settings and auth headers for the next connection (also used for WebSockets). */
  async connectionSettings(): Promise<ConnectionSettings> {
    return this.credentials.settings()
  }

  /** The connection pool, for WebSockets to the API server (port-forward). */
  get httpAgent(): http.Agent {
    return this.agent
  }

  url(path: string, query?: RequestOptions['query']): URL {
    const url = new URL(this.server + path)
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v))
    return url
  }

  /**
   * One HTTP exchange, no retries. Resolves with the response once its headers arrive. Fails
   * with ETIMEDOUT when nothing connects or nothing is heard for too long (see ConnectOptions).
   */
  async open(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    const url = this.url(path, opts.query)
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
    const s = await this.connectionSettings()
    const headers: Record<string, string> = {Accept: 'application/json', 'User-Agent': 'kaos', ...s.headers}
    if (body !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json'
      headers['Content-Length'] = String(Buffer.byteLength(body))
    }
    const signals = [opts.signal, this.deadline].filter(Boolean) as AbortSignal[]
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0]
    const started = performance.now()
    const idleMs = opts.idleTimeoutMs ?? this.requestTimeoutMs
    const mod = url.protocol === 'http:' ? http : https
    return new Promise((resolve, reject) => {
      const req = mod.request(
        {
          method,
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port,
          path: url.pathname + url.search,
          headers,
          agent: this.agent,
          signal,
          ...(url.protocol === 'https:' ? {secureContext: s.secureContext, rejectUnauthorized: s.rejectUnauthorized, servername: s.servername} : {}),
        },
        (res) => {
          clearTimeout(connectTimer)
          trace(`${method} ${url.pathname}${url.search} ${res.statusCode} ${Math.round(performance.now() - started)}ms`)
          // From here on the caller reads the body; an idle timeout still applies unless it is a stream.
          if (idleMs) res.setTimeout(idleMs, () => res.destroy(new RequestTimeout('answer', idleMs)))
          resolve(res)
        },
      )
      const connectTimer = setTimeout(() => req.destroy(new RequestTimeout(this.answered ? 'answer' : 'connect', Math.min(CONNECT_TIMEOUT_MS, idleMs || CONNECT_TIMEOUT_MS))), Math.min(CONNECT_TIMEOUT_MS, idleMs || CONNECT_TIMEOUT_MS))
      req.on('socket', (sock) => {
        let done = false
        // The connect limit covers TCP; the TLS handshake, like the answer, falls under the idle limit.
        const connected = () => {
          if (done) return
          done = true
          clearTimeout(connectTimer)
          if (idleMs) req.setTimeout(idleMs, () => req.destroy(new RequestTimeout('answer', idleMs)))
        }
        if ((sock as net.Socket).connecting) sock.once('connect', connected)
        else connected()
      })
      req.on('error', (e) => {
        clearTimeout(connectTimer)
        trace(`${method} ${url.pathname}${url.search} failed after ${Math.round(performance.now() - started)}ms: ${(e as NodeJS.ErrnoException).code ?? e.message}`)
        reject(this.deadline?.aborted && !opts.signal?.aborted ? this.deadlineError(method, path, opts.query) : e)
      })
      if (body !== undefined) req.write(body)
      req.end()
    })
  }

  /** --timeout ran out while the API server had not answered. */
  private deadlineError(method: string, path: string, query?: RequestOptions['query']): KaosError {
    const {verb, resource} = describePath(method, path, query)
    const reason = this.deadline?.reason
    if (reason instanceof KaosError) return reason
    return new KaosError(`timed out (--timeout) waiting for the API server at ${this.server} to answer ${verb} ${resource}`, {
      exit: ExitCode.CLUSTER_UNREACHABLE,
      code: 'TIMEOUT',
      suggestions: ['Is the API server overloaded or a proxy in the way? Raise --timeout, or check the cluster.'],
    })
  }

  /**
   * A JSON request with retries on 429, 5xx and dropped connections (exponential backoff,
   * honouring Retry-After). Failures become KaosErrors, except ApiErrors callers may handle
   * (404 when `allow404`, 409 conflicts, 422 invalid) which are thrown as ApiError.
   */
  async request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let res: http.IncomingMessage
      let text: string
      try {
        res = await this.open(method, path, opts)
        text = await readBody(res)
      } catch (error) {
        const e = error as NodeJS.ErrnoException
        if (e instanceof KaosError || e.name === 'AbortError') throw error
        // Never reached: fail fast (a wrong context should not cost seconds). Reached before: the
        // server is restarting or overloaded, so keep trying for ~10 s. A request that timed out
        // is not repeated: --request-timeout is the user's bound.
        const budget = this.answered ? this.retries + 2 : 1
        if (!(e instanceof RequestTimeout) && attempt < budget && isTransientNetworkError(e)) {
          await sleep(backoff(attempt), undefined, {signal: this.deadline}).catch(() => {})
          if (this.deadline?.aborted) throw this.deadlineError(method, path, opts.query)
          continue
        }
        throw this.networkError(e, method, path, opts.query)
      }
      this.answered = true
      const status = res.statusCode ?? 0
      const json = <X>(): X => {
        try {
          return JSON.parse(text) as X
        } catch {
          throw this.notJson(res, text, method, path)
        }
      }
      if (status >= 200 && status < 300) return (text ? json<T>() : undefined) as T
      if (status === 404 && opts.allow404 && (isJson(res) || opts.missingApiOk)) return undefined as T
      // The API server reports apply bodies that do not fit the schema as a 500; that is bad input, not an outage.
      const schemaError = status === 500 && /failed to create typed patch object|field not declared in schema/.test(text)
      if (schemaError) {
        const body = json<Status>()
        throw new ApiError(422, {...body, details: {...body.details, causes: [{message: /\): (.*)$/.exec(body.message ?? '')?.[1] ?? body.message}]}}, method, path)
      }
      const retryable = status === 429 || status === 500 || status === 502 || status === 503 || status === 504
      if (retryable && attempt < this.retries) {
        const after = Number(res.headers['retry-after'])
        await sleep(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 10_000) : backoff(attempt), undefined, {signal: this.deadline}).catch(() => {})
        if (this.deadline?.aborted) throw this.deadlineError(method, path, opts.query)
        continue
      }
      if (status === 401 && attempt === 0 && this.target.user.exec) {
        // An exec credential the server no longer takes: ask the plugin once more.
        this.credentials.invalidate()
        continue
      }
      // A proxy's HTML error page is not the API server talking.
      if (!isJson(res) && !(status === 401 || status === 403)) throw this.notJson(res, text, method, path)
      let parsed: Status = {}
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = {message: text.slice(0, 200)}
      }
      throw this.apiError(new ApiError(status, parsed, method, path), opts.query)
    }
  }

  /** An answer that is not JSON: almost always a proxy, load balancer or wrong URL in between. */
  private notJson(res: http.IncomingMessage, text: string, method: string, path: string): KaosError {
    const type = String(res.headers['content-type'] ?? 'no content type').split(';')[0]
    const excerpt = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120)
    return new KaosError(`${this.server}${path.split('?')[0]} answered ${method} with HTTP ${res.statusCode} and ${type}, not the Kubernetes API's JSON${excerpt ? `: "${excerpt}"` : ''}`, {
      exit: ExitCode.CLUSTER_UNREACHABLE,
      code: 'UNREACHABLE',
      suggestions: ["Is a proxy or load balancer in the way, or does the kubeconfig's server URL point at something else?"],
    })
  }

  /** Turn an API failure into the documented error, or keep ApiError for callers to interpret. */
  apiError(err: ApiError, query?: RequestOptions['query']): Error {
    const {verb, resource, namespace} = describePath(err.method, err.path, query)
    if (err.status === 401) {
      const expired = this.expiredClientCert()
      return new KaosError(
        expired
          ? `the client certificate of user "${this.userName}" expired on ${expired}; the API server at ${this.server} refused it (401 Unauthorized)`
          : `the API server at ${this.server} refused the credentials of user "${this.userName}" (401 Unauthorized): they are missing, expired or revoked`,
        {exit: ExitCode.CLUSTER_UNREACHABLE, suggestions: ['Refresh your credentials (log in again) or pick another --context.'], code: 'UNAUTHORIZED'},
      )
    }
    if (err.status === 403) {
      // Not a matter of rights: the namespace is being deleted (a race with kaos's own check).
      const terminating = err.body.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')
      const inNamespace = /unable to create new content in namespace (\S+) because it is being terminated/.exec(err.body.message ?? '')?.[1]
      if (terminating || inNamespace) return namespaceTerminating(inNamespace ?? namespace ?? '')
      const who = /User "([^"]+)"/.exec(err.body.message ?? '')?.[1] ?? this.userName
      return new KaosError(`forbidden: ${who} cannot ${verb} ${resource}${namespace ? ` in namespace "${namespace}"` : ' (cluster-wide)'}`, {
        exit: ExitCode.CLUSTER_UNREACHABLE,
        suggestions: [`Ask a cluster admin to grant "${verb}" on ${resource}, or use a --context with more rights.`],
        code: 'FORBIDDEN',
        data: {verb, resource, namespace, user: who},
      })
    }
    if (err.status >= 500 || err.status === 429)
      return new KaosError(`the API server at ${this.server} answered ${err.status} ${err.body.reason ?? ''} to ${verb} ${resource} after retries: ${err.body.message ?? ''}`.trim(), {
        exit: ExitCode.CLUSTER_UNREACHABLE,
      })
    return err
  }

  private expiredClientCert(): string | undefined {
    try {
      const pem = this.credentials.clientCertificate()
      if (!pem) return undefined
      const cert = new X509Certificate(pem)
      return new Date(cert.validTo) < new Date() ? new Date(cert.validTo).toISOString() : undefined
    } catch {
      return undefined
    }
  }

  networkError(e: NodeJS.ErrnoException, method = 'GET', path = '', query?: RequestOptions['query']): KaosError {
    const code = e.code ?? ''
    if (e instanceof RequestTimeout) {
      const {verb, resource} = describePath(method, path, query)
      return new KaosError(
        e.phase === 'connect'
          ? `cannot connect to the Kubernetes API server at ${this.server} (context "${this.contextName}"): no connection within ${e.ms / 1000}s`
          : `the Kubernetes API server at ${this.server} did not answer ${verb} ${resource} within ${e.ms / 1000}s (--request-timeout)`,
        {exit: ExitCode.CLUSTER_UNREACHABLE, code: 'TIMEOUT', suggestions: ['Is the cluster running and reachable? Raise --request-timeout for a slow API server.']},
      )
    }
    if (TLS_CODES.test(code) || TLS_CODES.test(e.message))
      return new KaosError(`TLS verification failed talking to ${this.server} (context "${this.contextName}"): ${e.message}`, {
        exit: ExitCode.CLUSTER_UNREACHABLE,
        suggestions: ["Check the kubeconfig's certificate-authority for this cluster, or that the server address is right."],
        code: 'TLS_ERROR',
      })
    return new KaosError(`cannot reach the Kubernetes API server at ${this.server} (context "${this.contextName}"): ${code || e.message}`, {
      exit: ExitCode.CLUSTER_UNREACHABLE,
      suggestions: ['Is the cluster running? Check --context and --kubeconfig.'],
      code: 'UNREACHABLE',
    })
  }

  /** GET that returns undefined on 404. */
  async get<T = any>(path: string, query?: RequestOptions['query']): Promise<T | undefined> {
    return this.request<T>('GET', path, {query, allow404: true})
  }
}

/** `HTTPS_PROXY`/`HTTP_PROXY` for this server unless `NO_PROXY` exempts it (as Go clients do). */
export function proxyFromEnv(server: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const u = new URL(server)
  const proxy = u.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy)
  if (!proxy) return undefined
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(',').map((x) => x.trim()).filter(Boolean)
  const host = u.hostname.replace(/^\[|\]$/g, '')
  if (noProxy.some((n) => n === '*' || host === n.replace(/^\./, '') || host.endsWith(n.startsWith('.') ? n : `.${n}`))) return undefined
  return proxy
}

/** An agent that reaches the API server through an HTTP(S) proxy with CONNECT, then TLS end to end. */
class ProxyAgent extends https.Agent {
  constructor(
    private readonly proxy: string,
    private readonly tlsToTarget: boolean,
    opts: https.AgentOptions,
  ) {
    super(opts)
  }

  createConnection(options: any, cb?: (err: Error | null, stream: any) => void): any {
    const p = new URL(this.proxy)
    const target = `${options.host}:${options.port}`
    const auth = p.username ? {'Proxy-Authorization': `Basic ${Buffer.from(`${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`).toString('base64')}`} : {}
    const req = (p.protocol === 'https:' ? https : http).request({host: p.hostname, port: p.port || (p.protocol === 'https:' ? 443 : 80), method: 'CONNECT', path: target, headers: {Host: target, ...auth}})
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy()
        cb?.(Object.assign(new Error(`the proxy ${p.host} refused CONNECT ${target}: HTTP ${res.statusCode}`), {code: 'EPROXY'}), undefined)
        return
      }
      cb?.(null, this.tlsToTarget ? tls.connect({...options, socket}) : socket)
    })
    req.once('error', (e) => cb?.(e, undefined))
    req.end()
    return undefined
  }
}

/** Backoff for attempt n: 200 ms doubling, capped at 3 s, with jitter. */
export function backoff(attempt: number): number {
  return Math.min(3000, 200 * 2 ** attempt) * (0.75 + Math.random() * 0.5)
}

export function isTransientNetworkError(e: NodeJS.ErrnoException): boolean {
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET'].includes(e.code ?? '') || e.message === 'socket hang up'
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    res.on('data', (c: Buffer) => chunks.push(c))
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    res.on('error', reject)
  })
}

function isJson(res: http.IncomingMessage): boolean {
  return /json/i.test(String(res.headers['content-type'] ?? ''))
}
