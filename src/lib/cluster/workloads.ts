// Queries for kaos workloads (the Deployments kaos renders for MCPServers, Agents and ModelAPIs,
// and the objects and pods that belong to them), found by the labels in names.ts.
import {type Kind, KINDS} from '../kinds.js'
import {LABEL_KIND, LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY, objectName, podSelector, workloadSelector} from '../names.js'
import type {Cluster} from './client.js'
import {type ObjectRef, getObject, listObjects, listOwnedKind} from './objects.js'
import {OWNED_KINDS} from './paths.js'

/** kaos Deployments of one kind (or of every kind), in one namespace or all; `selector` narrows them. */
export async function listWorkloadDeployments(cluster: Cluster, opts: {kind?: Kind; namespace?: string; selector?: string}): Promise<any[]> {
  const base = opts.kind ? workloadSelector(opts.kind) : `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_KIND}`
  const labelSelector = [base, opts.selector].filter(Boolean).join(',')
  const items = await listObjects(cluster, 'Deployment', {namespace: opts.namespace, labelSelector})
  return items.filter((d) => (KINDS as readonly string[]).includes(d.metadata?.labels?.[LABEL_KIND]))
}

/** The Deployment of one workload, or undefined (also when a foreign Deployment has its name). */
export async function getWorkloadDeployment(cluster: Cluster, kind: Kind, name: string, namespace: string): Promise<any | undefined> {
  const d = await getObject(cluster, 'Deployment', objectName(kind, name), namespace)
  return d && d.metadata?.labels?.[LABEL_NAME] === name ? d : undefined
}

/** The pods of one workload. */
export async function listWorkloadPods(cluster: Cluster, kind: Kind, name: string, namespace: string): Promise<any[]> {
  return listObjects(cluster, 'Pod', {namespace, labelSelector: podSelector(kind, name)})
}

/** Every object of the owned kinds carrying a workload's labels (one list per kind, together). */
export async function listOwnedObjects(cluster: Cluster, kind: string, name: string, namespace: string): Promise<ObjectRef[]> {
  const lists = await Promise.all(OWNED_KINDS.map((k) => listOwnedKind(cluster, k, {namespace, labelSelector: workloadSelector(kind, name)})))
  return OWNED_KINDS.flatMap((k, i) => lists[i].map((item) => ({kind: k, name: item.metadata.name, namespace})))
}
