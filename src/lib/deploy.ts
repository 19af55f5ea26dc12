import {setMaxListeners} from 'node:events'

import {type AppliedObject, applyAll, applyObject, readLive, refOf, validateAll} from './cluster/apply.js'
import {apiServerAddresses} from './cluster/api-server.js'
import {authTokens} from './cluster/auth-tokens.js'
import {Cluster} from './cluster/client.js'
import {createNamespace, missingNamespaces} from './cluster/namespaces.js'
import {type ObjectRef, deleteObject} from './cluster/objects.js'
import {inventoryCandidates, listPruneCandidates, prunable} from './cluster/prune.js'
import {checkReferences, missingReference, referencedConfig} from './cluster/references.js'
import {clusterRegistrySource} from './cluster/registry-configmap.js'
import {type WaitResult, waitForDeployments} from './cluster/wait.js'
import {checkGatewayServices, readStoredCatalog} from './catalog-store.js'
import {gatewayChecksFor} from './gateway-checks.js'
import {getWorkloadDeployment} from './cluster/workloads.js'
import {dependencyLayers, referencesOutside} from './dependencies.js'
import {type AnyDoc, type KaosDoc, docLabel, isWorkloadDoc} from './documents.js'
import {ExitCode, KaosError} from './errors.js'
import {TOPIC_OF} from './kinds.js'
import {checkImages} from './image-preflight.js'
import {parseDuration} from './duration.js'
import {checkRenderedObjects} from './k8s-schema.js'
import {ANNOTATION_ENDPOINT, LABEL_KIND, LABEL_NAME, podSelector} from './names.js'
import type {Registry, RegistrySource} from './registry.js'
import {type KubernetesObject, namespaceFor, render, sortForApply, plainObjects} from './render/index.js'
import {egressOf} from './serving.js'
import {type McpVerification, verifyMcpServer} from './verify.js'

/** Whether a document's NetworkPolicy must let its server reach the API server. */
function needsApiServer(docs: KaosDoc[], registry: Registry): boolean {
  return docs.some((d) => {
    if (d.kind !== 'MCPServer' || !(d.spec.networkPolicy ?? registry.defaults.networkPolicy)) return false
    const rt = registry.runtimes.get(d.spec.runtime)
    const {egress} = rt ? egressOf(d, rt) : {egress: 'any' as const}
    return typeof egress === 'object' && egress.apiServer
  })
}

/** Time allowed after --timeout to explain a timeout (the pods' events and logs). */
export const REPORT_GRACE_MS = 2000

export interface DeployOptions {
  kubeconfig?: string
  context?: string
  namespace?: string
  requestTimeoutMs?: number
  systemNamespace: string
  dryRun?: 'server'
  wait?: boolean
  /** With wait: check that each Ready pod of an MCPServer answers MCP (default true). */
  verify?: boolean
  timeout?: string
  forceConflicts?: boolean
  createNamespace?: boolean
  skipSecretCheck?: boolean
  skipImageCheck?: boolean
  /** Stored catalog documents gateways must not select (ones being deleted): `Kind/namespace/name`. */
  withoutStored?: string[]
  /**
   * A document naming a workload that is neither in the input nor in the cluster (an agent's
   * model API, MCP servers, peers): `error` stops before anything is applied (`kaos apply`, which
   * has the whole set), `warn` deploys anyway (`kaos agent deploy`: one kind at a time, in any
   * order), `skip` does not look.
   */
  missingDependencies?: 'error' | 'warn' | 'skip'
  /**
   * Plain objects applied before the documents' own: Namespaces (created first, so the rest has
   * somewhere to go) and objects a sample brings (its Secret, its RBAC).
   */
  plain?: KubernetesObject[]
}

export interface DeployHooks {
  /** Build the registry with the cluster's ConfigMap source (the command adds plugins). */
  registry: (cluster: RegistrySource[]) => Promise<Registry>
  progress?: (message: string) => void
  /** Runs once everything is validated, before the first write (a delete that goes with this deploy). */
  beforeApply?: () => Promise<void>
}

export interface DeployOutcome {
  dryRun?: 'server'
  namespace: string
  objects: KubernetesObject[]
  applied: AppliedObject[]
  pruned: ObjectRef[]
  warnings: string[]
  ready?: WaitResult[]
  /** MCPServers whose Ready pods answered initialize and tools/list (with wait and verify). */
  verified?: McpVerification[]
}

