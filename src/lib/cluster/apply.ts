import {ExitCode, KaosError} from '../errors.js'
import {FIELD_MANAGER} from '../names.js'
import type {KubernetesObject} from '../render/common.js'
import {ApiError, type Cluster} from './client.js'
import {type ObjectRef, getObject, refKey, refText} from './objects.js'
import {isNamespaced, objectPath} from './paths.js'

export type ApplyAction = 'created' | 'configured' | 'unchanged'

export interface AppliedObject extends ObjectRef {
  action: ApplyAction
}

export function refOf(o: KubernetesObject): ObjectRef {
  return {kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace && isNamespaced(o.kind) ? {namespace: o.metadata.namespace} : {})}
}

/** A conflict or validation failure from apply, as kaos's one-line error. */
function applyError(err: unknown, o: KubernetesObject): unknown {
  if (!(err instanceof ApiError)) return err
  const what = refText(refOf(o))
  const causes = err.body.details?.causes ?? []
  if (err.status === 409) {
    const c = causes.find((x) => x.reason === 'FieldManagerConflict') ?? causes[0]
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
  try {
    return await cluster.request('PATCH', objectPath(o.kind, o.metadata.name, o.metadata.namespace), {
      body: o,
      contentType: 'application/apply-patch+yaml',
      query: {fieldManager: FIELD_MANAGER, fieldValidation: 'Strict', force: opts.force ? true : undefined, dryRun: opts.dryRun ? 'All' : undefined},
    })
  } catch (error) {
    throw applyError(error, o)
  }
}

/**
 * The server-side dry run of every object, together: the API server's full validation (strict
 * fields, admission) with nothing written. Throws the first object's error in kaos's words.
 */
export async function validateAll(cluster: Cluster, objects: KubernetesObject[], opts: {force?: boolean} = {}): Promise<KubernetesObject[]> {
  return Promise.all(objects.map((o) => applyObject(cluster, o, {force: opts.force, dryRun: true})))
}

/** The live version of each object (undefined where absent), keyed by `refKey`. */
export type LiveObjects = Map<string, KubernetesObject | undefined>

/** Read the live version of every object, all at once. */
export async function readLive(cluster: Cluster, objects: KubernetesObject[]): Promise<LiveObjects> {
  const found = await Promise.all(objects.map((o) => getObject<KubernetesObject>(cluster, o.kind, o.metadata.name, o.metadata.namespace)))
  return new Map(objects.map((o, i) => [refKey(refOf(o)), found[i]]))
}

/** What a pod needs to exist before it starts: its identity and the config it mounts or reads. */
// A NetworkPolicy too: a pod must never run a moment without the limits it was rendered with.
const POD_DEPENDENCIES = new Set(['Namespace', 'ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'NetworkPolicy'])

/**
 * Objects a pod depends on at start go in an earlier wave than the rest, so a pod never starts
 * before its ConfigMap or Secret exists. Within a wave nothing depends on anything else, so its
 * requests go out together; a workload with no such objects is applied in one round trip.
 */
function waves(objects: KubernetesObject[]): KubernetesObject[][] {
  const first = objects.filter((o) => POD_DEPENDENCIES.has(o.kind))
  const second = objects.filter((o) => !POD_DEPENDENCIES.has(o.kind))
  return [first, second].filter((w) => w.length > 0)
}

/**
 * Validate every object with a server-side dry run first, so an invalid one leaves nothing
 * applied, then apply them (in waves, see above) and report created / configured / unchanged per
 * object. `live` is what the caller read before (see `readLive`); read here when not given.
 */
export async function applyAll(
  cluster: Cluster,
  objects: KubernetesObject[],
  opts: {force?: boolean; dryRun?: boolean; live?: LiveObjects; validated?: KubernetesObject[]; onApplied?: (a: AppliedObject) => void} = {},
): Promise<AppliedObject[]> {
  const [live, dry] = await Promise.all([opts.live ?? readLive(cluster, objects), opts.validated ?? validateAll(cluster, objects, {force: opts.force})])
  const before = (o: KubernetesObject) => live.get(refKey(refOf(o)))
  if (opts.dryRun) {
    return objects.map((o, i) => {
      const b = before(o)
      const action: ApplyAction = !b ? 'created' : stripVolatile(b) === stripVolatile(dry[i]) ? 'unchanged' : 'configured'
      return {...refOf(o), action}
    })
  }
  const results = new Map<KubernetesObject, AppliedObject>()
  for (const wave of waves(objects)) {
    await Promise.all(
      wave.map(async (o) => {
        const after = await applyObject(cluster, o, {force: opts.force})
        const b = before(o)
        const action: ApplyAction = !b ? 'created' : b.metadata.resourceVersion === after.metadata.resourceVersion ? 'unchanged' : 'configured'
        const a = {...refOf(o), action}
        opts.onApplied?.(a)
        results.set(o, a)
      }),
    )
  }
  return objects.map((o) => results.get(o)!)
}

/** The object without fields the server changes on every write, to compare dry-run results. */
function stripVolatile(o?: KubernetesObject): string {
  if (!o) return ''
  const {metadata, status: _s, ...rest} = o as KubernetesObject & {status?: unknown}
  const {resourceVersion: _r, managedFields: _m, generation: _g, creationTimestamp: _c, uid: _u, ...meta} = metadata as Record<string, unknown>
  return JSON.stringify({...rest, metadata: meta})
}
