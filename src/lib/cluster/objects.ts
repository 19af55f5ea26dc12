// Reading and deleting single objects and lists by kind: the primitives the named query modules
// (workloads, namespaces, registry-configmap, …) are written with.
import type {Cluster} from './client.js'
import {KaosError} from '../errors.js'
import {FIELD_MANAGER} from '../names.js'
import {OPTIONAL_KINDS, collectionPath, isNamespaced, objectPath} from './paths.js'

/** A reference to one object, as kaos reports it. */
export interface ObjectRef {
  kind: string
  name: string
  namespace?: string
}

export function refText(r: ObjectRef): string {
  return `${r.kind}/${r.name}${r.namespace ? ` in ${r.namespace}` : ''}`
}

/** `kind/namespace/name`, for sets and maps of objects. */
export function refKey(r: ObjectRef): string {
  return `${r.kind}/${isNamespaced(r.kind) ? (r.namespace ?? '') : ''}/${r.name}`
}

/** One object, or undefined when it does not exist. */
export async function getObject<T = any>(cluster: Cluster, kind: string, name: string, namespace?: string): Promise<T | undefined> {
  return cluster.get<T>(objectPath(kind, name, namespace))
}

export interface ListOptions {
  /** Omit for all namespaces (namespaced kinds) or for cluster-scoped kinds. */
  namespace?: string
  labelSelector?: string
  fieldSelector?: string
  signal?: AbortSignal
}

/** The items of a list query; with `missingOk`, a kind the cluster does not serve has none. */
export async function listObjects<T = any>(cluster: Cluster, kind: string, opts: ListOptions & {missingOk?: boolean} = {}): Promise<T[]> {
  const list = await cluster.request<{items: T[]} | undefined>('GET', collectionPath(kind, opts.namespace), {
    query: {labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector},
    signal: opts.signal,
    ...(opts.missingOk ? {allow404: true, missingApiOk: true} : {}),
  })
  return list?.items ?? []
}

/**
 * The objects of one kind a workload may own. A kind the cluster does not serve (HTTPRoute without
 * the Gateway API: 404) or the user may not list (403) has none: kaos cannot have made any there.
 */
export async function listOwnedKind<T = any>(cluster: Cluster, kind: string, opts: ListOptions = {}): Promise<T[]> {
  if (!OPTIONAL_KINDS.has(kind)) return listObjects<T>(cluster, kind, opts)
  try {
    return await listObjects<T>(cluster, kind, {...opts, missingOk: true})
  } catch (error) {
    if (error instanceof KaosError && error.code === 'FORBIDDEN') return []
    throw error
  }
}

/**
 * A JSON merge patch of one object: for the few writes that are not kaos's declared state (a
 * rotated token, a restart annotation), which server-side apply of the whole object would mean
 * re-stating every field kaos owns.
 */
export async function mergePatchObject<T = any>(cluster: Cluster, r: ObjectRef, patch: unknown): Promise<T> {
  return cluster.request<T>('PATCH', objectPath(r.kind, r.name, r.namespace), {body: patch, contentType: 'application/merge-patch+json', query: {fieldManager: FIELD_MANAGER}})
}

/** Delete one object; 404 counts as success. Returns whether it existed. */
export async function deleteObject(cluster: Cluster, r: ObjectRef, opts: {dryRun?: boolean} = {}): Promise<boolean> {
  const res = await cluster.request('DELETE', objectPath(r.kind, r.name, r.namespace), {
    allow404: true,
    query: {propagationPolicy: 'Background', dryRun: opts.dryRun ? 'All' : undefined},
  })
  return res !== undefined
}
