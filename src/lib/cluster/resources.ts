/** API paths for the kinds kaos renders and reads. Anything else goes through discovery. */
export const RESOURCES: Record<string, {group: string; version: string; plural: string; namespaced: boolean}> = {
  Namespace: {group: '', version: 'v1', plural: 'namespaces', namespaced: false},
  ServiceAccount: {group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true},
  ConfigMap: {group: '', version: 'v1', plural: 'configmaps', namespaced: true},
  Secret: {group: '', version: 'v1', plural: 'secrets', namespaced: true},
  Service: {group: '', version: 'v1', plural: 'services', namespaced: true},
  Pod: {group: '', version: 'v1', plural: 'pods', namespaced: true},
  Event: {group: '', version: 'v1', plural: 'events', namespaced: true},
  Deployment: {group: 'apps', version: 'v1', plural: 'deployments', namespaced: true},
  ReplicaSet: {group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true},
  Role: {group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', namespaced: true},
  RoleBinding: {group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', namespaced: true},
  ClusterRole: {group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', namespaced: false},
  ClusterRoleBinding: {group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterrolebindings', namespaced: false},
}

/** Kinds a kaos workload may own, in the order delete removes them (workload first). */
export const OWNED_KINDS = ['Deployment', 'Service', 'ConfigMap', 'Secret', 'ServiceAccount']

/** Collection path, e.g. `/apis/apps/v1/namespaces/ns/deployments`; all namespaces when `namespace` is omitted. */
export function collectionPath(kind: string, namespace?: string): string {
  const r = RESOURCES[kind]
  if (!r) throw new Error(`kaos does not know the API path of kind ${kind}`)
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`
  return r.namespaced && namespace ? `${base}/namespaces/${namespace}/${r.plural}` : `${base}/${r.plural}`
}

/** Object path, e.g. `/api/v1/namespaces/ns/services/name`. */
export function objectPath(kind: string, name: string, namespace?: string): string {
  return `${collectionPath(kind, namespace)}/${encodeURIComponent(name)}`
}
