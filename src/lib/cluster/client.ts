import {X509Certificate} from 'node:crypto'
import {readFileSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import {setTimeout as sleep} from 'node:timers/promises'

import {KubeConfig} from '@kubernetes/client-node/dist/config.js'

import {ExitCode, KaosError} from '../errors.js'

export interface ConnectOptions {
  kubeconfig?: string
  context?: string
  namespace?: string
  /** Retries for 429/5xx and dropped connections (default 4). */
  retries?: number
}

/** A Kubernetes `Status` object as the API server returns it on errors. */
export interface Status {
  kind?: 'Status'
  code?: number
  reason?: string
  message?: string
  details?: {name?: string; group?: string; kind?: string; causes?: Array<{type?: string; message?: string; field?: string}>; retryAfterSeconds?: number}
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
  signal?: AbortSignal
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|SSL|EPROTO/

const VERBS: Record<string, string> = {GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete'}

/** Split an API path into the resource, its group and namespace, for messages. */
export function describePath(method: string, path: string, query?: RequestOptions['query']): {verb: string; resource: string; namespace?: string} {
  const p = path.split('?')[0].split('/').filter(Boolean)
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

/**
 * The one door to the cluster: connection from kubeconfig, authenticated HTTP with retries, and
 * translation of failures into kaos's one-line errors and exit codes.
 */
export class Cluster {
  readonly kc: KubeConfig
  readonly server: string
  readonly contextName: string
  readonly userName: string
  /** The namespace in effect: -n, else the context's, else `default`. */
  readonly namespace: string
  readonly namespaceExplicit: boolean
  private readonly retries: number
  /** Set once the server has answered: a refused connection after that is a restart, worth waiting out. */
  private answered = false

  private constructor(kc: KubeConfig, opts: ConnectOptions) {
    this.kc = kc
    const ctx = kc.getContextObject(kc.getCurrentContext())
    this.contextName = kc.getCurrentContext()
    this.userName = kc.getCurrentUser()?.name ?? ''
    this.server = kc.getCurrentCluster()?.server ?? ''
    this.namespaceExplicit = Boolean(opts.namespace)
    this.namespace = opts.namespace || ctx?.namespace || 'default'
    this.retries = opts.retries ?? 4
  }

  /**
   * Load the kubeconfig (`--kubeconfig`, `$KUBECONFIG` with several files merged, `~/.kube/config`,
   * or the pod's service account), pick the context and resolve the namespace. No network yet.
   */
  static connect(opts: ConnectOptions = {}): Cluster {
    const kc = new KubeConfig()
    try {
      if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig)
      else kc.loadFromDefault()
    } catch (error) {
      throw new KaosError(`cannot read kubeconfig${opts.kubeconfig ? ` ${opts.kubeconfig}` : ''}: ${(error as Error).message.split('\n')[0]}`, {
        exit: ExitCode.INVALID_INPUT,
        suggestions: ['Pass --kubeconfig FILE or set $KUBECONFIG.'],
      })
    }
    if (opts.context) {
      if (!kc.getContextObject(opts.context))
        throw new KaosError(`context "${opts.context}" is not in the kubeconfig (known: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`, {exit: ExitCode.INVALID_INPUT})
      kc.setCurrentContext(opts.context)
    }
    if (!kc.getCurrentCluster())
      throw new KaosError('no Kubernetes cluster configured: the kubeconfig has no current context', {
        exit: ExitCode.CLUSTER_UNREACHABLE,
        suggestions: ['Pass --kubeconfig FILE and --context NAME, or set $KUBECONFIG.'],
      })
    return new Cluster(kc, opts)
  }

  private async httpOptions(method: string, url: URL, headers: Record<string, string>): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = {method, headers: {Accept: 'application/json', 'User-Agent': 'kaos', ...headers}}
    await this.kc.applyToHTTPSOptions(opts)
    opts.hostname = url.hostname.replace(/^\[|\]$/g, '')
    opts.port = url.port
    opts.path = url.pathname + url.search
    return opts
  }

  private url(path: string, query?: RequestOptions['query']): URL {
    const url = new URL(this.server.replace(/\/$/, '') + path)
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v))
    return url
  }

  /** One HTTP exchange, no retries. Resolves with the status and the raw response stream. */
  async open(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    const url = this.url(path, opts.query)
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
    const headers: Record<string, string> = {}
    if (body !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json'
      headers['Content-Length'] = String(Buffer.byteLength(body))
    }
    const reqOpts = await this.httpOptions(method, url, headers)
    const mod = url.protocol === 'http:' ? http : https
    if (url.protocol === 'http:') delete reqOpts.agent
    return new Promise((resolve, reject) => {
      const req = mod.request({...reqOpts, signal: opts.signal}, resolve)
      req.on('error', reject)
      if (body !== undefined) req.write(body)
      req.end()
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
      try {
        res = await this.open(method, path, opts)
      } catch (error) {
        const e = error as NodeJS.ErrnoException
        if (e.name === 'AbortError') throw error
        // Never reached: fail fast (a wrong context should not cost seconds). Reached before: the
        // server is restarting or overloaded, so keep trying for ~10 s.
        const budget = this.answered ? this.retries + 2 : 1
        if (attempt < budget && isTransientNetworkError(e)) {
          await sleep(backoff(attempt))
          continue
        }
        throw this.networkError(e)
      }
      this.answered = true
      const text = await readBody(res)
      const status = res.statusCode ?? 0
      if (status >= 200 && status < 300) return (text ? JSON.parse(text) : undefined) as T
      if (status === 404 && opts.allow404) return undefined as T
      // The API server reports apply bodies that do not fit the schema as a 500; that is bad input, not an outage.
      const schemaError = status === 500 && /failed to create typed patch object|field not declared in schema/.test(text)
      if (schemaError) {
        const body = JSON.parse(text) as Status
        throw new ApiError(422, {...body, details: {...body.details, causes: [{message: /\): (.*)$/.exec(body.message ?? '')?.[1] ?? body.message}]}}, method, path)
      }
      const retryable = status === 429 || status === 500 || status === 502 || status === 503 || status === 504
      if (retryable && attempt < this.retries) {
        const after = Number(res.headers['retry-after'])
        await sleep(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 10_000) : backoff(attempt))
        continue
      }
      let parsed: Status = {}
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = {message: text.slice(0, 200)}
      }
      throw this.apiError(new ApiError(status, parsed, method, path), opts.query)
    }
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
    const user = this.kc.getCurrentUser()
    try {
      const pem = user?.certData ? Buffer.from(user.certData, 'base64') : user?.certFile ? readFileSync(user.certFile) : undefined
      if (!pem) return undefined
      const cert = new X509Certificate(pem)
      return new Date(cert.validTo) < new Date() ? new Date(cert.validTo).toISOString() : undefined
    } catch {
      return undefined
    }
  }

  networkError(e: NodeJS.ErrnoException): KaosError {
    const code = e.code ?? ''
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
