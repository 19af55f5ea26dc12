// Pure planning of `kaos system create-rbac`: from resolved resources and the flags to the
// ServiceAccount, Roles (or a ClusterRole) and bindings that grant exactly what was asked.
import type {ResolvedResource} from '../cluster/discovery.js'
import {ExitCode, KaosError} from '../errors.js'
import {type KubernetesObject} from '../render/common.js'
import {LABEL_MANAGED_BY, LABEL_RBAC_FOR, LABEL_RBAC_NAMESPACE, MANAGED_BY, objectName} from '../names.js'
import {didYouMean} from '../suggest.js'

/** Resources a Kubernetes MCP server usually reads, used when --resources is not given. Secrets are left out on purpose. */
export const DEFAULT_RESOURCES = ['pods', 'services', 'endpoints', 'configmaps', 'events', 'deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs']
export const READ_VERBS = ['get', 'list', 'watch']
/** Verbs in the order kubectl prints them; anything else sorts after, alphabetically. */
export const STANDARD_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']
/** Verbs some resources support beyond the standard ones (e.g. `use` on podsecuritypolicies, `bind` on roles). */
const SPECIAL_VERBS = ['use', 'bind', 'escalate', 'impersonate', 'approve', 'sign', 'proxy']

/** Labels that mark everything create-rbac makes for one service account, so re-runs can prune. */

export interface RbacRequest {
  /** MCPServer name; the service account is `mcpserver-NAME`. */
  name: string
  /** Namespace of the service account (and of the MCPServer). */
  namespace: string
  /** Namespaces it gets rights in (default: its own). Ignored with clusterWide. */
  namespaces?: string[]
  resources: ResolvedResource[]
  /** Verbs asked for (default get, list, watch). */
  verbs?: string[]
  readOnly?: boolean
  clusterWide?: boolean
  /** pods/log resolved through discovery, added by --read-only (when the cluster serves it). */
  podsLog?: ResolvedResource
}

export interface PolicyRule {
  apiGroups: string[]
  resources: string[]
  verbs: string[]
}

export interface RbacPlan {
  serviceAccountName: string
  namespace: string
  scope: 'namespaces' | 'cluster'
  /** Namespaces with a Role and RoleBinding (empty when cluster-wide). */
  namespaces: string[]
  rules: PolicyRule[]
  /** ServiceAccount first, then roles before their bindings. */
  objects: KubernetesObject[]
  warnings: string[]
}

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

function bad(message: string, suggestions: string[] = []): KaosError {
  return new KaosError(message, {exit: ExitCode.INVALID_INPUT, suggestions})
}

/** Split a comma list flag (possibly repeated): `a,b` `c` → [a, b, c], trimmed, de-duplicated. */
export function splitList(values: string[] | string | undefined): string[] {
  const list = (Array.isArray(values) ? values : values === undefined ? [] : [values]).flatMap((v) => v.split(','))
  return [...new Set(list.map((v) => v.trim()).filter(Boolean))]
}

export function verbOrder(a: string, b: string): number {
  const ia = STANDARD_VERBS.indexOf(a)
  const ib = STANDARD_VERBS.indexOf(b)
  if (ia !== -1 || ib !== -1) return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib)
  return a.localeCompare(b)
}

/** Check the verbs asked for; wildcards and unknown verbs are errors. */
export function validateVerbs(verbs: string[], resources: ResolvedResource[], readOnly: boolean): string[] {
  const known = new Set([...STANDARD_VERBS, ...SPECIAL_VERBS, ...resources.flatMap((r) => r.verbs)])
  for (const v of verbs) {
    if (v.includes('*')) throw bad(`verb "${v}": wildcards are not granted by kaos; list the verbs`, ['e.g. --verbs get,list,watch'])
    if (!known.has(v)) {
      const guess = didYouMean(v, known)
      throw bad(`unknown verb "${v}".${guess ? ` Did you mean "${guess}"?` : ''}`, [`Known verbs: ${STANDARD_VERBS.join(', ')}`])
    }
  }
  if (readOnly) {
    const writes = verbs.filter((v) => !READ_VERBS.includes(v))
    if (writes.length > 0) throw bad(`--read-only grants only get, list and watch; it cannot be combined with --verbs ${writes.join(',')}`, ['Drop --read-only, or the write verbs.'])
  }
  return [...new Set(verbs)].sort(verbOrder)
}

function checkName(what: string, value: string): void {
  if (!NAME_RE.test(value) || value.length > 63) throw bad(`${what} "${value}" is not a valid name: lowercase letters, digits and "-", at most 63 characters`)
}

/** Name of a Role/RoleBinding in `target` for a service account of `saNamespace`. */
export function roleName(name: string, saNamespace: string, target?: string): string {
  const sa = objectName('MCPServer', name)
  return target === saNamespace ? sa : `kaos:${saNamespace}:${sa}`
}

