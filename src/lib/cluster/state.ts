import {randomBytes} from 'node:crypto'

import type {KaosDoc} from '../documents.js'
import {ExitCode, KaosError} from '../errors.js'
import {type Registry, type RegistrySource, parseRegistryYaml} from '../registry.js'
import {AUTH_SECRET_KEY, type KubernetesObject, authSecretName} from '../render/index.js'
import type {Cluster} from './client.js'
import {objectPath} from './resources.js'

export const REGISTRY_CONFIGMAP = 'kaos-mcp-runtimes'
export const REGISTRY_KEY = 'runtimes.yaml'

/**
 * The in-cluster registry ConfigMap as a registry source, or none when it is absent. Not being
 * allowed to read it is not fatal: the user still has the built-in and file runtimes.
 */
export async function clusterRegistrySource(cluster: Cluster, systemNamespace: string, warnings: string[]): Promise<RegistrySource[]> {
  try {
    const cm = await cluster.get<{data?: Record<string, string>}>(objectPath('ConfigMap', REGISTRY_CONFIGMAP, systemNamespace))
    const text = cm?.data?.[REGISTRY_KEY]
    if (!text) return []
    return [parseRegistryYaml(text, `cluster:${systemNamespace}/${REGISTRY_CONFIGMAP}`)]
  } catch (error) {
    if ((error as KaosError).code === 'FORBIDDEN') {
      warnings.push(`cannot read the runtime registry ConfigMap ${systemNamespace}/${REGISTRY_CONFIGMAP} (forbidden); using local runtimes only`)
      return []
    }
    throw error
  }
}

/** Fail with a hint unless the namespace exists (or create it when asked). Returns whether it was created. */
export async function ensureNamespace(cluster: Cluster, namespace: string, create: boolean, dryRun: boolean): Promise<boolean> {
  const ns = await cluster.get(objectPath('Namespace', namespace))
  if (ns) return false
  if (!create)
    throw new KaosError(`namespace "${namespace}" does not exist`, {
      exit: ExitCode.NOT_FOUND,
      suggestions: ['Add --create-namespace to create it, or pick another with -n.'],
    })
  if (dryRun) return false
  await cluster.request('PATCH', objectPath('Namespace', namespace), {
    body: {apiVersion: 'v1', kind: 'Namespace', metadata: {name: namespace, labels: {'app.kubernetes.io/managed-by': 'kaos'}}},
    contentType: 'application/apply-patch+yaml',
    query: {fieldManager: 'kaos', fieldValidation: 'Strict'},
  })
  return true
}

/**
 * Bearer tokens for MCPServers whose runtime declares `auth`: the one already in the cluster's
 * Secret (so redeploys do not rotate it and roll the pods), else a new random one.
 */
export async function authTokens(cluster: Cluster, docs: KaosDoc[], registry: Registry, namespaceOf: (d: KaosDoc) => string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const d of docs) {
    if (d.kind !== 'MCPServer') continue
    const rt = registry.runtimes.get(d.spec.runtime)
    if (!rt?.auth || d.spec.container?.env?.some((e) => e.name === rt.auth!.tokenEnv)) continue
    const s = await cluster.get<{data?: Record<string, string>}>(objectPath('Secret', authSecretName(d.metadata.name), namespaceOf(d)))
    const existing = s?.data?.[AUTH_SECRET_KEY]
    out[d.metadata.name] = existing ? Buffer.from(existing, 'base64').toString('utf8') : randomBytes(24).toString('base64url')
  }
  return out
}

interface Ref {
  kind: 'Secret' | 'ConfigMap'
  name: string
  key?: string
  namespace: string
  usedBy: string
}

