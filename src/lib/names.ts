/**
 * kaos's naming contract: every object name, label, annotation and selector that kaos writes and
 * later finds things by. Rendering writes these, the cluster layer queries by them, and upstream
 * KAOS's operator used the same names, so they change only with a migration. Kept apart from
 * rendering (as cdk8s keeps `names.ts`) so that readers of the cluster need not import the renderer.
 */
import type {Kind} from './kinds.js'

export const MANAGED_BY = 'kaos'
/** kaos's server-side apply field manager. */
export const FIELD_MANAGER = 'kaos'

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by'
export const LABEL_NAME = 'kaos.tools/name'
export const LABEL_KIND = 'kaos.tools/kind'
/** On a pod template: when `kaos mcp token --rotate` restarted it (as kubectl rollout restart's restartedAt). */
export const ANNOTATION_RESTARTED_AT = 'kaos.tools/restarted-at'
/** Marks the objects `kaos system install` made, so uninstall removes those and nothing else. */
export const LABEL_COMPONENT = 'kaos.tools/component'
export const SYSTEM_COMPONENT = 'system'
/** On Roles and bindings `kaos system create-rbac` made: the service account (and its namespace) they grant. */
export const LABEL_RBAC_FOR = 'kaos.tools/rbac-for'
export const LABEL_RBAC_NAMESPACE = 'kaos.tools/rbac-namespace'
/** On the objects `kaos samples deploy` adds to a sample's own (its Secret, its RBAC), so `samples delete` finds them. */
export const LABEL_SAMPLE = 'kaos.tools/sample'

export const ANNOTATION_SOURCE = 'kaos.tools/source'
export const ANNOTATION_POD_SPEC_HASH = 'kaos.tools/pod-spec-hash'
export const ANNOTATION_CONFIG_HASH = 'kaos.tools/config-hash'
export const ANNOTATION_RUNTIME = 'kaos.tools/runtime'
export const ANNOTATION_INVENTORY = 'kaos.tools/inventory'
export const ANNOTATION_ENDPOINT = 'kaos.tools/endpoint'
export const ANNOTATION_TRANSPORT = 'kaos.tools/transport'
/** On the pod template of a stdio runtime built from a package: what the image runs. */
export const ANNOTATION_PACKAGE = 'kaos.tools/package'
export const ANNOTATION_PACKAGE_BIN = 'kaos.tools/package-bin'

/** Where `kaos system install` puts the cluster's runtime registry. */
export const DEFAULT_SYSTEM_NAMESPACE = 'kaos-system'
export const REGISTRY_CONFIGMAP = 'kaos-mcp-runtimes'
export const REGISTRY_KEY = 'runtimes.yaml'

/** Per-kind naming: object prefix, KAOS's `app` label value and the container name. */
export const KIND_INFO: Record<Kind, {prefix: string; app: string; container: string; component: string}> = {
  MCPServer: {prefix: 'mcpserver', app: 'mcpserver', container: 'mcp-server', component: 'mcpserver'},
  Agent: {prefix: 'agent', app: 'agent', container: 'agent', component: 'agent'},
  ModelAPI: {prefix: 'modelapi', app: 'modelapi', container: 'model-api', component: 'modelapi'},
}

/** `mcpserver-<name>`, `agent-<name>`, `modelapi-<name>`: the Deployment and Service of a workload. */
export function objectName(kind: Kind, name: string): string {
  return `${KIND_INFO[kind].prefix}-${name}`
}

/** The Secret holding the bearer token kaos generated for a runtime with `auth`, and its key. */
export function authSecretName(name: string): string {
  return `${objectName('MCPServer', name)}-auth`
}
export const AUTH_SECRET_KEY = 'token'

/** The LiteLLM config ConfigMap of a ModelAPI proxy, and the Secret for a literal API key. */
export function modelAPIConfigName(name: string): string {
  return `${objectName('ModelAPI', name)}-config`
}
export function modelAPIKeySecretName(name: string): string {
  return `${objectName('ModelAPI', name)}-api-key`
}

/** The Deployment selector: KAOS's `app=<kind>`, `<kind>=<name>` (immutable once created). */
export function selectorLabels(kind: Kind, name: string): Record<string, string> {
  const {app} = KIND_INFO[kind]
  return {app, [app]: name}
}

/** Labels as a label-selector string (`a=b,c=d`), the form list queries take. */
export function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
}

/** The selector of a workload's pods, as a string. */
export function podSelector(kind: Kind, name: string): string {
  return selectorString(selectorLabels(kind, name))
}

/** Labels on every object of one workload; kaos finds, lists, prunes and deletes by them. */
export function workloadLabels(kind: Kind, name: string, userLabels?: Record<string, string>): Record<string, string> {
  return {
    ...userLabels,
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': KIND_INFO[kind].component,
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_NAME]: name,
    [LABEL_KIND]: kind,
    ...selectorLabels(kind, name),
  }
}

/** Selector for every object of one workload (or of one kind, without a name). */
export function workloadSelector(kind: string, name?: string): string {
  return [`${LABEL_MANAGED_BY}=${MANAGED_BY}`, `${LABEL_KIND}=${kind}`, ...(name ? [`${LABEL_NAME}=${name}`] : [])].join(',')
}

/** In-cluster URL of a workload's Service. */
export function serviceUrl(kind: Kind, name: string, namespace: string, port: number, path = ''): string {
  return `http://${objectName(kind, name)}.${namespace}.svc.cluster.local:${port}${path}`
}

/**
 * MCPTool, MCPPrompt and MCPResource documents are kept in the cluster as ConfigMaps
 * `mcptool-<name>` (…) labelled like a workload (managed-by, kind, name) plus the document's own
 * labels, which is what a gateway's toolSelector matches; the document is the `document.json` key.
 */
export function catalogObjectName(kind: string, name: string): string {
  return `${kind.toLowerCase()}-${name}`
}
export const CATALOG_DOCUMENT_KEY = 'document.json'

/** Labels of a stored catalog document: its own, then kaos's (which win). */
export function catalogLabels(kind: string, name: string, userLabels?: Record<string, string>): Record<string, string> {
  return {...userLabels, [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_KIND]: kind, [LABEL_NAME]: name}
}

/** The ConfigMap holding a gateway MCPServer's rendered configuration, and its key. */
export function gatewayConfigName(name: string): string {
  return `${objectName('MCPServer', name)}-gateway`
}
export const GATEWAY_CONFIG_KEY = 'config.json'
/** Where the gateway reads its configuration (the default of runtimes/gateway's KAOS_GATEWAY_CONFIG). */
export const GATEWAY_CONFIG_DIR = '/etc/kaos-gateway'
