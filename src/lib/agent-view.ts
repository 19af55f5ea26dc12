// An agent as it sees the cluster: `kaos agent status` (its Deployment, its model API, each MCP
// server and peer it names: ready, or failing with the reason) and `kaos agent tools` (the tools
// it can reach, listed from each MCP server through a port-forward, with the server they come
// from). What the agent names comes from the document kaos stored on its Deployment.
import type {Cluster} from './cluster/client.js'
import {getWorkloadDeployment} from './cluster/workloads.js'
import type {AgentDoc, ModelAPIDoc} from './documents.js'
import {KaosError} from './errors.js'
import type {McpTargetOptions} from './invoke/target.js'
import type {Kind} from './kinds.js'
import {modelMatches, modelsOf} from './upstream.js'
import {documentOf, getDeployment, summarize, workloadHealth} from './workloads.js'

export interface AgentPart {
  /** What the part is to the agent. */
  role: 'agent' | 'model API' | 'MCP server' | 'peer agent'
  kind: Kind
  name: string
  /** Ready pods / wanted, when it is deployed. */
  pods?: string
  status: 'ready' | 'failing'
  reason?: string
}

export interface AgentStatus {
  name: string
  namespace: string
  model?: string
  parts: AgentPart[]
  /** Whether every part is ready. */
  ready: boolean
}

/** The document kaos stored on the agent's Deployment (the Deployment must exist: exit 8). */
async function agentDocument(cluster: Cluster, name: string): Promise<{doc?: AgentDoc; deployment: any}> {
  const deployment = await getDeployment(cluster, 'Agent', name, cluster.namespace)
  return {doc: documentOf(deployment) as AgentDoc | undefined, deployment}
}

async function partOf(cluster: Cluster, role: AgentPart['role'], kind: Kind, name: string, deployment?: any): Promise<AgentPart> {
  const d = deployment ?? (await getWorkloadDeployment(cluster, kind, name, cluster.namespace))
  if (!d) return {role, kind, name, status: 'failing', reason: `not deployed in namespace ${cluster.namespace}`}
  const h = await workloadHealth(cluster, {...summarize(kind, d), deployment: d})
  if (h.health === 'Ready') return {role, kind, name, pods: h.ready, status: 'ready'}
  return {role, kind, name, pods: h.ready, status: 'failing', reason: h.health === 'NotReady' ? `not ready: ${h.problem}` : h.problem}
}

/** The agent and what it names, each ready or failing with the reason. */
export async function agentStatus(cluster: Cluster, name: string): Promise<AgentStatus> {
  const {doc, deployment} = await agentDocument(cluster, name)
  const spec = doc?.spec
  const parts = await Promise.all([
    partOf(cluster, 'agent', 'Agent', name, deployment),
    ...(spec ? [partOf(cluster, 'model API', 'ModelAPI', spec.modelAPI)] : []),
    ...(spec?.mcpServers ?? []).map((m) => partOf(cluster, 'MCP server', 'MCPServer', m)),
    ...(spec?.agentNetwork?.access ?? []).map((p) => partOf(cluster, 'peer agent', 'Agent', p)),
  ])
  // The check upstream KAOS's operator makes: the agent's model is one its model API serves.
  const api = parts.find((p) => p.role === 'model API')
  if (spec && api && api.status === 'ready') {
    const apiDoc = documentOf(await getWorkloadDeployment(cluster, 'ModelAPI', spec.modelAPI, cluster.namespace)) as ModelAPIDoc | undefined
    const models = apiDoc ? modelsOf(apiDoc) : []
    if (apiDoc && !models.some((m) => modelMatches(m, spec.model))) Object.assign(api, {status: 'failing', reason: `does not serve model "${spec.model}" (it serves ${models.join(', ')})`})
  }
  return {name, namespace: cluster.namespace, model: spec?.model, parts, ready: parts.every((p) => p.status === 'ready')}
}

export interface ToolSource {
  kind: Kind
  name: string
  tools: Array<{name: string; description?: string}>
  /** Why its tools could not be listed. */
  error?: string
  /** The error's exit code. */
  exit?: number
}

export interface AgentTools {
  name: string
  namespace: string
  sources: ToolSource[]
}

/**
 * The tools the agent can reach: each MCP server's, listed over MCP through a port-forward, and
 * one `delegate_to_<peer>` per peer agent (how upstream KAOS's runtime offers its peers to the
 * model). A server that cannot be listed is reported with the reason, the others still are.
 */
export async function agentTools(cluster: Cluster, name: string, opts: McpTargetOptions & {timeoutMs: number; clientVersion: string}): Promise<AgentTools> {
  const {doc} = await agentDocument(cluster, name)
  const spec = doc?.spec
  const [{mcpWorkloadTarget}, {McpSession}] = await Promise.all([import('./invoke/target.js'), import('./mcp/session.js')])
  const fromServer = async (server: string): Promise<ToolSource> => {
    let close = async () => {}
    try {
      const t = await mcpWorkloadTarget(cluster, server, opts)
      const fwd = t.forwarder
      close = async () => fwd?.close()
      const session = await McpSession.connect({
        url: t.url,
        transport: t.transport,
        headers: t.headers,
        timeoutMs: opts.timeoutMs,
        clientName: 'kaos',
        clientVersion: opts.clientVersion,
        target: t.label,
        explainNetworkError: fwd ? (e) => fwd.explain(e) : undefined,
      })
      close = async () => {
        await session.close().catch(() => {})
        await fwd?.close()
      }
      const tools = await session.listTools()
      return {kind: 'MCPServer', name: server, tools: tools.map((x) => ({name: x.name, ...(x.description ? {description: x.description} : {})}))}
    } catch (error) {
      if (!(error instanceof KaosError)) throw error
      return {kind: 'MCPServer', name: server, tools: [], error: error.message, exit: error.exit}
    } finally {
      await close().catch(() => {})
    }
  }
  const servers = await Promise.all((spec?.mcpServers ?? []).map((m) => fromServer(m)))
  const peers: ToolSource[] = (spec?.agentNetwork?.access ?? []).map((p) => ({kind: 'Agent', name: p, tools: [{name: `delegate_to_${p}`, description: `Delegate a task to peer agent ${p} (A2A)`}]}))
  return {name, namespace: cluster.namespace, sources: [...servers, ...peers]}
}
