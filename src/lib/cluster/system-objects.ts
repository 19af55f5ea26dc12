// Queries `kaos system` needs beyond workloads: what else lives in the system namespace, and the
// Roles and bindings `create-rbac` made.
import {REGISTRY_CONFIGMAP} from '../names.js'
import type {Cluster} from './client.js'
import {type ObjectRef, listObjects} from './objects.js'

/** Objects in the system namespace other than what install put there and Kubernetes adds itself. */
export async function foreignSystemObjects(cluster: Cluster, ns: string): Promise<string[]> {
  const kinds = ['Deployment', 'Service', 'ConfigMap', 'Secret', 'ServiceAccount']
  const lists = await Promise.all(kinds.map((kind) => listObjects(cluster, kind, {namespace: ns})))
  const out: string[] = []
  kinds.forEach((kind, i) => {
    for (const o of lists[i]) {
      if (o.metadata?.deletionTimestamp) continue
      const name = o.metadata.name
      if (kind === 'ConfigMap' && (name === 'kube-root-ca.crt' || name === REGISTRY_CONFIGMAP)) continue
      if (kind === 'ServiceAccount' && name === 'default') continue
      if (kind === 'Secret' && o.type === 'kubernetes.io/service-account-token') continue
      out.push(`${kind.toLowerCase()}/${name}`)
    }
  })
  return out
}

export const RBAC_KINDS = ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'] as const

/**
 * RBAC objects of every namespace carrying `selector`, per kind. A kind the user may not list is
 * reported in `forbidden` rather than failing the whole query.
 */
export async function listRbacObjects(cluster: Cluster, selector: string): Promise<{objects: ObjectRef[]; forbidden: string[]}> {
  const results = await Promise.all(
    RBAC_KINDS.map(async (kind) => {
      try {
        return {kind, items: await listObjects(cluster, kind, {labelSelector: selector})}
      } catch (error) {
        if ((error as {code?: string}).code !== 'FORBIDDEN') throw error
        return {kind, items: undefined}
      }
    }),
  )
  const objects: ObjectRef[] = []
  const forbidden: string[] = []
  for (const r of results) {
    if (!r.items) forbidden.push(r.kind)
    else for (const o of r.items) objects.push({kind: r.kind, name: o.metadata.name, ...(o.metadata.namespace ? {namespace: o.metadata.namespace} : {})})
  }
  return {objects, forbidden}
}
