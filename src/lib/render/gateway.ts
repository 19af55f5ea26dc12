// The gateway runtime's configuration (runtimes/gateway), and catalog documents as ConfigMaps.
// A gateway MCPServer serves the MCPTool, MCPPrompt and MCPResource documents its toolSelector
// picks, from the input and from those stored in the cluster, plus the MCP servers its
// upstreamSelector picks. Pure: what the cluster holds comes in the render context.
import type {GatewayConfig, UpstreamConfig} from '../../../runtimes/gateway/src/config.js'
import {type CatalogDoc, type ConfigOrigins, type GatewayEnv, gatewayConfig, selectorMatches} from '../catalog.js'
import {type MCPServerDoc, docLabel} from '../documents.js'
import {invalid} from '../errors.js'
import type {GatewayChecks} from '../gateway-checks.js'
import {
  AUTH_SECRET_KEY,
  CATALOG_DOCUMENT_KEY,
  GATEWAY_CONFIG_DIR,
  GATEWAY_CONFIG_KEY,
  authSecretName,
  catalogLabels,
  catalogObjectName,
  gatewayConfigName,
  serviceUrl,
  workloadLabels,
} from '../names.js'
import type {Registry} from '../registry.js'
import {activeAuth} from '../serving.js'
import {type KubernetesObject, shortHash} from './common.js'

/**
 * Check one catalog document on its own with the gateway's parser (templates name declared
 * arguments, URLs keep their host fixed, schemas compile), so a bad document is refused when it
 * is applied, not when some gateway selects it. What depends on the other documents a gateway
 * selects (names used twice, a prompt's resource) is checked when a gateway is rendered.
 */
