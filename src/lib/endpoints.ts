// `kaos mcp endpoints`: the contract an application stores to reach MCP servers (the in-cluster
// URL, and the external one when kaos exposed the server), optionally checked by speaking MCP.
import type {Cluster} from './cluster/client.js'
import {externalUrls} from './cluster/exposure.js'
import type {KaosError} from './errors.js'
import type {Registry} from './registry.js'
import {type McpVerification, verifyMcpServer} from './verify.js'
import {listWorkloads} from './workloads.js'

export interface McpEndpoint {
  name: string
  namespace: string
  url: string
  transport: 'streamable-http' | 'sse'
  /** From outside the cluster (an Ingress or HTTPRoute kaos rendered). */
  external?: string
  /** With --check: whether each Ready pod (up to five) answered initialize and tools/list. */
  check?: {ok: true; readyPods: number; checkedPods: number; tools: number; protocolVersion?: string} | {ok: false; error: string; code: string}
}

export interface EndpointOptions {
  namespace?: string
  selector?: string
  check?: {registry: Registry; systemNamespace: string; deadlineAt: number; log?: (m: string) => void}
}

function checkResult(v: McpVerification): McpEndpoint['check'] {
  return {ok: true, readyPods: v.readyPods, checkedPods: v.pods.length, tools: v.pods[0]?.tools ?? 0, ...(v.pods[0]?.protocolVersion ? {protocolVersion: v.pods[0].protocolVersion} : {})}
}

export async function mcpEndpoints(cluster: Cluster, opts: EndpointOptions): Promise<McpEndpoint[]> {
  const [items, external] = await Promise.all([listWorkloads(cluster, 'MCPServer', {namespace: opts.namespace, selector: opts.selector}), externalUrls(cluster, 'MCPServer', opts.namespace)])
  const endpoints: McpEndpoint[] = items.map((i) => {
    const ext = external.get(`${i.namespace}/${i.name}`)
    return {name: i.name, namespace: i.namespace, url: i.endpoint, transport: i.transport === 'sse' ? 'sse' : 'streamable-http', ...(ext ? {external: ext} : {})}
  })
  const check = opts.check
  if (check)
    await Promise.all(
      endpoints.map(async (e) => {
        try {
          e.check = checkResult(await verifyMcpServer(cluster, e.name, e.namespace, check))
          if (e.check?.ok && e.check.readyPods === 0) e.check = {ok: false, error: 'no Ready pod', code: 'NO_READY_POD'}
        } catch (error) {
          const err = error as KaosError
          e.check = {ok: false, error: err.message, code: err.code ?? 'UNEXPECTED'}
        }
      }),
    )
  return endpoints
}
