// Registries on the user's machine that a cluster can nonetheless pull from: kind's local-registry
// recipe (and other local clusters following KEP-1755) say so in kube-public's
// `local-registry-hosting` ConfigMap.
import type {Cluster} from './client.js'
import {getObject} from './objects.js'

/** The hosts the ConfigMap advertises (`host`, `hostFromContainerRuntime`); none when it is absent or unreadable. */
export async function advertisedLocalRegistryHosts(cluster: Cluster): Promise<string[]> {
  try {
    const cm = await getObject<{data?: Record<string, string>}>(cluster, 'ConfigMap', 'local-registry-hosting', 'kube-public')
    const text = cm?.data?.['localRegistryHosting.v1'] ?? ''
    return [...text.matchAll(/^\s*(?:host|hostFromContainerRuntime):\s*["']?([^"'\s#]+)/gm)].map((m) => m[1])
  } catch {
    return []
  }
}
