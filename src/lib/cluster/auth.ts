/**
 * Credentials and TLS settings for one kubeconfig target, as kubectl applies them: CA, client
 * certificates, bearer tokens (literal, from a file re-read on use, or from an exec credential
 * plugin with its expiry honoured), basic auth, and the one auth-provider still in use (oidc's
 * id-token). Exec plugins run without a shell and get `KUBERNETES_EXEC_INFO`.
 */
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import tls from 'node:tls'

import {ExitCode, KaosError} from '../errors.js'
import type {ExecConfig, KubeTarget} from './kubeconfig.js'

/** TLS and header settings for `https.request` / a WebSocket to the API server. */
export interface ConnectionSettings {
  ca?: Buffer
  cert?: Buffer
  key?: Buffer
  /**
   * The same CA and client certificate, parsed once: building a TLS context from PEM text costs
   * a millisecond or more per connection, and a deploy opens a dozen.
   */
  secureContext?: tls.SecureContext
  rejectUnauthorized: boolean
  servername?: string
  headers: Record<string, string>
}

interface ExecCredential {
  token?: string
  cert?: Buffer
  key?: Buffer
  expires?: number
}

const b64 = (s: string) => Buffer.from(s, 'base64')

function readFileSetting(path: string, what: string, target: KubeTarget): Buffer {
  try {
    return readFileSync(path)
  } catch (error) {
    throw new KaosError(`cannot read the ${what} ${path} named by the kubeconfig (context "${target.context}"): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      exit: ExitCode.INVALID_INPUT,
    })
  }
}

/** Runs an exec credential plugin; the result is kept until it expires (kubectl does the same). */
async function runExecPlugin(exec: ExecConfig, target: KubeTarget): Promise<ExecCredential> {
  const apiVersion = exec.apiVersion ?? 'client.authentication.k8s.io/v1'
  const info = {
    apiVersion,
    kind: 'ExecCredential',
    spec: {
      interactive: false,
      ...(exec.provideClusterInfo
        ? {
            cluster: {
              server: target.cluster.server,
              ...(target.cluster.certificateAuthorityData ? {'certificate-authority-data': target.cluster.certificateAuthorityData} : {}),
              ...(target.cluster.insecureSkipTlsVerify ? {'insecure-skip-tls-verify': true} : {}),
              ...(target.cluster.tlsServerName ? {'tls-server-name': target.cluster.tlsServerName} : {}),
            },
          }
        : {}),
    },
  }
  const env: NodeJS.ProcessEnv = {...process.env, KUBERNETES_EXEC_INFO: JSON.stringify(info)}
  for (const e of exec.env ?? []) env[e.name] = e.value
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(exec.command, exec.args ?? [], {env, timeout: 60_000, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8'}, (error, out, err) => {
      if (!error) return resolve(out)
      const e = error as NodeJS.ErrnoException & {killed?: boolean}
      if (e.code === 'ENOENT')
        return reject(
          new KaosError(`the kubeconfig's user "${target.user.name}" needs the exec credential plugin "${exec.command}", which is not installed (not found on PATH)`, {
            exit: ExitCode.CLUSTER_UNREACHABLE,
            code: 'UNAUTHORIZED',
            suggestions: [exec.installHint?.trim().split('\n')[0] ?? `Install ${exec.command}, or pick another --context.`],
          }),
        )
      const detail = (err || e.message).trim().split('\n').slice(-1)[0]
      reject(
        new KaosError(`the exec credential plugin "${exec.command}" of user "${target.user.name}" failed${e.killed ? ' (no answer within 60 s)' : ''}: ${detail}`, {
          exit: ExitCode.CLUSTER_UNREACHABLE,
          code: 'UNAUTHORIZED',
          suggestions: ['Run the plugin by hand to see why (it may want you to log in again).'],
        }),
      )
    })
  })
  let cred: any
  try {
    cred = JSON.parse(stdout)
  } catch {
    throw new KaosError(`the exec credential plugin "${exec.command}" printed something that is not an ExecCredential (JSON)`, {exit: ExitCode.CLUSTER_UNREACHABLE, code: 'UNAUTHORIZED'})
  }
  const s = cred?.status ?? {}
  const out: ExecCredential = {
    ...(s.token ? {token: String(s.token)} : {}),
    ...(s.clientCertificateData && s.clientKeyData ? {cert: Buffer.from(String(s.clientCertificateData)), key: Buffer.from(String(s.clientKeyData))} : {}),
    ...(s.expirationTimestamp ? {expires: Date.parse(s.expirationTimestamp)} : {}),
  }
  if (!out.token && !out.cert)
    throw new KaosError(`the exec credential plugin "${exec.command}" returned neither a token nor a client certificate`, {exit: ExitCode.CLUSTER_UNREACHABLE, code: 'UNAUTHORIZED'})
  return out
}