/** Every Secret/ConfigMap (and key) the rendered pods reference and do not create themselves. */
export function referencedConfig(objects: KubernetesObject[]): Ref[] {
  const refs: Ref[] = []
  for (const o of objects) {
    if (o.kind !== 'Deployment') continue
    const ns = o.metadata.namespace!
    const spec = (o as any).spec.template.spec
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      const usedBy = `${o.metadata.name}/${c.name}`
      for (const e of c.env ?? []) {
        const s = e.valueFrom?.secretKeyRef
        const m = e.valueFrom?.configMapKeyRef
        if (s && !s.optional) refs.push({kind: 'Secret', name: s.name, key: s.key, namespace: ns, usedBy: `${usedBy} env ${e.name}`})
        if (m && !m.optional) refs.push({kind: 'ConfigMap', name: m.name, key: m.key, namespace: ns, usedBy: `${usedBy} env ${e.name}`})
      }
      for (const ef of c.envFrom ?? []) {
        if (ef.secretRef && !ef.secretRef.optional) refs.push({kind: 'Secret', name: ef.secretRef.name, namespace: ns, usedBy: `${usedBy} envFrom`})
        if (ef.configMapRef && !ef.configMapRef.optional) refs.push({kind: 'ConfigMap', name: ef.configMapRef.name, namespace: ns, usedBy: `${usedBy} envFrom`})
      }
    }
    for (const v of spec.volumes ?? []) {
      if (v.secret && !v.secret.optional) refs.push({kind: 'Secret', name: v.secret.secretName, namespace: ns, usedBy: `${o.metadata.name} volume ${v.name}`})
      if (v.configMap && !v.configMap.optional) refs.push({kind: 'ConfigMap', name: v.configMap.name, namespace: ns, usedBy: `${o.metadata.name} volume ${v.name}`})
    }
  }
  const created = new Set(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`))
  return refs.filter((r) => !created.has(`${r.kind}/${r.namespace}/${r.name}`))
}

/**
 * Check that referenced Secrets/ConfigMaps and keys exist, and that runtimes' requiredEnv are
 * provided by envFrom sources when not set directly. Missing → exit 8 with the reference.
 */
export async function checkReferences(cluster: Cluster, objects: KubernetesObject[], docs: KaosDoc[], registry: Registry, warnings: string[]): Promise<void> {
  const refs = referencedConfig(objects)
  const cache = new Map<string, Record<string, string> | null>()
  const fetch = async (r: {kind: string; name: string; namespace: string}) => {
    const k = `${r.kind}/${r.namespace}/${r.name}`
    if (!cache.has(k)) {
      const obj = await cluster.get<{data?: Record<string, string>; stringData?: Record<string, string>}>(objectPath(r.kind, r.name, r.namespace))
      cache.set(k, obj ? {...obj.data} : null)
    }
    return cache.get(k)!
  }
  try {
    for (const r of refs) {
      const data = await fetch(r)
      if (!data)
        throw new KaosError(`${r.kind} "${r.name}" in namespace "${r.namespace}" does not exist (needed by ${r.usedBy})`, {
          exit: ExitCode.NOT_FOUND,
          suggestions: [`Create it first (kubectl create ${r.kind.toLowerCase()} ${r.kind === 'Secret' ? 'generic ' : ''}${r.name} -n ${r.namespace} --from-literal=…), or pass --skip-secret-check.`],
          data: r,
        })
      if (r.key && !(r.key in data))
        throw new KaosError(`${r.kind} "${r.name}" in namespace "${r.namespace}" has no key "${r.key}" (needed by ${r.usedBy})`, {
          exit: ExitCode.NOT_FOUND,
          suggestions: [`Add the key, or pass --skip-secret-check.`],
          data: r,
        })
    }
    // requiredEnv satisfied only through envFrom: the keys must be in one of those sources.
    for (const d of docs) {
      if (d.kind !== 'MCPServer') continue
      const rt = registry.runtimes.get(d.spec.runtime)
      const direct = new Set((d.spec.container?.env ?? []).map((e) => e.name))
      const missing = (rt?.requiredEnv ?? []).filter((n) => !direct.has(n))
      if (missing.length === 0) continue
      const ns = objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['kaos.tools/name'] === d.metadata.name)?.metadata.namespace ?? 'default'
      const provided = new Set<string>()
      for (const ef of d.spec.container?.envFrom ?? []) {
        const src = ef.secretRef ? {kind: 'Secret', name: ef.secretRef.name} : ef.configMapRef ? {kind: 'ConfigMap', name: ef.configMapRef.name} : undefined
        const data = src ? await fetch({...src, namespace: ns}) : null
        for (const key of Object.keys(data ?? {})) provided.add(`${ef.prefix ?? ''}${key}`)
      }
      const still = missing.filter((n) => !provided.has(n))
      if (still.length > 0)
        throw new KaosError(`MCPServer "${d.metadata.name}": runtime "${d.spec.runtime}" requires env ${still.join(', ')}, which neither spec.container.env nor its envFrom sources provide`, {
          exit: ExitCode.NOT_FOUND,
          suggestions: ['Add the keys to the Secret, or set them with --env / --secret-env.'],
        })
    }
  } catch (error) {
    if ((error as KaosError).code === 'FORBIDDEN') {
      warnings.push(`could not check referenced Secrets: ${(error as Error).message}`)
      return
    }
    throw error
  }
}
