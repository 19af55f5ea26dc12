// The namespace a deploy would use, found without the network: a client dry run must render
// exactly what a deploy applies, and a deploy uses -n, else the kubeconfig context's namespace,
// else `default`.
import {existsSync} from 'node:fs'

import type {ConnectOptions} from './client.js'
import {kubeconfigFiles, loadKubeconfig, resolveTarget} from './kubeconfig.js'
import {checkNamespace} from './paths.js'

/** Whether any kubeconfig (or an in-cluster service account) is there to be read. */
export function hasKubeconfig(opts: ConnectOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  if (opts.kubeconfig || opts.context) return true
  if (kubeconfigFiles(undefined, env).files.length > 0) return true
  return Boolean(env.KUBERNETES_SERVICE_HOST) && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')
}

/**
 * -n (checked), else kaos's config's namespace, else the current (or --context) context's namespace, else `default`. With
 * --kubeconfig or --context, a broken kubeconfig or an unknown context fails as it would in a
 * deploy; a default kubeconfig that cannot be used gives `default` and a warning, and no
 * kubeconfig at all gives `default`: an offline render needs no cluster.
 */
export function offlineNamespace(opts: ConnectOptions, env: NodeJS.ProcessEnv = process.env): {namespace: string; namespaceExplicit: boolean; warning?: string} {
  if (opts.namespace) return {namespace: checkNamespace(opts.namespace, 'namespace'), namespaceExplicit: true}
  if (opts.defaultNamespace) return {namespace: checkNamespace(opts.defaultNamespace, 'the namespace of kaos\'s config'), namespaceExplicit: false}
  if (!hasKubeconfig(opts, env)) return {namespace: 'default', namespaceExplicit: false}
  let target: ReturnType<typeof resolveTarget>
  try {
    target = resolveTarget(loadKubeconfig({kubeconfig: opts.kubeconfig, env}), opts.context)
  } catch (error) {
    if (opts.kubeconfig || opts.context) throw error
    return {namespace: 'default', namespaceExplicit: false, warning: `rendering for namespace "default": ${(error as Error).message}`}
  }
  return {namespace: checkNamespace(target.namespace || 'default', `the namespace of context "${target.context}"`), namespaceExplicit: false}
}
