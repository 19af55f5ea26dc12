import type {Cluster} from './cluster/client.js'
import {type ObjectRef, deleteObject} from './cluster/objects.js'
import {podProblem, problemText, waitForGone} from './cluster/wait.js'
import {getWorkloadDeployment, listOwnedObjects, listWorkloadDeployments, listWorkloadPods} from './cluster/workloads.js'
import type {KaosDoc} from './documents.js'
import {age} from './duration.js'
import {ExitCode, KaosError} from './errors.js'
import {ANNOTATION_ENDPOINT, ANNOTATION_RUNTIME, ANNOTATION_SOURCE, ANNOTATION_TRANSPORT, LABEL_KIND, LABEL_NAME, objectName, podSelector} from './names.js'
import {type CatalogKind, type Kind, TOPIC_OF, isCatalogKind} from './kinds.js'

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
  const items = await listWorkloadDeployments(cluster, {kind, namespace: opts.namespace, selector: opts.selector})
  return items.map((d) => summarize(kind, d)).sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
}

/** The Deployment of a workload, or a not-found error naming it. */
export async function getDeployment(cluster: Cluster, kind: Kind, name: string, namespace: string): Promise<any> {
  const d = await getWorkloadDeployment(cluster, kind, name, namespace)
  if (!d)
    throw new KaosError(`${kind} "${name}" not found in namespace "${namespace}"`, {
      exit: ExitCode.NOT_FOUND,
      suggestions: [`List them with \`kaos ${TOPIC_OF[kind]} list -A\`.`],
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
  const pods = await listWorkloadPods(cluster, kind, name, namespace)
  const s = summarize(kind, d)
  const doc = documentOf(d)
  return {
    // With its namespace, as kubectl shows an object: fed back to `deploy -f`, it lands where it came from.
    document: doc && {...doc, metadata: {...doc.metadata, namespace: d.metadata.namespace}},
    status: {
      ready: s.ready,
      readyReplicas: s.readyReplicas,
      replicas: s.replicas,
      updatedReplicas: d.status?.updatedReplicas ?? 0,
      availableReplicas: d.status?.availableReplicas ?? 0,
      endpoint: s.endpoint,
      conditions: (d.status?.conditions ?? []).map((c: any) => ({type: c.type, status: c.status, reason: c.reason, message: c.message})),
      pods: pods.map((p) => {
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

/** A workload to delete. */
export interface WorkloadRef {
  /** A workload kind, or a catalog kind (MCPTool, …: its ConfigMap carries the same labels). */
  kind: Kind | CatalogKind
  name: string
  namespace: string
}

export interface DeleteOutcome {
  deleted: ObjectRef[]
  /** Workloads that were not there (only with ignoreNotFound; otherwise that is an error). */
  notFound: WorkloadRef[]
}

/**
 * Delete workloads layer by layer (callers before what they call: see dependencies.ts), every
 * object carrying each workload's labels (404 is success). A workload with nothing in the cluster
 * is a not-found error before anything is deleted, unless `ignoreNotFound`. With `wait`, each
 * layer's Deployments and pods are gone before the next layer is deleted.
 */
export async function deleteWorkloads(
  cluster: Cluster,
  layers: WorkloadRef[][],
  opts: {wait?: boolean; timeoutMs?: number; ignoreNotFound?: boolean; onDeleted?: (r: ObjectRef) => void; onProgress?: (message: string) => void} = {},
): Promise<DeleteOutcome> {
  const deadlineAt = Date.now() + (opts.timeoutMs ?? 300_000)
  const all = layers.flat()
  const owned = await Promise.all(all.map((w) => listOwnedObjects(cluster, w.kind, w.name, w.namespace)))
  const ownedOf = new Map(all.map((w, i) => [w, owned[i]]))
  const notFound = all.filter((w) => ownedOf.get(w)!.length === 0)
  if (notFound.length > 0 && !opts.ignoreNotFound) {
    const w = notFound[0]
    throw new KaosError(`${w.kind} "${w.name}" not found in namespace "${w.namespace}"${all.length > 1 ? ' (nothing was deleted)' : ''}`, {
      exit: ExitCode.NOT_FOUND,
      suggestions: ['Pass --ignore-not-found to treat that as success.'],
      data: {notFound},
    })
  }
  const deleted: ObjectRef[] = []
  for (const layer of layers) {
    const present = layer.filter((w) => ownedOf.get(w)!.length > 0)
    const refs = present.flatMap((w) => ownedOf.get(w)!)
    const existed = await Promise.all(refs.map((r) => deleteObject(cluster, r)))
    for (const [i, r] of refs.entries()) {
      if (!existed[i]) continue
      deleted.push(r)
      opts.onDeleted?.(r)
    }
    if (opts.wait) {
      for (const w of present.filter((x) => !isCatalogKind(x.kind))) opts.onProgress?.(`waiting for ${w.kind} ${w.name} to be gone`)
      await Promise.all(present.filter((w): w is WorkloadRef & {kind: Kind} => !isCatalogKind(w.kind)).map((w) => waitForGone(cluster, {name: objectName(w.kind, w.name), namespace: w.namespace, selector: podSelector(w.kind, w.name)}, Math.max(0, deadlineAt - Date.now()))))
    }
  }
  return {deleted, notFound}
}

/**
 * Delete every object carrying the workload's labels (404 is success) and optionally wait until
 * the Deployment and its pods are gone. Not finding anything is a not-found error.
 */
export async function deleteWorkload(cluster: Cluster, kind: Kind, name: string, namespace: string, opts: {wait?: boolean; timeoutMs?: number; ignoreNotFound?: boolean} = {}): Promise<ObjectRef[]> {
  return (await deleteWorkloads(cluster, [[{kind, name, namespace}]], opts)).deleted
}

/** Every kaos workload (MCPServer, Agent, ModelAPI) in one namespace or all, from their Deployments. */
export async function listAllWorkloads(cluster: Cluster, namespace?: string): Promise<Array<WorkloadSummary & {deployment: any}>> {
  const items = await listWorkloadDeployments(cluster, {namespace})
  return items
    .map((d) => ({...summarize(d.metadata.labels[LABEL_KIND] as Kind, d), deployment: d}))
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
}

export type WorkloadHealth = 'Ready' | 'NotReady' | 'Failing'

export interface WorkloadStatus extends WorkloadSummary {
  health: WorkloadHealth
  /** The first problem of a workload that is not ready. */
  problem?: string
}

/** The first problem of a Deployment's own conditions (quota, missing service account, deadline). */
export function deploymentProblem(d: any): string | undefined {
  for (const c of d?.status?.conditions ?? []) {
    if (c.type === 'ReplicaFailure' && c.status === 'True') return `${c.reason ?? 'ReplicaFailure'}: ${c.message ?? ''}`.trim()
    if (c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded') return `ProgressDeadlineExceeded: ${c.message ?? ''}`.trim()
  }
  return undefined
}

/** The summary without the Deployment it was made from. */
export function withoutDeployment({deployment: _d, ...w}: WorkloadSummary & {deployment?: unknown}): WorkloadSummary {
  return w
}

/** Health of one workload: Ready, Failing (a problem that will not heal) or NotReady (still coming up). */
export async function workloadHealth(cluster: Cluster, w: WorkloadSummary & {deployment: any}): Promise<WorkloadStatus> {
  const base = withoutDeployment(w)
  if (w.readyReplicas >= w.replicas && (w.deployment.status?.updatedReplicas ?? w.replicas) >= w.replicas) return {...base, health: 'Ready'}
  const dp = deploymentProblem(w.deployment)
  if (dp) return {...base, health: 'Failing', problem: dp}
  const pods = await listWorkloadPods(cluster, w.kind, w.name, w.namespace)
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue
    const problem = podProblem(p)
    if (problem) return {...base, health: 'Failing', problem: problemText(problem)}
  }
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp)
  const why = live.length === 0 ? 'no pods yet' : `${w.readyReplicas}/${w.replicas} pods ready (${live.map((p) => `${p.metadata.name}: ${p.status?.phase ?? 'Unknown'}`).join(', ')})`
  return {...base, health: 'NotReady', problem: why}
}
