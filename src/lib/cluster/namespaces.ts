import {setTimeout as sleep} from 'node:timers/promises'

import {ExitCode, KaosError} from '../errors.js'
import {FIELD_MANAGER, LABEL_MANAGED_BY, MANAGED_BY} from '../names.js'
import type {Cluster} from './client.js'
import {getObject} from './objects.js'
import {objectPath} from './paths.js'

/** The Namespace object, or undefined. */
export async function getNamespace(cluster: Cluster, name: string): Promise<any | undefined> {
  return getObject(cluster, 'Namespace', name)
}

/** Which of the namespaces do not exist (checked together). */
export async function missingNamespaces(cluster: Cluster, names: string[]): Promise<string[]> {
  const found = await Promise.all(names.map((n) => getNamespace(cluster, n)))
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

/**
 * Fail with a hint unless every namespace exists, or create the missing ones when asked (not on a
 * dry run). Returns the namespaces it created.
 */
export async function ensureNamespaces(cluster: Cluster, namespaces: string[], create: boolean, dryRun: boolean): Promise<string[]> {
  const missing = await missingNamespaces(cluster, namespaces)
  if (missing.length === 0) return []
  if (!create)
    throw new KaosError(`namespace "${missing[0]}" does not exist`, {
      exit: ExitCode.NOT_FOUND,
      suggestions: ['Add --create-namespace to create it, or pick another with -n.'],
    })
  if (dryRun) return []
  await Promise.all(missing.map((ns) => createNamespace(cluster, ns)))
  return missing
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