export function checkCatalogDoc(doc: CatalogDoc, namespace: string, checks: GatewayChecks): void {
  const {config, origins} = gatewayConfig([doc], {namespace})
  const parsed = checks.parseConfig(JSON.parse(JSON.stringify(config)))
  if (parsed.ok) return
  const errors = parsed.errors.filter((e) => !e.includes("is not one of this gateway's resources")).map((e) => whoseError(e, config, origins))
  if (errors.length > 0) throw invalid(`${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})` : ''}`)
}

/** A catalog document as the ConfigMap that keeps it in the cluster. */
export function renderCatalogDoc(doc: CatalogDoc, namespace: string): KubernetesObject {
  const {name, labels, annotations} = doc.metadata
  const stored = {apiVersion: doc.apiVersion, kind: doc.kind, metadata: {name, ...(labels ? {labels} : {}), ...(annotations ? {annotations} : {})}, spec: doc.spec}
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {name: catalogObjectName(doc.kind, name), namespace, labels: catalogLabels(doc.kind, name, labels), ...(annotations ? {annotations} : {})},
    // In the order the schema gives its fields (parsing normalised it), so `get` reads like the file.
    data: {[CATALOG_DOCUMENT_KEY]: JSON.stringify(stored)},
  }
}

export interface GatewayInputs {
  namespace: string
  /** Catalog documents of the input and of the cluster, in the gateway's namespace (input wins). */
  catalog: CatalogDoc[]
  /** MCP servers of the input and of the cluster, in the gateway's namespace (input wins). */
  mcpServers: MCPServerDoc[]
  registry: Registry
  checks: GatewayChecks
}

export interface GatewayRender {
  configMap: KubernetesObject
  env: Array<Record<string, unknown>>
  volume: Record<string, unknown>
  mount: Record<string, unknown>
  /** Rolls the pods when the configuration changes. */
  configHash: string
  /** What was selected, for messages and `--json`. */
  selected: {tools: string[]; prompts: string[]; resources: string[]; upstreams: string[]}
  /** What the gateway connects to, for its NetworkPolicy: the URLs its tools and resources call, and its upstream MCP servers. */
  calls: {urls: string[]; upstreams: Array<{name: string; port: number}>}
  warnings: string[]
}

/**
 * The gateway's configuration for one MCPServer: selection, the configuration itself (checked by
 * the gateway's own parser, so a deploy refuses what the gateway would refuse at start), and the
 * ConfigMap, env and mount that carry it. Problems are invalid-input errors naming the document.
 */
export function renderGateway(doc: MCPServerDoc, inputs: GatewayInputs): GatewayRender {
  const {name} = doc.metadata
  const {namespace} = inputs
  const warnings: string[] = []
  const picked = doc.spec.toolSelector ? inputs.catalog.filter((d) => selectorMatches(doc.spec.toolSelector!, d.metadata.labels)) : []
  const upstreamDocs = doc.spec.upstreamSelector
    ? inputs.mcpServers.filter((s) => s.metadata.name !== name && selectorMatches(doc.spec.upstreamSelector!, s.metadata.labels)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    : []
  const upstreamEnv: GatewayEnv[] = []
  const upstreams: UpstreamConfig[] = []
  const upstreamPorts: Array<{name: string; port: number}> = []
  for (const s of upstreamDocs) {
    const rt = inputs.registry.runtimes.get(s.spec.runtime)
    if (!rt) {
      warnings.push(`MCPServer "${name}": upstream MCPServer "${s.metadata.name}" uses runtime "${s.spec.runtime}", which this registry does not know; left out`)
      continue
    }
    if (rt.transport === 'sse') {
      warnings.push(`MCPServer "${name}": upstream MCPServer "${s.metadata.name}" speaks SSE, which the gateway does not aggregate; left out`)
      continue
    }
    const up: UpstreamConfig = {name: s.metadata.name, url: serviceUrl('MCPServer', s.metadata.name, namespace, rt.port, rt.path)}
    upstreamPorts.push({name: s.metadata.name, port: rt.port})
    // A server kaos gave a bearer token (always, or because it is exposed): the gateway sends it,
    // read from the same Secret.
    const auth = activeAuth(s, rt)
    if (auth && !(s.spec.container?.env ?? []).some((e) => e.name === auth.tokenEnv)) {
      const envName = `KAOS_UPSTREAM_TOKEN_${upstreamEnv.length}`
      upstreamEnv.push({name: envName, secretKeyRef: {name: authSecretName(s.metadata.name), key: AUTH_SECRET_KEY}})
      up.headers = {Authorization: {fromEnv: envName, prefix: 'Bearer '}}
    }
    upstreams.push(up)
  }
  const server = {...(doc.spec.gateway?.name ? {name: doc.spec.gateway.name} : {name}), ...(doc.spec.gateway?.instructions ? {instructions: doc.spec.gateway.instructions} : {})}
  const {config, env, origins} = gatewayConfig(picked, {namespace, server, upstreams})
  const parsed = inputs.checks.parseConfig(JSON.parse(JSON.stringify(config)))
  if (!parsed.ok) {
    const [first, ...rest] = parsed.errors.map((e) => whoseError(e, config, origins))
    throw invalid(`MCPServer "${name}": ${first}${rest.length ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : ''}`, [
      'Fix the document it names; `kaos mcp deploy --dry-run=client -f …` checks again without a cluster.',
    ])
  }
  if (picked.length === 0 && upstreams.length === 0)
    warnings.push(`MCPServer "${name}": its selectors match no MCPTool, MCPPrompt, MCPResource or MCPServer yet; it serves nothing until some are applied (kaos mcp tool apply -f …)`)

  const text = `${JSON.stringify(config, null, 2)}\n`
  const configMap: KubernetesObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {name: gatewayConfigName(name), namespace, labels: workloadLabels('MCPServer', name, doc.metadata.labels)},
    data: {[GATEWAY_CONFIG_KEY]: text},
  }
  const allEnv = [
    {name: 'KAOS_GATEWAY_CONFIG', value: `${GATEWAY_CONFIG_DIR}/${GATEWAY_CONFIG_KEY}`},
    ...[...env, ...upstreamEnv].map((e) => ({name: e.name, valueFrom: {secretKeyRef: e.secretKeyRef}})),
  ]
  return {
    configMap,
    env: allEnv,
    volume: {name: 'gateway-config', configMap: {name: gatewayConfigName(name)}},
    mount: {name: 'gateway-config', mountPath: GATEWAY_CONFIG_DIR, readOnly: true},
    configHash: shortHash({config: text, env: allEnv}),
    selected: {
      tools: (config.tools ?? []).map((t) => t.name),
      prompts: (config.prompts ?? []).map((p) => p.name),
      resources: [...(config.resources ?? []).map((r) => r.uri), ...(config.resourceTemplates ?? []).map((r) => r.uriTemplate)],
      upstreams: upstreams.map((u) => u.name),
    },
    calls: {
      urls: [...(config.tools ?? []), ...(config.resources ?? []), ...(config.resourceTemplates ?? [])].flatMap((t) => (t.http ? [t.http.url] : [])),
      upstreams: upstreamPorts,
    },
    warnings,
  }
}

/**
 * The gateway's parser speaks of `tools[2] (get_item).http.url`; a person wrote
 * `MCPTool "get-item"`. Name the document (and its spec field) instead.
 */
function whoseError(message: string, config: GatewayConfig, origins: ConfigOrigins): string {
  let lead = true
  return message.replace(/(tools|prompts|resources|resourceTemplates|upstreams)\[(\d+)\](?: \([^)]*\))?(\.[\w.[\]]+)?/g, (all, list: string, i: string, path: string | undefined) => {
    let who: string | undefined
    let d: CatalogDoc | undefined
    if (list === 'upstreams') {
      const u = config.upstreams?.[Number(i)]
      who = u ? `upstream MCPServer "${u.name}"` : undefined
    } else {
      d = origins[list as keyof ConfigOrigins][Number(i)]
      who = d ? docLabel(d) : undefined
    }
    if (!who) return all
    // A document that names a Service wrote spec.http.path; the gateway sees the URL made of it.
    const docPath = d && d.kind !== 'MCPPrompt' && d.spec.http?.service ? path?.replace(/^\.http\.url\b/, '.http.path') : path
    const field = lead && docPath && list !== 'upstreams' ? ` spec${docPath}` : ''
    lead = false
    return `${who}${field}`
  })
}
