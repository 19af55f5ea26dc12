// Queries for the catalog kaos keeps in the cluster: MCPTool, MCPPrompt and MCPResource documents
// as labelled ConfigMaps (names.ts), and the MCPServers a gateway may aggregate. Raw objects:
// parsing them is lib/catalog-store.ts's.
import {CATALOG_KINDS} from '../kinds.js'
import {LABEL_KIND, LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY, catalogObjectName, workloadSelector} from '../names.js'
import type {Cluster} from './client.js'
import {getObject, listObjects} from './objects.js'

export interface ConfigMapObject {
  metadata: {name: string; namespace: string; labels?: Record<string, string>; creationTimestamp?: string}
  data?: Record<string, string>
}

/**
 * The stored catalog ConfigMaps of some kinds (default all three) in a namespace (all when
 * omitted); `selector` narrows them by the documents' own labels (server-side).
 */
export async function listCatalogConfigMaps(cluster: Cluster, opts: {kinds?: readonly string[]; namespace?: string; selector?: string} = {}): Promise<ConfigMapObject[]> {
  const kinds = opts.kinds ?? CATALOG_KINDS
  const labelSelector = [`${LABEL_MANAGED_BY}=${MANAGED_BY}`, `${LABEL_KIND} in (${kinds.join(',')})`, opts.selector].filter(Boolean).join(',')
  return listObjects<ConfigMapObject>(cluster, 'ConfigMap', {namespace: opts.namespace, labelSelector})
}

/** One stored catalog document's ConfigMap, or undefined (also when a foreign ConfigMap has the name). */
export async function getCatalogConfigMap(cluster: Cluster, kind: string, name: string, namespace: string): Promise<ConfigMapObject | undefined> {
  const cm = await getObject<ConfigMapObject>(cluster, 'ConfigMap', catalogObjectName(kind, name), namespace)
  const l = cm?.metadata.labels ?? {}
  return cm && l[LABEL_MANAGED_BY] === MANAGED_BY && l[LABEL_KIND] === kind && l[LABEL_NAME] === name ? cm : undefined
}

/** The Deployments of the MCPServers in a namespace (their documents are in the source annotation). */
export async function listMCPServerDeployments(cluster: Cluster, namespace: string): Promise<any[]> {
  return listObjects(cluster, 'Deployment', {namespace, labelSelector: workloadSelector('MCPServer')})
}

/** Which of these Services exist (one list per namespace, together). */
export async function existingServices(cluster: Cluster, refs: Array<{name: string; namespace: string}>): Promise<Set<string>> {
  const namespaces = [...new Set(refs.map((r) => r.namespace))]
  const lists = await Promise.all(
    namespaces.map(async (namespace) => {
      // A namespace kaos may not list in is not a missing Service: the caller decides.
      const items = await listObjects<{metadata: {name: string}}>(cluster, 'Service', {namespace})
      return items.map((s) => `${namespace}/${s.metadata.name}`)
    }),
  )
  return new Set(lists.flat())
}

