import type {AgentDoc, AgentMemory} from '../documents.js'
import type {Defaults} from '../registry.js'
import {type KubernetesObject, applyContainerOverride, clean, deploymentAndService, httpProbe, podIdentity, pullPolicy, startupProbe} from './common.js'
import {serviceUrl} from '../names.js'
import {telemetryEnv} from '../upstream.js'
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

/**
 * Local short-term memory as pais reads it. Fields that bind a MemoryStore are not rendered (no
 * MEMORY_STORE_ENDPOINT, no MEMORY_TOOLS): without upstream's memory service the agent keeps
 * local memory, and the render warns (upstream.ts).
 */
function memoryEnv(memory: AgentMemory | undefined): Array<{name: string; value: string}> {
  if (!memory) return []
  const out: Array<{name: string; value: string}> = []
  if (memory.enabled !== undefined) out.push({name: 'MEMORY_ENABLED', value: String(memory.enabled)})
  if (memory.type !== undefined) out.push({name: 'MEMORY_TYPE', value: 'local'})
  if (memory.contextLimit !== undefined) out.push({name: 'MEMORY_CONTEXT_LIMIT', value: String(memory.contextLimit)})
  if (memory.maxSessions !== undefined) out.push({name: 'MEMORY_MAX_SESSIONS', value: String(memory.maxSessions)})
  if (memory.maxSessionEvents !== undefined) out.push({name: 'MEMORY_MAX_SESSION_EVENTS', value: String(memory.maxSessionEvents)})
  return out
}

/** Agent → Deployment and Service `agent-<name>` with KAOS's agent env contract. */
export function renderAgent(doc: AgentDoc, ctx: AgentRenderContext): RenderResult {
  const {spec} = doc
  const {name} = doc.metadata
  const {namespace, defaults} = ctx
  const port = defaults.agent.port
  const modelPort = ctx.modelAPIPorts?.[spec.modelAPI] ?? defaults.modelAPI.proxy.port
  const peers = spec.agentNetwork?.access ?? []
  const config = spec.config ?? {}
  const opt = (envName: string, v: string | number | boolean | undefined) => (v === undefined || v === '' ? [] : [{name: envName, value: String(v)}])
  // The variables upstream KAOS's operator sets and its agent runtime (pydantic-ai-server, module
  // pais) reads, in the operator's order. Unset options are left out rather than set empty, so
  // the runtime's own defaults apply (an empty AGENT_INSTRUCTIONS would blank its instructions).
  const env: Array<{name: string; value: string}> = [
    {name: 'AGENT_NAME', value: name},
    ...opt('AGENT_DESCRIPTION', config.description),
    ...opt('AGENT_INSTRUCTIONS', config.instructions),
    ...opt('AGENT_SYSTEM_PROMPT', config.systemPrompt),
    {name: 'MODEL_API_URL', value: serviceUrl('ModelAPI', spec.modelAPI, namespace, modelPort)},
    {name: 'MODEL_NAME', value: spec.model},
    ...opt('AGENTIC_LOOP_MAX_STEPS', config.reasoningLoopMaxSteps),
    ...opt('TOOL_CALL_MODE', config.toolCallMode),
    ...memoryEnv(config.memory),
    ...opt('AUTONOMOUS_GOAL', config.autonomous?.goal),
    ...opt('AUTONOMOUS_INTERVAL_SECONDS', config.autonomous?.intervalSeconds),
    ...opt('AUTONOMOUS_MAX_ITER_RUNTIME_SECONDS', config.autonomous?.maxIterRuntimeSeconds),
    ...opt('TASK_MAX_ITERATIONS', config.taskConfig?.maxIterations),
    ...opt('TASK_MAX_RUNTIME_SECONDS', config.taskConfig?.maxRuntimeSeconds),
    ...opt('TASK_MAX_TOOL_CALLS', config.taskConfig?.maxToolCalls),
    ...(spec.mcpServers.length > 0 ? [{name: 'MCP_SERVERS', value: spec.mcpServers.join(',')}] : []),
    // The name as written (dashes kept, not upper-cased): pais reads MCP_SERVER_<name>_URL so, and
    // appends /mcp to the base URL itself.
    ...spec.mcpServers.map((m) => ({name: `MCP_SERVER_${m}_URL`, value: serviceUrl('MCPServer', m, namespace, ctx.mcpServerPorts?.[m] ?? 8000)})),
    ...(peers.length > 0 ? [{name: 'PEER_AGENTS', value: peers.join(',')}] : []),
    // A base URL: the agent appends /.well-known/agent.json and /v1/chat/completions itself.
    ...peers.map((p) => ({name: `PEER_AGENT_${envKey(p)}_CARD_URL`, value: serviceUrl('Agent', p, namespace, port)})),
    ...(config.telemetry?.enabled ? telemetryEnv(name, namespace, config.telemetry.endpoint) : []),
    // Only the URL in its agent card: what binds is the server's --port.
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
      startupProbe: startupProbe('/health'),
      readinessProbe: httpProbe('/ready'),
      livenessProbe: {...httpProbe('/health'), initialDelaySeconds: 10},
    },
    spec.container,
  )
  const podSpec: Record<string, unknown> = {containers: [container], ...podIdentity(spec.serviceAccountName)}
  const objects: KubernetesObject[] = deploymentAndService({doc, namespace, podSpec: clean(podSpec), port})
  return {objects, warnings: []}
}