/** The port in a workload's endpoint annotation (`http://modelapi-x.ns.svc.cluster.local:11434`). */
function endpointPort(d: any): number | undefined {
  try {
    const port = new URL(d?.metadata?.annotations?.[ANNOTATION_ENDPOINT] ?? '').port
    return port ? Number(port) : undefined
  } catch {
    return undefined
  }
}

/**
 * The workloads the documents name that are not in the input, looked up in the cluster (together).
 * Those found give their ports to the render (an agent's MODEL_API_URL must say 11434 for a
 * hosted model API); those missing are an error or a warning, as `mode` says.
 */
async function outsideDependencies(cluster: Cluster, docs: KaosDoc[], namespaceOf: (d: KaosDoc) => string, mode: 'error' | 'warn', warnings: string[]) {
  const refs = referencesOutside(docs, namespaceOf)
  const targets = [...new Map(refs.map((r) => [`${r.kind}/${r.namespace}/${r.name}`, r])).values()]
  const found = await Promise.all(targets.map((r) => getWorkloadDeployment(cluster, r.kind, r.name, r.namespace)))
  const live = new Map(targets.map((r, i) => [`${r.kind}/${r.namespace}/${r.name}`, found[i]]))
  const ports = {modelAPIPorts: {} as Record<string, number>, mcpServerPorts: {} as Record<string, number>}
  for (const r of refs) {
    const d = live.get(`${r.kind}/${r.namespace}/${r.name}`)
    if (d) {
      const port = endpointPort(d)
      if (port && r.kind === 'ModelAPI') ports.modelAPIPorts[r.name] = port
      if (port && r.kind === 'MCPServer') ports.mcpServerPorts[r.name] = port
      continue
    }
    const text = `${docLabel(r.from)}: ${r.field} names ${r.kind} "${r.name}", which is neither in the input nor in namespace "${r.namespace}"`
    if (mode === 'warn') warnings.push(`${text}; it will not be reachable until you deploy it`)
    else
      throw new KaosError(text, {
        exit: ExitCode.NOT_FOUND,
        suggestions: [`Add the ${r.kind} to the input, deploy it first (\`kaos ${TOPIC_OF[r.kind]} deploy\`), or pass --skip-dependency-check.`],
        data: {from: {kind: r.from.kind, name: r.from.metadata.name}, field: r.field, missing: {kind: r.kind, name: r.name, namespace: r.namespace}},
      })
  }
  return ports
}

/** Which layer each object is applied in: plain objects first, then the documents' layers. */
function objectLayers(objects: KubernetesObject[], layers: KaosDoc[][], namespaceOf: (d: KaosDoc) => string): KubernetesObject[][] {
  const layerOf = new Map<string, number>()
  layers.forEach((docs, i) => {
    for (const d of docs) layerOf.set(`${d.kind}/${namespaceOf(d)}/${d.metadata.name}`, i + 1)
  })
  const out: KubernetesObject[][] = Array.from({length: layers.length + 1}, () => [])
  for (const o of objects) {
    const l = o.metadata.labels ?? {}
    out[layerOf.get(`${l[LABEL_KIND]}/${o.metadata.namespace}/${l[LABEL_NAME]}`) ?? 0].push(o)
  }
  return out.filter((l) => l.length > 0)
}

/**
 * Deploy documents of any kinds (and the plain objects given with them): registry (with the
 * cluster ConfigMap), namespaces, the workloads the documents name, token reuse, render, reference
 * and image checks, a server-side dry run of everything, then apply in dependency order (plain
 * objects, then model APIs and MCP servers, then the agents that name them), prune, and
 * optionally wait for all. An invalid object or a missing reference stops before anything is
 * written. Requests that do not depend on each other go out together: this runs in CI hundreds of
 * times a day.
 */
