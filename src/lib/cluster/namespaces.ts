import {setTimeout as sleep} from 'node:timers/promises'

import {ExitCode, KaosError, namespaceTerminating} from '../errors.js'
import {FIELD_MANAGER, LABEL_MANAGED_BY, MANAGED_BY} from '../names.js'
import type {Cluster} from './client.js'
import {getObject} from './objects.js'
import {objectPath} from './paths.js'

/** The Namespace object, or undefined. */
export async function getNamespace(cluster: Cluster, name: string): Promise<any | undefined> {
  return getObject(cluster, 'Namespace', name)
}

/**
 * Which of the namespaces do not exist (checked together). One that is being deleted is an error
 * here: nothing can be written into it, and creating it again must wait until it is gone.
 */
export async function missingNamespaces(cluster: Cluster, names: string[]): Promise<string[]> {
  const found = await Promise.all(names.map((n) => getNamespace(cluster, n)))
  const terminating = found.find((ns) => ns?.metadata?.deletionTimestamp || ns?.status?.phase === 'Terminating')
  if (terminating) throw namespaceTerminating(terminating.metadata.name)
  return names.filter((_, i) => !found[i])
}

/** Create a namespace labelled as kaos's (server-side apply). */
export async function createNamespace(cluster: Cluster, namespace: string): Promise<void> {
  await cluster.request('PATCH', objectPath('Namespace', namespace), {
    body: {apiVersion: 'v1', kind: 'Namespace', metadata: {name: namespace, labels: {[LABEL_MANAGED_BY]: MANAGED_BY}}},
    contentType: 'application/apply-patch+yaml',
    query: {fieldManager: FIELD_MANAGER, fieldValidation: 'Strict'},
  })
}

/** Poll until the object at `path` is gone. */
export async function waitNamespaceGone(cluster: Cluster, ns: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (await getNamespace(cluster, ns)) {
    if (Date.now() > deadline)
      throw new KaosError(`timed out waiting for namespace ${ns} to be deleted`, {
        exit: ExitCode.WAIT_TIMEOUT,
        suggestions: ['Namespaces go only when everything in them is gone; check `kubectl get all -n NAMESPACE`.'],
      })
    await sleep(1000)
  }
}
