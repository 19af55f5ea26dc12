// Secrets and ConfigMaps the rendered pods need but do not create: checked before applying, so a
// missing key is one clear error instead of a pod stuck in CreateContainerConfigError.
import type {KaosDoc} from '../documents.js'
import {ExitCode, KaosError} from '../errors.js'
import {LABEL_NAME} from '../names.js'
import type {Registry} from '../registry.js'
import type {KubernetesObject} from '../render/common.js'
import type {Cluster} from './client.js'
import {getObject} from './objects.js'

export interface Ref {
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

/** A referenced Secret or ConfigMap that is not there: exit 8 with the commands that make it. */
export function missingReference(r: Ref, newNamespace = false): KaosError {
  const create = `kubectl create ${r.kind.toLowerCase()} ${r.kind === 'Secret' ? 'generic ' : ''}${r.name} -n ${r.namespace} --from-literal=…`
  return new KaosError(`${r.kind} "${r.name}" in namespace "${r.namespace}" does not exist (needed by ${r.usedBy})${newNamespace ? '; nor does the namespace yet' : ''}`, {
    exit: ExitCode.NOT_FOUND,
    suggestions: [
      newNamespace
        ? `Create both first (kubectl create namespace ${r.namespace}, then ${create}), or pass --skip-secret-check.`
        : `Create it first (${create}), or pass --skip-secret-check.`,
    ],
    data: r,
  })
}

/**
 * Check that referenced Secrets/ConfigMaps and keys exist, and that runtimes' requiredEnv are
 * provided by envFrom sources when not set directly. Missing → exit 8 with the reference.
 */
export async function checkReferences(cluster: Cluster, objects: KubernetesObject[], docs: KaosDoc[], registry: Registry, warnings: string[]): Promise<void> {
  const refs = referencedConfig(objects)
  // One GET per object, shared by every reference to it (they are fetched together).
  const cache = new Map<string, Promise<Record<string, string> | null>>()
  const fetch = (r: {kind: string; name: string; namespace: string}) => {
    const k = `${r.kind}/${r.namespace}/${r.name}`
    if (!cache.has(k)) cache.set(k, getObject<{data?: Record<string, string>}>(cluster, r.kind, r.name, r.namespace).then((obj) => (obj ? {...obj.data} : null)))
    return cache.get(k)!
  }
  try {
    // Fetched together; reported in order.
    await Promise.all(refs.map((r) => fetch(r)))
    for (const r of refs) {
      const data = await fetch(r)
      if (!data) throw missingReference(r)
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
      const ns = objects.find((o) => o.kind === 'Deployment' && o.metadata.labels?.[LABEL_NAME] === d.metadata.name)?.metadata.namespace ?? 'default'
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
