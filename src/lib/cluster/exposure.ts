// Where kaos workloads are reachable from outside the cluster: the Ingresses and HTTPRoutes kaos
// rendered for them (`--expose`), read live, with the scheme the cluster serves them on.
import {LABEL_NAME, workloadSelector} from '../names.js'
import type {Kind} from '../kinds.js'
import type {Cluster} from './client.js'
import {getObject, listOwnedKind} from './objects.js'

/** External URL by `namespace/name` of the workload. */
export type ExternalUrls = Map<string, string>

function hostMatches(pattern: string | undefined, host: string): boolean {
  if (!pattern) return true
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && host.split('.').length === pattern.split('.').length
  return pattern === host
}

function url(scheme: 'http' | 'https', host: string, port: number | undefined, path: string): string {
  const std = (scheme === 'https' && port === 443) || (scheme === 'http' && port === 80) || port === undefined
  return `${scheme}://${host}${std ? '' : `:${port}`}${path}`
}

/**
 * The external URL of every exposed workload of `kind` (in one namespace, or all): an Ingress is
 * https when its tls covers the host; an HTTPRoute takes the scheme and port of the first listener
 * of its Gateway that accepts the host (http when the Gateway cannot be read).
 */
export async function externalUrls(cluster: Cluster, kind: Kind, namespace?: string): Promise<ExternalUrls> {
  const labelSelector = workloadSelector(kind)
  const [ingresses, routes] = await Promise.all([listOwnedKind(cluster, 'Ingress', {namespace, labelSelector}), listOwnedKind(cluster, 'HTTPRoute', {namespace, labelSelector})])
  const out: ExternalUrls = new Map()
  for (const ing of ingresses) {
    const rule = ing.spec?.rules?.[0]
    if (!rule?.host) continue
    const tls = (ing.spec?.tls ?? []).some((t: any) => (t.hosts ?? []).includes(rule.host))
    out.set(`${ing.metadata.namespace}/${ing.metadata.labels?.[LABEL_NAME]}`, url(tls ? 'https' : 'http', rule.host, undefined, rule.http?.paths?.[0]?.path ?? '/'))
  }
  const gateways = new Map<string, Promise<any>>()
  await Promise.all(
    routes.map(async (r: any) => {
      const host = r.spec?.hostnames?.[0]
      const parent = r.spec?.parentRefs?.[0]
      if (!host || !parent) return
      const ns = parent.namespace ?? r.metadata.namespace
      const key = `${ns}/${parent.name}`
      if (!gateways.has(key)) gateways.set(key, getObject(cluster, 'Gateway', parent.name, ns).catch(() => undefined))
      const gw = await gateways.get(key)
      const listener = (gw?.spec?.listeners ?? []).find((l: any) => (!parent.sectionName || l.name === parent.sectionName) && ['HTTP', 'HTTPS'].includes(l.protocol) && hostMatches(l.hostname, host))
      const path = r.spec?.rules?.[0]?.matches?.[0]?.path?.value ?? '/'
      out.set(`${r.metadata.namespace}/${r.metadata.labels?.[LABEL_NAME]}`, url(listener?.protocol === 'HTTPS' ? 'https' : 'http', host, listener?.port, path))
    }),
  )
  return out
}
