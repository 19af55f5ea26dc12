/**
 * Kubeconfig loading as kubectl does it: `--kubeconfig FILE`, else every file in `$KUBECONFIG`
 * (missing ones skipped, maps merged with the first file to define a name winning, the first
 * current-context winning), else `~/.kube/config`, else the pod's service account. Relative paths
 * in a file are relative to that file. No network here.
 */
import {existsSync, readFileSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {delimiter, dirname, isAbsolute, join, resolve} from 'node:path'
// js-yaml, not the `yaml` used elsewhere: every cluster command parses the kubeconfig, and js-yaml
// loads in a third of the time.
import {load as parseYaml} from 'js-yaml'

import {ExitCode, KaosError} from '../errors.js'

export interface ExecConfig {
  command: string
  args?: string[]
  env?: Array<{name: string; value: string}>
  apiVersion?: string
  installHint?: string
  provideClusterInfo?: boolean
  interactiveMode?: string
}

export interface KubeCluster {
  name: string
  server: string
  certificateAuthority?: string
  certificateAuthorityData?: string
  insecureSkipTlsVerify?: boolean
  tlsServerName?: string
  proxyUrl?: string
}

export interface KubeUser {
  name: string
  token?: string
  tokenFile?: string
  clientCertificate?: string
  clientCertificateData?: string
  clientKey?: string
  clientKeyData?: string
  username?: string
  password?: string
  exec?: ExecConfig
  authProvider?: {name: string; config?: Record<string, string>}
}

export interface KubeContext {
  name: string
  cluster: string
  user: string
  namespace?: string
}

/** The merged kubeconfig: every name once, with the file it came from. */
export interface Kubeconfig {
  /** The files read, in order (empty for the in-cluster config). */
  files: string[]
  currentContext: string
  contexts: Map<string, KubeContext>
  clusters: Map<string, KubeCluster>
  users: Map<string, KubeUser>
}

/** What a connection needs: the context's cluster, user and namespace, resolved. */
export interface KubeTarget {
  context: string
  cluster: KubeCluster
  user: KubeUser
  /** The context's namespace, if it sets one. */
  namespace?: string
  /** Where the config came from, for messages. */
  source: string
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

function noKubeconfig(looked: string[]): KaosError {
  return new KaosError(`no kubeconfig found (looked in ${looked.join(', ')})`, {
    exit: ExitCode.CLUSTER_UNREACHABLE,
    suggestions: ['Pass --kubeconfig FILE, set $KUBECONFIG, or create ~/.kube/config (kind, k3d and minikube write it when they create a cluster).'],
  })
}

/** The kubeconfig files kaos reads, in order, and where it looked (for messages). */
export function kubeconfigFiles(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): {files: string[]; looked: string[]} {
  if (explicit) {
    const abs = resolve(explicit)
    if (!existsSync(abs)) throw new KaosError(`kubeconfig ${explicit} does not exist`, {exit: ExitCode.INVALID_INPUT, suggestions: ['Check the --kubeconfig path.']})
    return {files: [abs], looked: [abs]}
  }
  if (env.KUBECONFIG) {
    const listed = env.KUBECONFIG.split(delimiter).filter(Boolean).map((p) => resolve(p))
    return {files: listed.filter((p) => existsSync(p) && statSync(p).isFile()), looked: [`$KUBECONFIG (${listed.join(delimiter)})`]}
  }
  const home = join(env.HOME || homedir(), '.kube', 'config')
  return {files: existsSync(home) ? [home] : [], looked: [home]}
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}

function pathIn(dir: string, p: unknown): string | undefined {
  const s = str(p)
  return s === undefined ? undefined : isAbsolute(s) ? s : join(dir, s)
}

function namedList(doc: any, key: string, file: string): Array<{name: string; value: any}> {
  const list = doc?.[key]
  if (list === undefined || list === null) return []
  if (!Array.isArray(list)) throw new KaosError(`kubeconfig ${file}: "${key}" must be a list`, {exit: ExitCode.INVALID_INPUT})
  return list.filter((e) => e && typeof e.name === 'string').map((e) => ({name: e.name, value: e[key.slice(0, -1)] ?? {}}))
}

/** Parse one kubeconfig file's text into the merged maps (first definition of a name wins). */
function mergeFile(into: Kubeconfig, text: string, file: string): void {
  let doc: any
  try {
    // js-yaml shares aliased nodes instead of copying them, so an alias bomb costs no memory here.
    doc = parseYaml(text, {json: true}) ?? {}
  } catch (error) {
    throw new KaosError(`kubeconfig ${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, {exit: ExitCode.INVALID_INPUT})
  }
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new KaosError(`kubeconfig ${file} is not a kubeconfig (expected a mapping)`, {exit: ExitCode.INVALID_INPUT})
  const dir = dirname(file)
  if (!into.currentContext && str(doc['current-context'])) into.currentContext = doc['current-context']
  for (const {name, value: c} of namedList(doc, 'clusters', file)) {
    if (into.clusters.has(name)) continue
    into.clusters.set(name, {
      name,
      server: str(c.server) ?? '',
      certificateAuthority: pathIn(dir, c['certificate-authority']),
      certificateAuthorityData: str(c['certificate-authority-data']),
      insecureSkipTlsVerify: c['insecure-skip-tls-verify'] === true,
      tlsServerName: str(c['tls-server-name']),
      proxyUrl: str(c['proxy-url']),
    })
  }
  for (const {name, value: u} of namedList(doc, 'users', file)) {
    if (into.users.has(name)) continue
    const exec = u.exec && typeof u.exec === 'object' ? u.exec : undefined
    into.users.set(name, {
      name,
      token: str(u.token),
      tokenFile: pathIn(dir, u.tokenFile),
      clientCertificate: pathIn(dir, u['client-certificate']),
      clientCertificateData: str(u['client-certificate-data']),
      clientKey: pathIn(dir, u['client-key']),
      clientKeyData: str(u['client-key-data']),
      username: str(u.username),
      password: str(u.password),
      ...(exec
        ? {
            exec: {
              // A command with a path separator is relative to the kubeconfig; a bare name is looked up on PATH.
              command: typeof exec.command === 'string' && exec.command.includes('/') && !isAbsolute(exec.command) ? join(dir, exec.command) : String(exec.command ?? ''),
              args: Array.isArray(exec.args) ? exec.args.map(String) : undefined,
              env: Array.isArray(exec.env) ? exec.env.filter((e: any) => e && e.name).map((e: any) => ({name: String(e.name), value: String(e.value ?? '')})) : undefined,
              apiVersion: str(exec.apiVersion),
              installHint: str(exec.installHint),
              provideClusterInfo: exec.provideClusterInfo === true,
              interactiveMode: str(exec.interactiveMode),
            },
          }
        : {}),
      ...(u['auth-provider'] ? {authProvider: {name: String(u['auth-provider'].name ?? ''), config: u['auth-provider'].config ?? {}}} : {}),
    })
  }
  for (const {name, value: c} of namedList(doc, 'contexts', file)) {
    if (into.contexts.has(name)) continue
    into.contexts.set(name, {name, cluster: String(c.cluster ?? ''), user: String(c.user ?? ''), namespace: str(c.namespace)})
  }
}

/**
 * The in-cluster configuration (a pod's service account), when kaos runs inside Kubernetes and
 * no kubeconfig exists: kubectl falls back to it the same way.
 */
function inClusterConfig(env: NodeJS.ProcessEnv): Kubeconfig | undefined {
  const host = env.KUBERNETES_SERVICE_HOST
  const port = env.KUBERNETES_SERVICE_PORT
  if (!host || !port || !existsSync(join(SA_DIR, 'token'))) return undefined
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`
  const namespace = existsSync(join(SA_DIR, 'namespace')) ? readFileSync(join(SA_DIR, 'namespace'), 'utf8').trim() : undefined
  return {
    files: [],
    currentContext: 'in-cluster',
    contexts: new Map([['in-cluster', {name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', namespace}]]),
    clusters: new Map([['in-cluster', {name: 'in-cluster', server, certificateAuthority: join(SA_DIR, 'ca.crt')}]]),
    users: new Map([['in-cluster', {name: 'in-cluster', tokenFile: join(SA_DIR, 'token')}]]),
  }
}

/** Read and merge the kubeconfig files kaos would use. */
export function loadKubeconfig(opts: {kubeconfig?: string; env?: NodeJS.ProcessEnv} = {}): Kubeconfig {
  const env = opts.env ?? process.env
  const {files, looked} = kubeconfigFiles(opts.kubeconfig, env)
  if (files.length === 0) {
    const inCluster = inClusterConfig(env)
    if (inCluster) return inCluster
    throw noKubeconfig(looked)
  }
  const kc: Kubeconfig = {files, currentContext: '', contexts: new Map(), clusters: new Map(), users: new Map()}
  for (const f of files) {
    let text: string
    try {
      text = readFileSync(f, 'utf8')
    } catch (error) {
      throw new KaosError(`cannot read kubeconfig ${f}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {exit: ExitCode.INVALID_INPUT})
    }
    mergeFile(kc, text, f)
  }
  return kc
}

/** The context to use (`--context` or the current one), with its cluster and user resolved. */
export function resolveTarget(kc: Kubeconfig, context?: string): KubeTarget {
  const source = kc.files.length > 0 ? kc.files.join(delimiter) : 'the in-cluster service account'
  const name = context ?? kc.currentContext
  if (!name)
    throw new KaosError(`the kubeconfig (${source}) has no current context`, {
      exit: ExitCode.CLUSTER_UNREACHABLE,
      suggestions: [`Pass --context NAME (known: ${[...kc.contexts.keys()].join(', ') || 'none'}), or run \`kubectl config use-context NAME\`.`],
    })
  const ctx = kc.contexts.get(name)
  if (!ctx)
    throw new KaosError(`context "${name}" is not in the kubeconfig (known: ${[...kc.contexts.keys()].join(', ') || 'none'})`, {
      exit: context ? ExitCode.INVALID_INPUT : ExitCode.CLUSTER_UNREACHABLE,
      suggestions: ['Pick one of the known contexts with --context.'],
    })
  const cluster = kc.clusters.get(ctx.cluster)
  if (!cluster?.server)
    throw new KaosError(`context "${name}" names cluster "${ctx.cluster}", which the kubeconfig does not define${cluster ? ' with a server' : ''}`, {exit: ExitCode.INVALID_INPUT})
  // A context without a user (or with an unknown one) is anonymous, as in kubectl.
  const user = kc.users.get(ctx.user) ?? {name: ctx.user}
  return {context: name, cluster, user, namespace: ctx.namespace, source}
}
