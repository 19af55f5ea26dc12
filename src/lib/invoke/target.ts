// Where an invoke goes: a deployed workload reached through an in-process port-forward, or a URL.
// Resolving it (the Deployment, its runtime, path, transport and bearer token) is the same for
// every command that talks to a workload, so it lives here and not in the commands.
import {readBearerToken} from '../cluster/auth-tokens.js'
import type {Cluster} from '../cluster/client.js'
import {type PortForwarder, forwardWorkload} from '../cluster/portforward.js'
import {clusterRegistrySource} from '../cluster/registry-configmap.js'
import {invalid} from '../errors.js'
import type {Kind} from '../kinds.js'
import type {McpTransportKind} from '../mcp/session.js'
import {ANNOTATION_ENDPOINT, ANNOTATION_RUNTIME} from '../names.js'
import {redactUrl} from '../redact.js'
import type {Registry, RegistrySource, Runtime} from '../registry.js'
import {documentOf, getDeployment} from '../workloads.js'

export {redactUrl} from '../redact.js'

export interface McpTarget {
  /** The MCP endpoint, e.g. http://127.0.0.1:40123/mcp. */
  url: string
  transport: McpTransportKind
  headers: Record<string, string>
  /** The port-forward, when the target is a workload (close it when done). */
  forwarder?: PortForwarder
  /** For messages: `MCPServer "calc" (pod …)` or the URL. */
  label: string
}

/** An MCP endpoint given as --url. */
export function mcpUrlTarget(url: string, opts: {path?: string; transport?: McpTransportKind; headers: Record<string, string>}): McpTarget {
  const u = parseHttpUrl(url, '--url')
  if (opts.path) u.pathname = opts.path
  return {url: u.toString(), transport: opts.transport ?? 'http', headers: opts.headers, label: redactUrl(u.toString())}
}

/** A URL that must be http(s), or an invalid-input error naming the flag. */
export function parseHttpUrl(url: string, flag: string): URL {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw invalid(`${flag} "${redactUrl(url)}" is not a URL`, [`e.g. ${flag} http://127.0.0.1:8000/mcp`])
  }
  if (!/^https?:$/.test(u.protocol)) throw invalid(`${flag} must be http:// or https://, not ${u.protocol}`)
  return u
}

export interface McpTargetOptions {
  /** The merged registry with the given cluster sources (the command adds plugins). */
  registry: (cluster: RegistrySource[]) => Promise<Registry>
  systemNamespace: string
  path?: string
  transport?: McpTransportKind
  headers: Record<string, string>
  /** Do not send the runtime's bearer token. */
  noAuth?: boolean
  localPort?: number
  log?: (message: string) => void
  warn?: (message: string) => void
}

/** How to speak MCP to a deployed MCPServer, before choosing a pod. */
export interface McpWorkloadEndpoint {
  path: string
  transport: McpTransportKind
  headers: Record<string, string>
  /** Its Deployment, as read. */
  deployment: any
}

/**
 * A deployed MCPServer's MCP endpoint: path and transport from its endpoint annotation and
 * runtime, and the bearer token its server checks (runtime `auth`, or kaos's own servers when
 * exposed), read from the Secret kaos generated.
 */
export async function mcpWorkloadEndpoint(cluster: Cluster, name: string, opts: Omit<McpTargetOptions, 'localPort' | 'log'> & {namespace?: string}): Promise<McpWorkloadEndpoint> {
  const ns = opts.namespace ?? cluster.namespace
  const d = await getDeployment(cluster, 'MCPServer', name, ns)
  const annotations = d.metadata?.annotations ?? {}
  const runtime = await runtimeOf(cluster, annotations[ANNOTATION_RUNTIME], opts)
  let endpointPath: string | undefined
  try {
    endpointPath = annotations[ANNOTATION_ENDPOINT] ? new URL(annotations[ANNOTATION_ENDPOINT]).pathname : undefined
  } catch {
    endpointPath = undefined
  }
  const path = opts.path ?? (endpointPath && endpointPath !== '/' ? endpointPath : undefined) ?? runtime?.path ?? '/mcp'
  const transport = opts.transport ?? (runtime?.transport === 'sse' ? 'sse' : 'http')
  const headers = {...opts.headers}
  const hasAuth = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')
  if (runtime && !hasAuth && !opts.noAuth) {
    const {token, warning} = await readBearerToken(cluster, d, runtime, name, ns)
    if (warning) opts.warn?.(warning)
    if (token) headers.Authorization = `Bearer ${token}`
  }
  return {path, transport, headers, deployment: d}
}

/** A deployed MCPServer (see mcpWorkloadEndpoint) and a port-forward to one of its Ready pods. */
export async function mcpWorkloadTarget(cluster: Cluster, name: string, opts: McpTargetOptions): Promise<McpTarget> {
  const {path, transport, headers} = await mcpWorkloadEndpoint(cluster, name, opts)
  const forwarder = await forwardWorkload(cluster, 'MCPServer', name, cluster.namespace, {localPort: opts.localPort, log: opts.log})
  return {url: forwarder.url(path), transport, headers, forwarder, label: `MCPServer "${name}" (pod ${forwarder.pod})`}
}

/** The runtime named on the Deployment: local registry first, then the cluster's ConfigMap. */
async function runtimeOf(cluster: Cluster, name: string | undefined, opts: McpTargetOptions): Promise<Runtime | undefined> {
  if (!name) return undefined
  const local = await opts.registry([])
  if (local.runtimes.has(name)) return local.runtimes.get(name)
  const sources = await clusterRegistrySource(cluster, opts.systemNamespace, []).catch(() => [])
  return (await opts.registry(sources)).runtimes.get(name)
}

export interface ChatTarget {
  /** Base URL of the OpenAI-compatible API, without /v1/... */
  baseUrl: string
  model: string
  label: string
  forwarder?: PortForwarder
}

/**
 * A deployed Agent or ModelAPI for chat completions: the model from --model or the stored
 * document (`defaultModel`), and a port-forward to a Ready pod.
 */
export async function chatWorkloadTarget(
  cluster: Cluster,
  kind: Kind,
  name: string,
  opts: {model?: string; defaultModel: (doc: any) => string | undefined; localPort?: number; log?: (message: string) => void},
): Promise<ChatTarget> {
  const d = await getDeployment(cluster, kind, name, cluster.namespace)
  const model = opts.model ?? opts.defaultModel(documentOf(d))
  if (!model) throw invalid(`cannot tell which model ${kind} "${name}" serves: pass --model`)
  const forwarder = await forwardWorkload(cluster, kind, name, cluster.namespace, {localPort: opts.localPort, log: opts.log})
  return {baseUrl: forwarder.url(), model, label: `${kind} "${name}" (pod ${forwarder.pod})`, forwarder}
}

export interface AgentTarget {
  /** Base URL of the agent's one port (chat, A2A and its card). */
  baseUrl: string
  label: string
  forwarder?: PortForwarder
}

/** A deployed Agent (its Deployment must exist: exit 8), through a port-forward to a Ready pod. */
export async function agentWorkloadTarget(cluster: Cluster, name: string, opts: {localPort?: number; log?: (message: string) => void} = {}): Promise<AgentTarget> {
  await getDeployment(cluster, 'Agent', name, cluster.namespace)
  const forwarder = await forwardWorkload(cluster, 'Agent', name, cluster.namespace, {localPort: opts.localPort, log: opts.log})
  return {baseUrl: forwarder.url(), label: `Agent "${name}" (pod ${forwarder.pod})`, forwarder}
}