/**
 * Plan the objects: a ServiceAccount `mcpserver-NAME`, then per target namespace a Role and a
 * RoleBinding (or one ClusterRole and ClusterRoleBinding with clusterWide). Each resource gets
 * the asked verbs it supports; rules with the same group and verbs are merged. `--read-only`
 * adds `get` on pods/log.
 */
export function planRbac(req: RbacRequest): RbacPlan {
  checkName('MCPServer name', req.name)
  checkName('namespace', req.namespace)
  const warnings: string[] = []
  const clusterWide = Boolean(req.clusterWide)
  if (clusterWide && req.namespaces && req.namespaces.length > 0) throw bad('--cluster-wide and --namespaces cannot be combined', ['Grant in some namespaces with --namespaces, or everywhere with --cluster-wide.'])
  const namespaces = clusterWide ? [] : [...new Set(req.namespaces && req.namespaces.length > 0 ? req.namespaces : [req.namespace])].sort()
  for (const ns of namespaces) checkName('namespace', ns)
  if (req.resources.length === 0) throw bad('no resources to grant', ['Pass --resources, e.g. --resources pods,services.'])
  const verbs = validateVerbs(req.verbs && req.verbs.length > 0 ? req.verbs : READ_VERBS, req.resources, Boolean(req.readOnly))

  // group → verbs-key → resources
  const grants = new Map<string, {group: string; verbs: string[]; resources: Set<string>}>()
  const grant = (group: string, resource: string, v: string[]) => {
    const key = `${group}\u0000${v.join(',')}`
    const g = grants.get(key) ?? {group, verbs: v, resources: new Set<string>()}
    g.resources.add(resource)
    grants.set(key, g)
  }
  const seen = new Map<string, string[]>()
  const all = [...req.resources]
  if (req.readOnly && req.podsLog && !all.some((r) => r.group === '' && r.name === 'pods/log')) all.push({...req.podsLog, input: 'pods/log'})
  for (const r of all) {
    if (!r.namespaced && !clusterWide)
      throw bad(`resource "${r.input}" (${r.name}${r.group ? `.${r.group}` : ''}) is cluster-scoped: a namespace Role cannot grant it`, ['Add --cluster-wide to grant it through a ClusterRole.'])
    const isPodsLog = r.group === '' && r.name === 'pods/log'
    const want = isPodsLog && req.readOnly ? ['get'] : verbs
    const supported = r.verbs.length > 0 ? want.filter((v) => r.verbs.includes(v)) : want
    if (supported.length === 0)
      throw bad(`resource "${r.input}" supports none of the verbs asked (${want.join(', ')}); it supports ${r.verbs.sort(verbOrder).join(', ')}`)
    const dropped = want.filter((v) => !supported.includes(v))
    if (dropped.length > 0 && !(isPodsLog && req.readOnly)) warnings.push(`resource "${r.input}" does not support ${dropped.join(', ')}; granting only ${supported.join(', ')} on it`)
    const key = `${r.group}/${r.name}`
    const prev = seen.get(key)
    if (prev) {
      // The same resource named twice (e.g. deploy and deployments): merge the verbs.
      const merged = [...new Set([...prev, ...supported])].sort(verbOrder)
      seen.set(key, merged)
    } else seen.set(key, supported)
  }
  for (const [key, v] of seen) {
    const slash = key.indexOf('/')
    grant(key.slice(0, slash), key.slice(slash + 1), v)
  }
  const rules: PolicyRule[] = [...grants.values()]
    .map((g) => ({apiGroups: [g.group], resources: [...g.resources].sort(), verbs: g.verbs}))
    .sort((a, b) => a.apiGroups[0].localeCompare(b.apiGroups[0]) || a.resources[0].localeCompare(b.resources[0]) || a.verbs.join(',').localeCompare(b.verbs.join(',')))

  const sa = objectName('MCPServer', req.name)
  const labels = {[LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_RBAC_FOR]: sa, [LABEL_RBAC_NAMESPACE]: req.namespace}
  const subject = {kind: 'ServiceAccount', name: sa, namespace: req.namespace}
  const objects: KubernetesObject[] = [{apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: sa, namespace: req.namespace, labels}}]
  const rbacApi = 'rbac.authorization.k8s.io/v1'
  if (clusterWide) {
    const n = roleName(req.name, req.namespace)
    objects.push(
      {apiVersion: rbacApi, kind: 'ClusterRole', metadata: {name: n, labels}, rules},
      {apiVersion: rbacApi, kind: 'ClusterRoleBinding', metadata: {name: n, labels}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: n}, subjects: [subject]},
    )
  } else {
    for (const ns of namespaces) {
      const n = roleName(req.name, req.namespace, ns)
      objects.push(
        {apiVersion: rbacApi, kind: 'Role', metadata: {name: n, namespace: ns, labels}, rules},
        {apiVersion: rbacApi, kind: 'RoleBinding', metadata: {name: n, namespace: ns, labels}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: n}, subjects: [subject]},
      )
    }
  }
  return {serviceAccountName: sa, namespace: req.namespace, scope: clusterWide ? 'cluster' : 'namespaces', namespaces, rules, objects, warnings}
}
