import {ExitCode, KaosError} from '../errors.js'
import {ANNOTATION_INVENTORY, type KubernetesObject, LABEL_KIND, LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY} from '../render/common.js'
import {ApiError, type Cluster} from './client.js'
import {OWNED_KINDS, RESOURCES, collectionPath, objectPath} from './resources.js'

/** kaos's server-side apply field manager. */
export const FIELD_MANAGER = 'kaos'

export type ApplyAction = 'created' | 'configured' | 'unchanged'

export interface ObjectRef {
  kind: string
  name: string
  namespace?: string
}

export function refOf(o: KubernetesObject): ObjectRef {
  return {kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? {namespace: o.metadata.namespace} : {})}
}

export function refText(r: ObjectRef): string {
  return `${r.kind}/${r.name}${r.namespace ? ` in ${r.namespace}` : ''}`
}

function isNamespaced(kind: string): boolean {
  return RESOURCES[kind]?.namespaced ?? true
}

/** A conflict or validation failure from apply, as kaos's one-line error. */
function applyError(err: unknown, o: KubernetesObject): unknown {
  if (!(err instanceof ApiError)) return err
  const what = refText(refOf(o))
  const causes = err.body.details?.causes ?? []
  if (err.status === 409) {
    const c = causes.find((x) => x.type === 'FieldManagerConflict') ?? causes[0]
    const manager = /conflict with "([^"]+)"/.exec(c?.message ?? err.body.message ?? '')?.[1] ?? 'another field manager'
    const fields = causes.map((x) => x.field).filter(Boolean)
    return new KaosError(`apply conflict on ${what}: field${fields.length > 1 ? 's' : ''} ${fields.join(', ') || '(unknown)'} owned by "${manager}"`, {
      exit: ExitCode.CONFLICT,
      suggestions: ['Re-run with --force-conflicts to take the fields over, or remove them from the other manager.'],
      data: {object: refOf(o), manager, fields},
    })
  }
  if (err.status === 422 || err.status === 400) {
    const detail = causes.length > 0 ? causes.map((c) => `${c.field ? `${c.field}: ` : ''}${c.message}`).join('; ') : err.body.message
    return new KaosError(`the API server rejected ${what}: ${detail}`, {exit: ExitCode.INVALID_INPUT, data: {object: refOf(o), causes}})
  }
  if (err.status === 404) {
    return new KaosError(`cannot apply ${what}: ${err.body.message ?? 'not found'}`, {
      exit: ExitCode.NOT_FOUND,
      suggestions: o.metadata.namespace ? [`Create the namespace with --create-namespace.`] : [],
    })
  }
  return new KaosError(`applying ${what} failed: ${err.status} ${err.body.message ?? ''}`, {exit: ExitCode.UNEXPECTED})
}

/**
 * Server-side apply one object (field manager `kaos`, strict field validation). With `dryRun`
 * the server validates and defaults it but persists nothing. Returns the server's object.
 */
export async function applyObject(cluster: Cluster, o: KubernetesObject, opts: {force?: boolean; dryRun?: boolean} = {}): Promise<KubernetesObject> {
  const ns = isNamespaced(o.kind) ? o.metadata.namespace : undefined
  try {
    return await cluster.request('PATCH', objectPath(o.kind, o.metadata.name, ns), {
      body: o,
      contentType: 'application/apply-patch+yaml',
      query: {fieldManager: FIELD_MANAGER, fieldValidation: 'Strict', force: opts.force ? true : undefined, dryRun: opts.dryRun ? 'All' : undefined},
    })
  } catch (error) {
    throw applyError(error, o)
  }
}

export interface AppliedObject extends ObjectRef {
  action: ApplyAction
}

/**
 * Validate every object with a server-side dry run first, so an invalid one leaves nothing
 * applied, then apply them in order and report created / configured / unchanged per object.
 */