/** Credentials for one target; call `settings()` before each request (tokens can rotate). */
export class Credentials {
  private exec?: Promise<ExecCredential>
  private staticTls?: Pick<ConnectionSettings, 'ca' | 'cert' | 'key'>
  private contexts = new Map<string, tls.SecureContext>()

  constructor(readonly target: KubeTarget) {
    const {user, cluster} = target
    if (user.authProvider && user.authProvider.name !== 'oidc')
      throw new KaosError(
        `the kubeconfig's user "${user.name}" uses auth-provider "${user.authProvider.name}", which kubectl itself no longer supports (since 1.26)`,
        {exit: ExitCode.CLUSTER_UNREACHABLE, code: 'UNAUTHORIZED', suggestions: ['Switch to the provider\'s exec credential plugin (e.g. gke-gcloud-auth-plugin, kubelogin) and re-create the kubeconfig entry.']},
      )
    if (cluster.proxyUrl && !/^https?:\/\//.test(cluster.proxyUrl))
      throw new KaosError(`cluster "${cluster.name}" sets proxy-url ${cluster.proxyUrl}: kaos supports http:// and https:// proxies only`, {exit: ExitCode.INVALID_INPUT})
  }

  /** The client certificate (file or data) the kubeconfig names, and the CA. Read once. */
  private tls(): Pick<ConnectionSettings, 'ca' | 'cert' | 'key'> {
    if (this.staticTls) return this.staticTls
    const {cluster, user} = this.target
    const ca = cluster.certificateAuthorityData ? b64(cluster.certificateAuthorityData) : cluster.certificateAuthority ? readFileSetting(cluster.certificateAuthority, 'certificate authority', this.target) : undefined
    const cert = user.clientCertificateData ? b64(user.clientCertificateData) : user.clientCertificate ? readFileSetting(user.clientCertificate, 'client certificate', this.target) : undefined
    const key = user.clientKeyData ? b64(user.clientKeyData) : user.clientKey ? readFileSetting(user.clientKey, 'client key', this.target) : undefined
    this.staticTls = {...(ca ? {ca} : {}), ...(cert ? {cert} : {}), ...(key ? {key} : {})}
    return this.staticTls
  }

  /** The certificate the client presents, for the expiry check in 401 messages. */
  clientCertificate(): Buffer | undefined {
    try {
      return this.tls().cert
    } catch {
      return undefined
    }
  }

  private async execCredential(): Promise<ExecCredential> {
    const exec = this.target.user.exec!
    const cached = this.exec && (await this.exec.catch(() => undefined))
    // Refresh a little before expiry, so a long --wait never sends an expired token.
    if (!cached || (cached.expires !== undefined && cached.expires - 30_000 < Date.now())) this.exec = runExecPlugin(exec, this.target)
    return this.exec!
  }

  /** Drop a cached exec credential (after a 401: the server says it is no good). */
  invalidate(): void {
    this.exec = undefined
  }

  /** TLS settings and headers for the next request. */
  async settings(): Promise<ConnectionSettings> {
    const {cluster, user} = this.target
    const out: ConnectionSettings = {...this.tls(), rejectUnauthorized: !cluster.insecureSkipTlsVerify, headers: {}}
    if (cluster.tlsServerName) out.servername = cluster.tlsServerName
    let token = user.token
    if (!token && user.tokenFile) token = readFileSetting(user.tokenFile, 'token file', this.target).toString('utf8').trim()
    if (!token && user.exec) {
      const cred = await this.execCredential()
      token = cred.token
      if (cred.cert && cred.key) Object.assign(out, {cert: cred.cert, key: cred.key})
    }
    if (!token && user.authProvider?.name === 'oidc') token = user.authProvider.config?.['id-token']
    if (cluster.server.startsWith('https:')) {
      // Keyed by the certificate: an exec plugin may hand out a new one.
      const key = `${out.cert?.length ?? 0}:${out.cert?.subarray(-32).toString('hex') ?? ''}`
      let ctx = this.contexts.get(key)
      if (!ctx) {
        ctx = tls.createSecureContext({ca: out.ca, cert: out.cert, key: out.key})
        this.contexts.set(key, ctx)
      }
      out.secureContext = ctx
    }
    if (token) out.headers.Authorization = `Bearer ${token}`
    else if (user.username && user.password) out.headers.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`
    return out
  }
}
