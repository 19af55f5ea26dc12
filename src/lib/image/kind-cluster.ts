// Which kind cluster `--kind-load` loads into when --kind-cluster is not given. kind's own default
// ("kind") is wrong for anyone who named their cluster, which the error it then gave
// (`kind cluster "kind" does not exist`) made every such user type out by hand.
import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

import type {KindRunner} from './docker.js'
import {kindClusterName} from './project.js'

export interface KindClusterChoice {
  cluster: string
  /** Why this one, for the stderr note: `--kind-cluster`, `the current kube context kind-dev`, … */
  from: string
}

/**
 * --kind-cluster; else the kind cluster of the kube context (a `kind-NAME` context, else the
 * context's nodes' providerID kind://…/NAME, asked only when kind has several clusters); else the
 * only kind cluster; else "kind". A failing `kind get clusters` falls through to "kind", whose load
 * then says what is wrong with kind.
 */
export async function chooseKindCluster(opts: {
  flag?: string
  context?: string
  kubeconfig?: string
  run?: KindRunner
  /** The kind cluster of the context's nodes, when the cluster answers; the default asks it. */
  nodesCluster?: () => Promise<string | undefined>
}): Promise<KindClusterChoice> {
  if (opts.flag) return {cluster: opts.flag, from: '--kind-cluster'}
  const kubeconfig = opts.kubeconfig ?? process.env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config')
  const kubeconfigText = existsSync(kubeconfig) ? readFileSync(kubeconfig, 'utf8') : undefined
  const byContext = kindClusterName({context: opts.context, kubeconfigText})
  if (byContext.from !== "kind's default") return byContext
  let clusters: string[]
  try {
    const run = opts.run ?? (await import('./docker.js')).runKind
    clusters = (await run(['get', 'clusters'])).stdout.split('\n').map((l) => l.trim()).filter(Boolean)
  } catch {
    return byContext
  }
  if (clusters.length === 1) return {cluster: clusters[0], from: 'the only kind cluster'}
  if (clusters.length > 1) {
    const ofNodes = await (opts.nodesCluster ?? (() => nodesKindCluster(opts.kubeconfig, opts.context)))().catch(() => undefined)
    if (ofNodes && clusters.includes(ofNodes)) return {cluster: ofNodes, from: "the kube context's nodes"}
  }
  return byContext
}

/** One node list from the context's cluster, bounded: a cluster that does not answer soon is no hint. */
async function nodesKindCluster(kubeconfig?: string, context?: string): Promise<string | undefined> {
  const [{Cluster}, {listNodeImages, kindClusterOf}] = await Promise.all([import('../cluster/client.js'), import('../cluster/nodes.js')])
  const cluster = Cluster.connect({kubeconfig, context, retries: 0, requestTimeoutMs: 3000, deadline: AbortSignal.timeout(4000)})
  return kindClusterOf(await listNodeImages(cluster))
}
