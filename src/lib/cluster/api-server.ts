// Where pods reach the Kubernetes API server: the `kubernetes` Service in `default` (its ClusterIP)
// and the addresses behind it (its EndpointSlices), for NetworkPolicies of runtimes that talk to it.
import type {ApiServerAddresses} from '../render/network-policy.js'
import type {KaosError} from '../errors.js'
import type {Cluster} from './client.js'
import {getObject, listObjects} from './objects.js'

export async function apiServerAddresses(cluster: Cluster): Promise<ApiServerAddresses> {
  // A user whose rights end at their own namespace may not read `default`: say so, do not fail.
  let unreadable: string | undefined
  const forbidden = <T>(fallback: T) => (e: unknown): T => {
    if ((e as KaosError).code !== 'FORBIDDEN') throw e
    unreadable = (e as KaosError).message
    return fallback
  }
  const [svc, slices] = await Promise.all([
    getObject(cluster, 'Service', 'kubernetes', 'default').catch(forbidden(undefined)),
    listObjects(cluster, 'EndpointSlice', {namespace: 'default', labelSelector: 'kubernetes.io/service-name=kubernetes'}).catch(forbidden([] as any[])),
  ])
  const endpoints: ApiServerAddresses['endpoints'] = []
  for (const s of slices) {
    const port = (s.ports ?? []).find((p: any) => (p.name ?? 'https') === 'https' && (p.protocol ?? 'TCP') === 'TCP')?.port
    if (!port) continue
    for (const e of s.endpoints ?? []) for (const ip of e.addresses ?? []) endpoints.push({ip, port})
  }
  const https = (svc?.spec?.ports ?? []).find((p: any) => p.name === 'https') ?? svc?.spec?.ports?.[0]
  return {...(svc?.spec?.clusterIP ? {clusterIP: svc.spec.clusterIP} : {}), ...(https?.port ? {servicePort: https.port} : {}), endpoints, ...(unreadable ? {unreadable} : {})}
}