export async function applyAll(cluster: Cluster, objects: KubernetesObject[], opts: {force?: boolean; dryRun?: boolean; onApplied?: (a: AppliedObject) => void} = {}): Promise<AppliedObject[]> {
  const before = await Promise.all(
    objects.map((o) => cluster.get<KubernetesObject>(objectPath(o.kind, o.metadata.name, isNamespaced(o.kind) ? o.metadata.namespace : undefined))),
  )
  const dry = await Promise.all(objects.map((o) => applyObject(cluster, o, {force: opts.force, dryRun: true})))
  const rv = (x?: KubernetesObject) => x?.metadata.resourceVersion as string | undefined
  const generationOf = (x?: KubernetesObject) => stripVolatile(x)
  if (opts.dryRun) {
    return objects.map((o, i) => {
      const action: ApplyAction = !before[i] ? 'created' : generationOf(before[i]) === generationOf(dry[i]) ? 'unchanged' : 'configured'
      return {...refOf(o), action}
    })
  }
  const out: AppliedObject[] = []
  for (const [i, o] of objects.entries()) {
    const after = await applyObject(cluster, o, {force: opts.force})
    const action: ApplyAction = !before[i] ? 'created' : rv(before[i]) === rv(after) ? 'unchanged' : 'configured'
    const a = {...refOf(o), action}
    opts.onApplied?.(a)
    out.push(a)
  }
  return out
}

/** The object without fields the server changes on every write, to compare dry-run results. */
function stripVolatile(o?: KubernetesObject): string {
  if (!o) return ''
  const {metadata, status: _s, ...rest} = o as KubernetesObject & {status?: unknown}
  const {resourceVersion: _r, managedFields: _m, generation: _g, creationTimestamp: _c, uid: _u, ...meta} = metadata as Record<string, unknown>
  return JSON.stringify({...rest, metadata: meta})
}

/** Label selector for every object of one workload. */
export function workloadSelector(kind: string, name?: string): string {
  return [`${LABEL_MANAGED_BY}=${MANAGED_BY}`, `${LABEL_KIND}=${kind}`, ...(name ? [`${LABEL_NAME}=${name}`] : [])].join(',')
}

/** Every object of the owned kinds carrying a workload's labels. */
export async function listOwned(cluster: Cluster, workloadKind: string, name: string, namespace: string): Promise<ObjectRef[]> {
  const out: ObjectRef[] = []
  for (const kind of OWNED_KINDS) {
    const list = await cluster.request<{items: KubernetesObject[]}>('GET', collectionPath(kind, namespace), {query: {labelSelector: workloadSelector(workloadKind, name)}})
    for (const item of list.items) out.push({kind, name: item.metadata.name, namespace})
  }
  return out
}

/** Delete one object; 404 counts as success. Returns whether it existed. */
export async function deleteObject(cluster: Cluster, r: ObjectRef, opts: {dryRun?: boolean} = {}): Promise<boolean> {
  const res = await cluster.request('DELETE', objectPath(r.kind, r.name, isNamespaced(r.kind) ? r.namespace : undefined), {
    allow404: true,
    query: {propagationPolicy: 'Background', dryRun: opts.dryRun ? 'All' : undefined},
  })
  return res !== undefined
}

/** Objects a previous deploy of the same workloads created that this render no longer has. */
export async function findPrunable(cluster: Cluster, objects: KubernetesObject[]): Promise<ObjectRef[]> {
  const wanted = new Set(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`))
  const workloads = new Map<string, {kind: string; name: string; namespace: string}>()
  for (const o of objects) {
    const kind = o.metadata.labels?.[LABEL_KIND]
    const name = o.metadata.labels?.[LABEL_NAME]
    if (kind && name && o.metadata.namespace) workloads.set(`${kind}/${o.metadata.namespace}/${name}`, {kind, name, namespace: o.metadata.namespace})
  }
  const out: ObjectRef[] = []
  const seen = new Set<string>()
  const consider = (r: ObjectRef) => {
    const key = `${r.kind}/${r.namespace}/${r.name}`
    if (!wanted.has(key) && !seen.has(key) && OWNED_KINDS.includes(r.kind)) {
      seen.add(key)
      out.push(r)
    }
  }
  for (const w of workloads.values()) {
    for (const r of await listOwned(cluster, w.kind, w.name, w.namespace)) consider(r)
    const dep = objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.[LABEL_NAME] === w.name && o.metadata.namespace === w.namespace)
    const live = dep ? await cluster.get<KubernetesObject>(objectPath('Deployment', dep.metadata.name, w.namespace)) : undefined
    for (const entry of (live?.metadata.annotations?.[ANNOTATION_INVENTORY] ?? '').split(',').filter(Boolean)) {
      const [kind, name] = entry.split('/')
      consider({kind, name, namespace: w.namespace})
    }
  }
  return out
}

export {ApiError}
