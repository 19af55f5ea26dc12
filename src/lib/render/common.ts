import {createHash} from 'node:crypto'

import type {ContainerOverride, EnvVar, KaosDoc} from '../documents.js'
import {ANNOTATION_ENDPOINT, ANNOTATION_POD_SPEC_HASH, ANNOTATION_SOURCE, KIND_INFO, objectName, selectorLabels, serviceUrl, workloadLabels} from '../names.js'
import {CLIENT_IP_TIMEOUT_SECONDS, ROLLING_UPDATE, podDisruptionBudget, spreadAcrossNodes, withGracefulShutdown} from './serving.js'

/** A rendered Kubernetes object: plain JSON, ready for YAML output or server-side apply. */
export interface KubernetesObject {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    [k: string]: unknown
  }
  [k: string]: unknown
}

export type Json = null | boolean | number | string | Json[] | {[k: string]: Json}
type Obj = Record<string, any>

/** JSON with object keys sorted, so equal values hash equally. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Obj)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((v as Obj)[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}

/** sha256 of the stable JSON, first 16 hex (KAOS's pod-spec-hash convention). */
export function shortHash(v: unknown): string {
  return createHash('sha256').update(stableStringify(v)).digest('hex').slice(0, 16)
}

/** True when an image reference names a fixed version: a digest, or a tag other than `latest`. */
export function isPinnedImage(image: string): boolean {
  if (image.includes('@sha256:')) return true
  const lastSlash = image.lastIndexOf('/')
  const tagAt = image.lastIndexOf(':')
  if (tagAt <= lastSlash) return false
  return image.slice(tagAt + 1) !== 'latest'
}

/** Merge env lists by name; later lists win and keep the first position of the name. */
export function mergeEnv(...lists: Array<EnvVar[] | Obj[] | undefined>): Obj[] {
  const out: Obj[] = []
  const at = new Map<string, number>()
  for (const list of lists) {
    for (const e of list ?? []) {
      const i = at.get(e.name)
      if (i === undefined) {
        at.set(e.name, out.length)
        out.push(e)
      } else out[i] = e
    }
  }
  return out
}

// Strategic-merge-style keys: lists of objects merged by a key rather than replaced.
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  ports: 'name',
  imagePullSecrets: 'name',
}

function mergeList(base: Obj[], over: Obj[], key: string, list?: string): Obj[] {
  const out = base.map((x) => ({...x}))
  for (const item of over) {
    // Ports may be unnamed; fall back to containerPort so `ports` still merges sensibly.
    const k = key === 'name' && item.name === undefined && item.containerPort !== undefined ? 'containerPort' : key
    const i = out.findIndex((b) => b[k] !== undefined && b[k] === item[k])
    // A volume has one source: the document's (a PVC for /data) replaces the rendered emptyDir.
    if (i >= 0) out[i] = deepMerge(list === 'volumes' ? withoutOtherSources(out[i], item) : out[i], item)
    else out.push(stripNulls(item))
  }
  return out
}

/** The base volume without the sources `over` does not give, when `over` gives one. */
function withoutOtherSources(base: Obj, over: Obj): Obj {
  const given = Object.keys(over).filter((k) => k !== 'name' && over[k] !== null)
  if (given.length === 0) return base
  return Object.fromEntries(Object.entries(base).filter(([k]) => k === 'name' || given.includes(k)))
}

const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc']
const LIFECYCLE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'sleep']

/**
 * Objects that take exactly one handler (the API server refuses two). These keys occur nowhere
 * else in a pod spec, so the key alone says what the object is.
 */
export const ONE_HANDLER: Record<string, string[]> = {
  readinessProbe: PROBE_HANDLERS,
  livenessProbe: PROBE_HANDLERS,
  startupProbe: PROBE_HANDLERS,
  postStart: LIFECYCLE_HANDLERS,
  preStop: LIFECYCLE_HANDLERS,
}

/**
 * The base probe or lifecycle handler without the handlers `over` does not give, when `over`
 * gives one: the user's handler replaces the rendered one, the rendered timings stay.
 */
function withoutOtherHandlers(base: Obj, over: Obj, handlers: string[]): Obj {
  const given = handlers.filter((h) => over[h] !== undefined && over[h] !== null)
  if (given.length === 0) return base
  // The handler first, where the runtime's was: the merge fills these keys in place.
  return Object.fromEntries([...given.map((h) => [h, base[h]]), ...Object.entries(base).filter(([k]) => !handlers.includes(k))])
}

/**
 * Merge `over` into `base` the way `kubectl patch --type strategic` would for pod specs:
 * objects merge recursively, named lists (containers, volumes, env, ports…) merge by name,
 * other lists and scalars are replaced, and `null` deletes a field. One difference: a probe or
 * lifecycle handler that names its handler (httpGet, exec…) drops the base's other handler, where
 * a strategic merge keeps both and the API server refuses the container; likewise a volume that
 * names its source replaces the rendered one.
 */
export function deepMerge(base: Obj, over: Obj): Obj {
  const out: Obj = {...base}
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k]
    else if (Array.isArray(v) && Array.isArray(out[k]) && MERGE_KEYS[k]) out[k] = mergeList(out[k], v, MERGE_KEYS[k], k)
    else if (v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' && !Array.isArray(out[k]))
      out[k] = deepMerge(ONE_HANDLER[k] ? withoutOtherHandlers(out[k], v, ONE_HANDLER[k]) : out[k], v)
    else out[k] = stripNulls(v)
  }
  return out
}

