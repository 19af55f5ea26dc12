import type {AgentDoc} from '../documents.js'
import type {Defaults} from '../registry.js'
import {type KubernetesObject, applyContainerOverride, clean, deploymentAndService, httpProbe, podIdentity, pullPolicy} from './common.js'
import {serviceUrl} from '../names.js'
import type {RenderResult} from './mcpserver.js'

export interface AgentRenderContext {
  namespace: string
  defaults: Defaults
  /** Ports of ModelAPIs known at render time (same input set or the cluster); default: the proxy port. */
  modelAPIPorts?: Record<string, number>
  /** Ports of MCPServers known at render time (their runtime's port); default 8000. */
  mcpServerPorts?: Record<string, number>
}

/** `PEER_AGENT_<N>_CARD_URL` uses the upper-cased name with `-` as `_`. */
function envKey(name: string): string {
  return name.toUpperCase().replaceAll('-', '_')
}

/** Agent → Deployment and Service `agent-<name>` with KAOS's agent env contract. */
export function renderAgent(doc: AgentDoc, ctx: AgentRenderContext): RenderResult {
  const {spec} = doc
  const {name} = doc.metadata
  const {namespace, defaults} = ctx
  const port = defaults.agent.port
  const modelPort = ctx.modelAPIPorts?.[spec.modelAPI] ?? defaults.modelAPI.proxy.port
  const peers = spec.agentNetwork?.access ?? []
  // Same variables as the KAOS operator. Unset options are left out rather than set empty, so the
  // agent's own defaults apply (an empty AGENT_INSTRUCTIONS would blank its system prompt).
  const env: Array<{name: string; value: string}> = [
    {name: 'AGENT_NAME', value: name},
    ...(spec.config?.description ? [{name: 'AGENT_DESCRIPTION', value: spec.config.description}] : []),
    ...(spec.config?.instructions ? [{name: 'AGENT_INSTRUCTIONS', value: spec.config.instructions}] : []),
    {name: 'MODEL_API_URL', value: serviceUrl('ModelAPI', spec.modelAPI, namespace, modelPort)},
    {name: 'MODEL_NAME', value: spec.model},
    ...(spec.config?.reasoningLoopMaxSteps ? [{name: 'AGENTIC_LOOP_MAX_STEPS', value: String(spec.config.reasoningLoopMaxSteps)}] : []),
    ...(spec.mcpServers.length > 0 ? [{name: 'MCP_SERVERS', value: spec.mcpServers.join(',')}] : []),
    ...spec.mcpServers.map((m) => ({name: `MCP_SERVER_${m}_URL`, value: serviceUrl('MCPServer', m, namespace, ctx.mcpServerPorts?.[m] ?? 8000)})),
    ...(peers.length > 0 ? [{name: 'PEER_AGENTS', value: peers.join(',')}] : []),
    // A base URL: the agent appends /.well-known/agent and /v1/chat/completions itself.
    ...peers.map((p) => ({name: `PEER_AGENT_${envKey(p)}_CARD_URL`, value: serviceUrl('Agent', p, namespace, port)})),
    {name: 'AGENT_PORT', value: String(port)},
  ]
  const image = spec.container?.image ?? defaults.agent.image
  const container = applyContainerOverride(
    {
      name: 'agent',
      image,
      imagePullPolicy: pullPolicy(image),
      env,
      ports: [{name: 'http', containerPort: port, protocol: 'TCP'}],
      readinessProbe: httpProbe('/ready'),
      livenessProbe: {...httpProbe('/health'), initialDelaySeconds: 10},
    },
    spec.container,
  )
  const podSpec: Record<string, unknown> = {containers: [container], ...podIdentity(spec.serviceAccountName)}
  const objects: KubernetesObject[] = deploymentAndService({doc, namespace, podSpec: clean(podSpec), port})
  return {objects, warnings: []}
}
