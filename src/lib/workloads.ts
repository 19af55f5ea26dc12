import {deleteObject, listOwned, workloadSelector, type ObjectRef} from './cluster/apply.js'
import type {Cluster} from './cluster/client.js'
import {collectionPath, objectPath} from './cluster/resources.js'
import {podProblem, problemText, waitForGone} from './cluster/wait.js'
import type {KaosDoc, Kind} from './documents.js'
import {age} from './duration.js'
import {ExitCode, KaosError} from './errors.js'
import {ANNOTATION_ENDPOINT, ANNOTATION_TRANSPORT, ANNOTATION_RUNTIME, ANNOTATION_SOURCE, LABEL_NAME, objectName, selectorLabels} from './render/common.js'

/** One row of `kaos <kind> list`, also its JSON shape. */
export interface WorkloadSummary {
  kind: Kind
  name: string
  namespace: string
  /** MCPServer runtime, ModelAPI mode, Agent model API. */
  type: string
  ready: string
  readyReplicas: number
  replicas: number
  age: string
  createdAt?: string
  endpoint: string
  /** MCP transport for MCPServers (`http` or `sse`), from the render. */
  transport?: string
  image: string
  serviceAccount?: string
}

/** The kaos document stored on a Deployment, if any. */
export function documentOf(d: any): KaosDoc | undefined {
  const src = d?.metadata?.annotations?.[ANNOTATION_SOURCE]
  if (!src) return undefined
  try {
    return JSON.parse(src) as KaosDoc
  } catch {
    return undefined
  }
}

function typeOf(kind: Kind, d: any): string {
  const doc = documentOf(d) as any
  if (kind === 'MCPServer') return d.metadata.annotations?.[ANNOTATION_RUNTIME] ?? doc?.spec?.runtime ?? ''
  if (kind === 'ModelAPI') return doc?.spec?.mode ?? ''
  return doc?.spec?.modelAPI ?? ''
}

/** Summarise a kaos Deployment for list output. */
export function summarize(kind: Kind, d: any, now = Date.now()): WorkloadSummary {
  const replicas = d.spec?.replicas ?? 1
  const readyReplicas = d.status?.readyReplicas ?? 0
  const pod = d.spec?.template?.spec
  return {
    kind,
    name: d.metadata.labels?.[LABEL_NAME] ?? d.metadata.name,
    namespace: d.metadata.namespace,
    type: typeOf(kind, d),
    ready: `${readyReplicas}/${replicas}`,
    readyReplicas,
    replicas,
    age: age(d.metadata.creationTimestamp, now),
    createdAt: d.metadata.creationTimestamp,
    endpoint: d.metadata.annotations?.[ANNOTATION_ENDPOINT] ?? '',
    ...(d.metadata.annotations?.[ANNOTATION_TRANSPORT] ? {transport: d.metadata.annotations[ANNOTATION_TRANSPORT]} : {}),
    image: pod?.containers?.[0]?.image ?? '',
    ...(pod?.serviceAccountName ? {serviceAccount: pod.serviceAccountName} : {}),
  }
}

/** kaos Deployments of one kind, in one namespace or all. `selector` is added to kaos's labels. */
export async function listWorkloads(cluster: Cluster, kind: Kind, opts: {namespace?: string; selector?: string}): Promise<WorkloadSummary[]> {
  const labelSelector = [workloadSelector(kind), opts.selector].filter(Boolean).join(',')
  const list = await cluster.request<{items: any[]}>('GET', collectionPath('Deployment', opts.namespace), {query: {labelSelector}})
  return list.items.map((d) => summarize(kind, d)).sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
}

/** The Deployment of a workload, or a not-found error naming it. */
export async function getDeployment(cluster: Cluster, kind: Kind, name: string, namespace: string): Promise<any> {
  const d = await cluster.get(objectPath('Deployment', objectName(kind, name), namespace))
  if (!d || d.metadata?.labels?.[LABEL_NAME] !== name)
    throw new KaosError(`${kind} "${name}" not found in namespace "${namespace}"`, {
      exit: ExitCode.NOT_FOUND,
      suggestions: [`List them with \`kaos ${kind === 'MCPServer' ? 'mcp' : kind.toLowerCase()} list -A\`.`],
    })
  return d
}

/** What `kaos <kind> get NAME` returns: the document given back, plus live status. */
export interface WorkloadDetail {
  document?: KaosDoc
  status: {
    ready: string
    readyReplicas: number
    replicas: number
    updatedReplicas: number
    availableReplicas: number
    endpoint: string
    conditions: Array<{type: string; status: string; reason?: string; message?: string}>
    pods: Array<{name: string; phase: string; ready: boolean; restarts: number; problem?: string}>
  }
}

export async function getWorkload(cluster: Cluster, kind: Kind, name: string, namespace: string): Promise<WorkloadDetail> {
  const d = await getDeployment(cluster, kind, name, namespace)
  const sel = Object.entries(selectorLabels(kind, name)).map(([k, v]) => `${k}=${v}`).join(',')
  const pods = await cluster.request<{items: any[]}>('GET', collectionPath('Pod', namespace), {query: {labelSelector: sel}})
  const s = summarize(kind, d)
  return {
    document: documentOf(d),
    status: {
      ready: s.ready,
      readyReplicas: s.readyReplicas,
      replicas: s.replicas,
      updatedReplicas: d.status?.updatedReplicas ?? 0,
      availableReplicas: d.status?.availableReplicas ?? 0,
      endpoint: s.endpoint,
      conditions: (d.status?.conditions ?? []).map((c: any) => ({type: c.type, status: c.status, reason: c.reason, message: c.message})),
      pods: pods.items.map((p) => {
        const problem = podProblem(p)
        return {
          name: p.metadata.name,
          phase: p.status?.phase ?? 'Unknown',
          ready: (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
          restarts: (p.status?.containerStatuses ?? []).reduce((n: number, c: any) => n + (c.restartCount ?? 0), 0),
          ...(problem ? {problem: problemText(problem)} : {}),
        }
      }),
    },
  }
}

/**
 * Delete every object carrying the workload's labels (404 is success) and optionally wait until
 * the Deployment and its pods are gone. Not finding anything is a not-found error.
 */
export async function deleteWorkload(cluster: Cluster, kind: Kind, name: string, namespace: string, opts: {wait?: boolean; timeoutMs?: number; ignoreNotFound?: boolean} = {}): Promise<ObjectRef[]> {
  const owned = await listOwned(cluster, kind, name, namespace)
  if (owned.length === 0) {
    if (opts.ignoreNotFound) return []
    throw new KaosError(`${kind} "${name}" not found in namespace "${namespace}"`, {exit: ExitCode.NOT_FOUND, suggestions: ['Pass --ignore-not-found to treat that as success.']})
  }
  const deleted: ObjectRef[] = []
  for (const r of owned) if (await deleteObject(cluster, r)) deleted.push(r)
  if (opts.wait) {
    const sel = Object.entries(selectorLabels(kind, name)).map(([k, v]) => `${k}=${v}`).join(',')
    await waitForGone(cluster, {name: objectName(kind, name), namespace, selector: sel}, opts.timeoutMs ?? 300_000)
  }
  return deleted
}