/** Drop `null` fields at any depth: in a patch, null means "absent", also in new entries. */
function stripNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map(stripNulls) as T
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, stripNulls(x)])) as T
  return v
}

/** Apply a document's `container` override to the main container (env merged by name). */
export function applyContainerOverride(container: Obj, over: ContainerOverride | undefined): Obj {
  if (!over) return container
  const out = {...container}
  if (over.image) out.image = over.image
  if (over.imagePullPolicy) out.imagePullPolicy = over.imagePullPolicy
  if (over.command) out.command = over.command
  if (over.args) out.args = over.args
  if (over.env) out.env = mergeEnv(container.env, over.env)
  if (over.envFrom) out.envFrom = [...(container.envFrom ?? []), ...over.envFrom]
  if (over.resources) out.resources = over.resources
  return out
}

/** `IfNotPresent` for pinned images (kind-loaded images work), otherwise the cluster default. */
export function pullPolicy(image: string): string | undefined {
  return isPinnedImage(image) ? 'IfNotPresent' : undefined
}

/** Drop undefined fields so YAML output and apply bodies stay clean. */
export function clean<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T
}

export interface WorkloadParts {
  doc: KaosDoc
  namespace: string
  podSpec: Obj
  port: number
  /** Extra pod-template annotations (e.g. a config hash so ConfigMap changes roll the pods). */
  podAnnotations?: Record<string, string>
  annotations?: Record<string, string>
  /** The document recorded in the source annotation, when it must differ from `doc` (secrets redacted). */
  source?: KaosDoc
  /** Path appended to the in-cluster endpoint (the MCP path, e.g. `/mcp`). */
  path?: string
  /** Pin each client IP to one pod (servers that keep sessions in memory, with replicas > 1). */
  clientIPAffinity?: boolean
}

/**
 * The Deployment and Service every kind shares, and with more than one replica a
 * PodDisruptionBudget and a rollout that never lowers capacity (see serving.ts). Pods are spread
 * across nodes. Every pod gets a preStop pause and a grace period so a rollout drops no call in
 * flight. The document's podSpec is merged last and the pod-spec hash is taken over the final
 * template, so any change to what runs rolls the pods.
 */
export function deploymentAndService(p: WorkloadParts): KubernetesObject[] {
  const {doc, namespace} = p
  const name = objectName(doc.kind, doc.metadata.name)
  const labels = workloadLabels(doc.kind, doc.metadata.name, doc.metadata.labels)
  const replicas = doc.spec.replicas ?? 1
  // The spread goes on every pod template, one replica or many: scaling must not roll the pods.
  const base = {...withGracefulShutdown(p.podSpec, KIND_INFO[doc.kind].container), topologySpreadConstraints: spreadAcrossNodes(doc.kind, doc.metadata.name)}
  const podSpec = doc.spec.podSpec ? deepMerge(base, doc.spec.podSpec) : base
  const templateAnnotations = {...p.podAnnotations}
  const hash = shortHash({spec: podSpec, annotations: templateAnnotations})
  // Stored without its namespace (the Deployment's own says where it lives): a document naming
  // its namespace, and the same one given with -n (or fed back from kaos get), are one source.
  const stored = p.source ?? doc
  const {namespace: _where, ...storedMeta} = stored.metadata as typeof stored.metadata & {namespace?: string}
  const source = stableStringify({...stored, metadata: storedMeta})
  const deployment: KubernetesObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace,
      labels,
      annotations: {
        ...doc.metadata.annotations,
        ...p.annotations,
        [ANNOTATION_ENDPOINT]: serviceUrl(doc.kind, doc.metadata.name, namespace, p.port, p.path ?? ''),
        [ANNOTATION_SOURCE]: source,
      },
    },
    spec: {
      replicas,
      selector: {matchLabels: selectorLabels(doc.kind, doc.metadata.name)},
      ...(replicas > 1 ? {strategy: ROLLING_UPDATE} : {}),
      template: {
        metadata: {labels, annotations: {...templateAnnotations, [ANNOTATION_POD_SPEC_HASH]: hash}},
        spec: podSpec,
      },
    },
  }
  const service: KubernetesObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {name, namespace, labels},
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(doc.kind, doc.metadata.name),
      ports: [{name: 'http', port: p.port, targetPort: 'http', protocol: 'TCP'}],
      ...(p.clientIPAffinity ? {sessionAffinity: 'ClientIP', sessionAffinityConfig: {clientIP: {timeoutSeconds: CLIENT_IP_TIMEOUT_SECONDS}}} : {}),
    },
  }
  const pdb = replicas > 1 ? [podDisruptionBudget(doc.kind, doc.metadata.name, namespace, labels)] : []
  return clean([deployment, service, ...pdb])
}

export function httpProbe(path: string, port: string | number = 'http'): Obj {
  return {httpGet: {path, port}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3}
}

/**
 * For servers slow to start (LiteLLM, the agent runtime: heavy Python imports, seconds to a minute
 * on a busy node): liveness waits until this passes once, so a slow start is not taken for a
 * hang and killed, and the pod is Ready as soon as it answers. Up to 3 minutes.
 */
export function startupProbe(path: string, port: string | number = 'http'): Obj {
  return {httpGet: {path, port}, periodSeconds: 2, timeoutSeconds: 5, failureThreshold: 90}
}

export function tcpProbe(port: string | number = 'http'): Obj {
  return {tcpSocket: {port}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3}
}

/** The pod's identity: the given service account, or no API token at all. */
export function podIdentity(serviceAccountName: string | undefined): Obj {
  return serviceAccountName ? {serviceAccountName} : {automountServiceAccountToken: false}
}