export async function deploy(docs: AnyDoc[], opts: DeployOptions, hooks: DeployHooks): Promise<DeployOutcome> {
  const progress = hooks.progress ?? (() => {})
  // --timeout bounds the whole deploy, not only the wait: a hung API server cannot hold CI longer.
  const timeoutMs = parseDuration(opts.timeout ?? '5m')
  const deadlineAt = Date.now() + timeoutMs
  // A little past --timeout, so that a wait that times out can still ask why (events, logs).
  const deadline = AbortSignal.timeout(timeoutMs + REPORT_GRACE_MS)
  // Every request and MCP check of the deploy listens on it: dozens at once is expected.
  setMaxListeners(0, deadline)
  const cluster = Cluster.connect({...opts, deadline})
  const dryRun = opts.dryRun === 'server'
  const warnings: string[] = []
  const ctx = {namespace: cluster.namespace, namespaceExplicit: cluster.namespaceExplicit}
  const namespaceOf = (d: AnyDoc) => namespaceFor(d, ctx)
  const workloads = docs.filter(isWorkloadDoc)
  const plain = plainObjects(opts.plain ?? [], cluster.namespace)
  const declared = plain.filter((o) => o.kind === 'Namespace')
  const declaredNames = new Set(declared.map((o) => o.metadata.name))
  const namespaces = [...new Set([...docs.map(namespaceOf), ...plain.flatMap((o) => (o.metadata.namespace ? [o.metadata.namespace] : []))])]
  const [clusterSources, missing, ports] = await Promise.all([
    clusterRegistrySource(cluster, opts.systemNamespace, warnings),
    missingNamespaces(cluster, [...new Set([...declaredNames, ...namespaces])]),
    opts.missingDependencies === 'skip' ? undefined : outsideDependencies(cluster, workloads, namespaceOf, opts.missingDependencies ?? 'warn', warnings),
  ])
  const undeclared = missing.filter((ns) => !declaredNames.has(ns))
  if (undeclared.length > 0 && !opts.createNamespace)
    throw new KaosError(`namespace "${undeclared[0]}" does not exist`, {
      exit: ExitCode.NOT_FOUND,
      suggestions: ['Add --create-namespace to create it, put a v1 Namespace document in the input (kaos apply), or pick another with -n.'],
    })
  // Namespaces are created before the dry run, which needs somewhere to put the rest; a dry run
  // creates none, and the API server cannot check objects in a namespace that is not there.
  const pending = new Set(dryRun ? missing : [])
  const createdNamespaces: string[] = []
  let wrote = false
  try {
    const registry = await hooks.registry(clusterSources)
    warnings.push(...registry.warnings)
    // Gateways select from what the cluster already holds as well as from the input.
    const gatewayNamespaces = [
      ...new Set(workloads.filter((d) => d.kind === 'MCPServer' && registry.runtimes.get(d.spec.runtime)?.gateway).map(namespaceOf)),
    ]
    // Only a NetworkPolicy that lets a server reach the API server needs its addresses.
    const [tokens, stored, gatewayChecks, apiServer] = await Promise.all([
      authTokens(cluster, workloads, registry, namespaceOf),
      gatewayNamespaces.length > 0 ? readStoredCatalog(cluster, gatewayNamespaces, warnings) : undefined,
      gatewayChecksFor(docs, registry),
      needsApiServer(workloads, registry) ? apiServerAddresses(cluster) : undefined,
    ])
    if (stored && opts.withoutStored?.length) {
      const drop = new Set(opts.withoutStored)
      stored.catalog = stored.catalog.filter((d) => !drop.has(`${d.kind}/${d.metadata.namespace}/${d.metadata.name}`))
    }
    const rendered = render(docs, {...ctx, registry, authTokens: tokens, ...ports, stored: stored ?? {catalog: [], mcpServers: []}, gatewayChecks, apiServer})
    const objects = [...sortForApply(plain), ...rendered.objects]
    // What the API server would refuse is refused here, before anything is written.
    checkRenderedObjects(objects, docs)
    warnings.push(...rendered.warnings)
    // A namespace that does not exist yet holds nothing: what its pods reference must come from
    // the input. Known without asking, so refused before any namespace is created (or dry-run).
    if (!opts.skipSecretCheck && missing.length > 0) {
      const fresh = new Set(missing)
      const unmet = referencedConfig(objects).find((r) => fresh.has(r.namespace))
      if (unmet) throw missingReference(unmet, true)
    }
    if (!dryRun && missing.length > 0) {
      await Promise.all(
        missing.map(async (ns) => {
          const doc = declared.find((o) => o.metadata.name === ns)
          if (doc) await applyObject(cluster, doc, {force: opts.forceConflicts})
          else await createNamespace(cluster, ns)
          createdNamespaces.push(ns)
          progress(`namespace/${ns} created`)
        }),
      )
    }
    if (pending.size > 0) warnings.push(`namespace${pending.size > 1 ? 's' : ''} ${[...pending].join(', ')} ${pending.size > 1 ? 'do' : 'does'} not exist yet: the objects in ${pending.size > 1 ? 'them' : 'it'} were checked offline only (the API server cannot dry-run into a namespace that is not there)`)
    const checkable = objects.filter((o) => !pending.has(o.metadata.namespace ?? ''))
    progress(`validating ${objects.length} objects with the API server`)
    // What is live now, and what an earlier deploy left that this one may prune, are read before
    // anything is written (see prune.ts); the reference check and the server's dry run of every
    // object go out with them: none depends on another.
    const settled = await Promise.allSettled([
      opts.skipSecretCheck ? undefined : checkReferences(cluster, checkable, workloads, registry, warnings),
      opts.skipSecretCheck ? undefined : checkGatewayServices(cluster, checkable).catch((e) => forbiddenAsWarning(e, warnings, 'could not check the Services gateways call')),
      opts.skipImageCheck ? undefined : checkImages(cluster, objects, warnings, {imageRegistry: registry.defaults.imageRegistry}),
      validateAll(cluster, checkable, {force: opts.forceConflicts}),
      readLive(cluster, checkable),
      listPruneCandidates(cluster, checkable),
    ] as const)
    // Report failures in a fixed order (a missing Secret before what the dry run says), whichever came first.
    for (const r of settled) if (r.status === 'rejected') throw r.reason
    const [, , , validated, live, listed] = settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [unknown, unknown, unknown, KubernetesObject[], Awaited<ReturnType<typeof readLive>>, Awaited<ReturnType<typeof listPruneCandidates>>]
    const candidates = [...listed, ...inventoryCandidates(checkable, live)]
    const validatedOf = new Map(checkable.map((o, i) => [o, validated[i]]))
    const layers = dependencyLayers(workloads, namespaceOf)
    if (hooks.beforeApply) {
      wrote = true
      await hooks.beforeApply()
    }
    const applied: AppliedObject[] = []
    // Layer by layer: what is called (model APIs, MCP servers, peers) before its callers.
    const created = new Set([...createdNamespaces, ...pending])
    for (const layer of objectLayers(objects, layers, namespaceOf)) {
      // A Namespace created above is already what its document says.
      const now = layer.filter((o) => validatedOf.has(o) && !(o.kind === 'Namespace' && created.has(o.metadata.name)))
      const done = await applyAll(cluster, now, {
        force: opts.forceConflicts,
        dryRun,
        live,
        validated: now.map((o) => validatedOf.get(o)!),
        onApplied: (a) => {
          wrote = true
          progress(`${a.kind.toLowerCase()}/${a.name} ${a.action}`)
        },
      })
      const byObject = new Map(now.map((o, i) => [o, done[i]]))
      // Created namespaces, and objects in a namespace a dry run did not create, are (would be) created.
      for (const o of layer) applied.push(byObject.get(o) ?? {...refOf(o), action: 'created'})
    }
    const pruned = prunable(candidates, objects)
    await Promise.all(pruned.map((r) => deleteObject(cluster, r, {dryRun})))
    for (const r of pruned) progress(`${r.kind.toLowerCase()}/${r.name} pruned`)
    const outcome: DeployOutcome = {namespace: cluster.namespace, objects, applied, pruned, warnings, ...(opts.dryRun ? {dryRun: opts.dryRun} : {})}
    if (opts.wait && !opts.dryRun) {
      const targets = layers.flat().map((d) => {
        const ns = namespaceOf(d)
        const dep = objects.find((o) => o.kind === 'Deployment' && o.metadata.namespace === ns && o.metadata.labels?.[LABEL_NAME] === d.metadata.name && o.metadata.labels?.[LABEL_KIND] === d.kind)!
        return {name: dep.metadata.name, namespace: ns, selector: podSelector(d.kind, d.metadata.name)}
      })
      outcome.ready = await waitForDeployments(cluster, targets, {timeoutMs: Math.max(0, deadlineAt - Date.now()), onProgress: (t, text) => progress(`deployment/${t.name}: ${text}`)})
      if (opts.verify !== false) {
        const mcp = docs.filter((d) => d.kind === 'MCPServer')
        if (mcp.length > 0) progress(`checking that MCP answers on the Ready pods of ${mcp.map((d) => d.metadata.name).join(', ')}`)
        outcome.verified = await Promise.all(
          mcp.map((d) => verifyMcpServer(cluster, d.metadata.name, namespaceOf(d), {registry, systemNamespace: opts.systemNamespace, deadlineAt, log: progress, signal: deadline})),
        )
      }
    }
    return outcome
  } catch (error) {
    // Nothing half-applied: a namespace this run created for a deploy that failed validation goes too.
    if (!wrote) await Promise.all(createdNamespaces.map((ns) => deleteObject(cluster, {kind: 'Namespace', name: ns}).catch(() => {})))
    throw error
  }
}

function forbiddenAsWarning(error: unknown, warnings: string[], what: string): void {
  if ((error as {code?: string}).code !== 'FORBIDDEN') throw error
  warnings.push(`${what}: ${(error as Error).message}`)
}
