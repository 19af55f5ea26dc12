import {invalid} from '../errors.js'
import {isDnsLabel} from '../k8s-values.js'

/** API paths for the kinds kaos renders and reads. Anything else goes through discovery. */
export const RESOURCES: Record<string, {group: string; version: string; plural: string; namespaced: boolean}> = {
  Namespace: {group: '', version: 'v1', plural: 'namespaces', namespaced: false},
  ServiceAccount: {group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true},
  ConfigMap: {group: '', version: 'v1', plural: 'configmaps', namespaced: true},
  Secret: {group: '', version: 'v1', plural: 'secrets', namespaced: true},
  Service: {group: '', version: 'v1', plural: 'services', namespaced: true},
  Pod: {group: '', version: 'v1', plural: 'pods', namespaced: true},
  Node: {group: '', version: 'v1', plural: 'nodes', namespaced: false},
  Event: {group: '', version: 'v1', plural: 'events', namespaced: true},
  Deployment: {group: 'apps', version: 'v1', plural: 'deployments', namespaced: true},
  ReplicaSet: {group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true},
  EndpointSlice: {group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true},
  PodDisruptionBudget: {group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespaced: true},
  NetworkPolicy: {group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', namespaced: true},
  Ingress: {group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', namespaced: true},
  HTTPRoute: {group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes', namespaced: true},
  Gateway: {group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gateways', namespaced: true},
  Role: {group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', namespaced: true},
  RoleBinding: {group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', namespaced: true},
  ClusterRole: {group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', namespaced: false},
  ClusterRoleBinding: {group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', namespaced: false},
}

/** Kinds a kaos workload may own, in the order delete removes them (workload first). */
export const OWNED_KINDS = ['Deployment', 'Service', 'ConfigMap', 'Secret', 'ServiceAccount', 'PodDisruptionBudget', 'NetworkPolicy', 'Ingress', 'HTTPRoute']

/**
 * Owned kinds a cluster may not serve (HTTPRoute without the Gateway API) or a user may not be
 * allowed to list: listing them for pruning or deletion finds nothing instead of failing.
 */
export const OPTIONAL_KINDS = new Set(['PodDisruptionBudget', 'NetworkPolicy', 'Ingress', 'HTTPRoute'])

/** Whether objects of a kind live in a namespace (unknown kinds are assumed to). */
export function isNamespaced(kind: string): boolean {
  return RESOURCES[kind]?.namespaced ?? true
}

/**
 * A namespace name as the API server accepts it, or an invalid-input error. Every path is built
 * from checked, encoded segments: a namespace like `../../api/v1/secrets#` must never become a
 * request to some other resource.
 */
export function checkNamespace(namespace: string, what = 'namespace'): string {
  if (!isDnsLabel(namespace))
    throw invalid(`${what} ${JSON.stringify(namespace)} is not a valid namespace name: it must be a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)`, [
      'Pass a namespace such as -n my-team.',
    ])
  return namespace
}

function segment(s: string): string {
  return encodeURIComponent(s)
}

/** Collection path, e.g. `/apis/apps/v1/namespaces/ns/deployments`; all namespaces when `namespace` is omitted. */
export function collectionPath(kind: string, namespace?: string): string {
  const r = RESOURCES[kind]
  if (!r) throw new Error(`kaos does not know the API path of kind ${kind}`)
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`
  return r.namespaced && namespace ? `${base}/namespaces/${segment(checkNamespace(namespace))}/${r.plural}` : `${base}/${r.plural}`
}

/** Object path, e.g. `/api/v1/namespaces/ns/services/name`; `sub` adds a subresource (`log`, `portforward`). */
export function objectPath(kind: string, name: string, namespace?: string, sub?: string): string {
  if (!name) throw new Error(`empty ${kind} name`)
  return `${collectionPath(kind, isNamespaced(kind) ? namespace : undefined)}/${segment(name)}${sub ? `/${segment(sub)}` : ''}`
}
