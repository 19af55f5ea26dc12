// Ready means MCP answers: after Kubernetes calls an MCPServer's pods Ready, kaos opens a
// port-forward to each (up to MAX_VERIFIED_PODS) and does what a client does first: the
// initialize handshake and tools/list. A TCP or HTTP probe passes while a server answers 406 or
// 421 to every MCP request; this does not.
import type {Cluster} from './cluster/client.js'
import {forwardWorkload, isPodReady} from './cluster/portforward.js'
import {listWorkloadPods} from './cluster/workloads.js'
import {ExitCode, KaosError} from './errors.js'
import {type McpWorkloadEndpoint, mcpWorkloadEndpoint} from './invoke/target.js'
import type {McpSession} from './mcp/session.js'
import {ANNOTATION_POD_SPEC_HASH} from './names.js'
import type {Registry} from './registry.js'

/** Pods checked per MCPServer: all of them up to this many, else this many picked at random. */
export const MAX_VERIFIED_PODS = 5

/** How long one pod may keep failing in ways that heal (connection refused, 502/503) before it counts as failed. */
const SETTLE_MS = 20_000

export interface VerifiedPod {
  pod: string
  tools: number
  protocolVersion?: string
  server?: string
  ms: number
}

export interface McpVerification {
  kind: 'MCPServer'
  name: string
  namespace: string
  /** Ready pods of the current template. */
  readyPods: number
  /** The pods checked (all of readyPods, or MAX_VERIFIED_PODS of them). */
  pods: VerifiedPod[]
}

export interface VerifyOptions {
  registry: Registry
  systemNamespace: string
  /** Overall deadline (epoch ms). */
  deadlineAt: number
  /** Each check's own answer timeout. */
  timeoutMs?: number
  log?: (message: string) => void
  signal?: AbortSignal
}

/** A sample of `n` from `items`, in their order: every one when there are few. */
function sample<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items
  const picked = new Set<number>()
  while (picked.size < n) picked.add(Math.floor(Math.random() * items.length))
  return items.filter((_, i) => picked.has(i))
}

/** Failures a server that is still coming up can give, worth another try. */
function heals(e: unknown): boolean {
  const err = e as KaosError
  if (['MCP_UNREACHABLE', 'POD_LOST', 'PORT_FORWARD_FAILED'].includes(err.code)) return true
  return err.code === 'MCP_HTTP_ERROR' && /HTTP (502|503|504)\b/.test(err.message)
}

/** What to do about a failed check, in deploy's terms (the session's hints speak of invoke's flags). */
function hintsFor(error: KaosError, endpoint: McpWorkloadEndpoint): string[] {
  const where = `${endpoint.transport === 'sse' ? 'HTTP+SSE' : 'streamable HTTP'} at path ${endpoint.path}`
  switch (error.code) {
    case 'NOT_MCP_ENDPOINT':
    case 'MCP_NOT_FOUND':
      return [`kaos spoke ${where}, as the runtime declares (kaos system runtimes): is that where the image serves MCP? Fix the runtime's path, port or transport, or the image.`]
    case 'MCP_ORIGIN_REFUSED':
      return ['The server refuses the Host header of a port-forwarded request (127.0.0.1:<port>), which kubelet probes and Service names vary too: turn its Host allowlist off or allow them (rawpython: MCP_ALLOWED_HOSTS; FastMCP: transport_security).']
    case 'MCP_UNAUTHORIZED':
      return ['The server wants credentials kaos does not have: declare the runtime\'s bearer token (`auth` in the registry) so kaos generates it and sends it.']
    default:
      return error.suggestions ?? []
  }
}

/** initialize + tools/list against one pod, through a port-forward pinned to it. */
async function checkPod(cluster: Cluster, name: string, namespace: string, pod: string, endpoint: McpWorkloadEndpoint, opts: VerifyOptions): Promise<VerifiedPod> {
  const {McpSession: Session} = await import('./mcp/session.js')
  const started = Date.now()
  const settleBy = Math.min(opts.deadlineAt, started + SETTLE_MS)
  for (let attempt = 0; ; attempt++) {
    const fwd = await forwardWorkload(cluster, 'MCPServer', name, namespace, {pod})
    let session: McpSession | undefined
    try {
      session = await Session.connect({
        url: fwd.url(endpoint.path),
        transport: endpoint.transport,
        headers: endpoint.headers,
        timeoutMs: Math.max(1000, Math.min(opts.timeoutMs ?? 15_000, opts.deadlineAt - Date.now())),
        clientName: 'kaos-verify',
        target: `MCPServer "${name}" (pod ${pod})`,
        signal: opts.signal,
        explainNetworkError: (e) => fwd.explain(e),
      })
      const tools = await session.listTools()
      return {pod, tools: tools.length, protocolVersion: session.protocolVersion, server: session.serverInfo?.name, ms: Date.now() - started}
    } catch (error) {
      if (!heals(error) || Date.now() + 500 * (attempt + 1) >= settleBy) throw error
      opts.log?.(`pod ${pod}: ${(error as Error).message}; trying again`)
      await new Promise((r) => setTimeout(r, Math.min(2000, 250 * 2 ** attempt)))
    } finally {
      await session?.close()
      await fwd.close()
    }
  }
}

/**
 * Check that each Ready pod of an MCPServer's current template answers MCP (all of them up to
 * MAX_VERIFIED_PODS, else that many at random). Fails with exit 5 saying what the pod answered.
 */
export async function verifyMcpServer(cluster: Cluster, name: string, namespace: string, opts: VerifyOptions): Promise<McpVerification> {
  const endpoint = await mcpWorkloadEndpoint(cluster, name, {namespace, registry: async () => opts.registry, systemNamespace: opts.systemNamespace, headers: {}})
  const hash = endpoint.deployment.spec?.template?.metadata?.annotations?.[ANNOTATION_POD_SPEC_HASH]
  const pods = (await listWorkloadPods(cluster, 'MCPServer', name, namespace)).filter((p) => isPodReady(p) && (!hash || p.metadata?.annotations?.[ANNOTATION_POD_SPEC_HASH] === hash))
  const chosen = sample(
    pods.map((p) => p.metadata.name as string),
    MAX_VERIFIED_PODS,
  )
  const results = await Promise.allSettled(chosen.map((pod) => checkPod(cluster, name, namespace, pod, endpoint, opts)))
  const failed = results.findIndex((r) => r.status === 'rejected')
  if (failed >= 0) {
    const error = (results[failed] as PromiseRejectedResult).reason as KaosError
    const pod = chosen[failed]
    const ok = results.filter((r) => r.status === 'fulfilled').length
    throw new KaosError(`MCPServer "${name}" in ${namespace}: pod ${pod} is Ready but MCP does not answer there: ${error.message}`, {
      exit: ExitCode.WORKLOAD_FAILED,
      code: error.code,
      suggestions: [
        ...hintsFor(error, endpoint),
        `Kubernetes' readiness probe passed, but an MCP client gets this (${ok} of ${chosen.length} pods checked answered). Fix the server or its runtime's path and transport, or deploy with --no-verify to skip the check.`,
      ],
      data: {name, namespace, pod, reason: error.message, code: error.code},
    })
  }
  return {kind: 'MCPServer', name, namespace, readyPods: pods.length, pods: results.map((r) => (r as PromiseFulfilledResult<VerifiedPod>).value)}
}
