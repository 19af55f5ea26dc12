// `kaos mcp tool|prompt|resource apply|list|get|delete`: the catalog documents kept in the
// cluster, and the gateways that serve them. Applying or deleting one refreshes the gateways
// whose toolSelector picks it (before or after the change): a deploy of their stored documents,
// so the same render, checks and rollout as `kaos mcp deploy`.
import {type CatalogDoc, type CatalogKind, catalogName, selectorMatches} from './catalog.js'
import {storedCatalogDoc} from './catalog-store.js'
import {getCatalogConfigMap, listCatalogConfigMaps, listMCPServerDeployments} from './cluster/catalog.js'
import {Cluster} from './cluster/client.js'
import {type ObjectRef, deleteObject} from './cluster/objects.js'
import {type DeployHooks, type DeployOptions, type DeployOutcome, deploy} from './deploy.js'
import {type MCPServerDoc, parseDocument} from './documents.js'
import {age} from './duration.js'
import {ExitCode, KaosError} from './errors.js'
import {ANNOTATION_SOURCE, catalogObjectName} from './names.js'

/** A gateway MCPServer as stored on its Deployment. */
interface StoredGateway {
  doc: MCPServerDoc
  namespace: string
}

async function storedGateways(cluster: Cluster, namespaces: string[]): Promise<StoredGateway[]> {
  const lists = await Promise.all(namespaces.map((ns) => listMCPServerDeployments(cluster, ns)))
  const out: StoredGateway[] = []
  for (const d of lists.flat()) {
    try {
      const doc = parseDocument(JSON.parse(d.metadata?.annotations?.[ANNOTATION_SOURCE] ?? 'null'), `Deployment ${d.metadata.name}`)
      // Only gateway runtimes may carry a toolSelector (documents.ts refuses it elsewhere).
      if (doc.kind === 'MCPServer' && doc.spec.toolSelector) out.push({doc: {...doc, metadata: {...doc.metadata, namespace: d.metadata.namespace}}, namespace: d.metadata.namespace})
    } catch {
      // Not a document kaos can read: not a gateway kaos refreshes.
    }
  }
  return out
}

/** The gateways in a namespace whose toolSelector picks a document with any of these label sets. */
function selecting(gateways: StoredGateway[], namespace: string, labelSets: Array<Record<string, string> | undefined>): StoredGateway[] {
  return gateways.filter((g) => g.namespace === namespace && labelSets.some((l) => l !== undefined && selectorMatches(g.doc.spec.toolSelector!, l)))
}

export interface CatalogApplyOutcome extends DeployOutcome {
  /** The gateways re-rendered because they select (or selected) an applied document. */
  refreshed: Array<{name: string; namespace: string}>
}

/**
 * Store catalog documents, and refresh the gateways that select them now or did before (a label
 * change can move a document from one gateway to another). One deploy: if anything is invalid
 * (a template, a missing Secret or Service), nothing is written.
 */
export async function applyCatalog(docs: CatalogDoc[], opts: DeployOptions & {refresh?: boolean}, hooks: DeployHooks): Promise<CatalogApplyOutcome> {
  let gateways: StoredGateway[] = []
  if (opts.refresh !== false) {
    const cluster = Cluster.connect(opts)
    const ns = (d: CatalogDoc) => d.metadata.namespace ?? cluster.namespace
    const namespaces = [...new Set(docs.map(ns))]
    const [all, before] = await Promise.all([storedGateways(cluster, namespaces), Promise.all(namespaces.map((n) => listCatalogConfigMaps(cluster, {namespace: n})))])
    const previous = new Map<string, Record<string, string> | undefined>()
    for (const cm of before.flat()) {
      const {doc} = storedCatalogDoc(cm)
      if (doc) previous.set(`${doc.kind}/${cm.metadata.namespace}/${doc.metadata.name}`, doc.metadata.labels ?? {})
    }
    const picked = new Map<string, StoredGateway>()
    for (const d of docs) {
      const n = ns(d)
      for (const g of selecting(all, n, [d.metadata.labels ?? {}, previous.get(`${d.kind}/${n}/${d.metadata.name}`)])) picked.set(`${n}/${g.doc.metadata.name}`, g)
    }
    gateways = [...picked.values()]
  }
  const outcome = await deploy([...docs, ...gateways.map((g) => g.doc)], opts, hooks)
  return {...outcome, refreshed: gateways.map((g) => ({name: g.doc.metadata.name, namespace: g.namespace}))}
}

/** One row of `kaos mcp tool|prompt|resource list`, also its JSON shape. */
export interface CatalogSummary {
  kind: CatalogKind
  name: string
  namespace: string
  /** What clients see: the tool or prompt name, the resource URI (template). */
  mcpName: string
  /** Tools and resources over HTTP: `GET http://…`; prompts: their arguments; inline resources: `text`/`blob`. */
  target: string
  labels: Record<string, string>
  /** The gateways (MCPServer names) whose toolSelector picks it. */
  gateways: string[]
  age: string
  createdAt?: string
  document: CatalogDoc
}

function targetOf(d: CatalogDoc): string {
  if (d.kind === 'MCPPrompt') return (d.spec.arguments ?? []).map((a) => `${a.name}${a.required ? '' : '?'}`).join(',') || '-'
  const h = d.spec.http
  if (h) return `${h.method ?? 'GET'} ${h.url ?? `svc/${h.service!.name}${h.service!.namespace ? `.${h.service!.namespace}` : ''}:${h.service!.port}${h.path ?? '/'}`}`
  return d.kind === 'MCPResource' && d.spec.blob !== undefined ? 'blob' : 'text'
}

/** Stored catalog documents of one kind, with the gateways that serve each. */
export async function listCatalog(cluster: Cluster, kind: CatalogKind, opts: {namespace?: string; selector?: string}, warnings: string[]): Promise<CatalogSummary[]> {
  const maps = await listCatalogConfigMaps(cluster, {kinds: [kind], namespace: opts.namespace, selector: opts.selector})
  const namespaces = [...new Set(maps.map((m) => m.metadata.namespace))]
  const gateways = namespaces.length > 0 ? await storedGateways(cluster, namespaces) : []
  const out: CatalogSummary[] = []
  for (const cm of maps) {
    const {doc, problem} = storedCatalogDoc(cm)
    if (!doc) {
      warnings.push(problem!)
      continue
    }
    out.push({
      kind,
      name: doc.metadata.name,
      namespace: cm.metadata.namespace,
      mcpName: catalogName(doc),
      target: targetOf(doc),
      labels: doc.metadata.labels ?? {},
      gateways: selecting(gateways, cm.metadata.namespace, [doc.metadata.labels ?? {}]).map((g) => g.doc.metadata.name),
      age: age(cm.metadata.creationTimestamp),
      ...(cm.metadata.creationTimestamp ? {createdAt: cm.metadata.creationTimestamp} : {}),
      document: doc,
    })
  }
  return out.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
}

function notFound(kind: string, name: string, namespace: string): KaosError {
  return new KaosError(`${kind} "${name}" not found in namespace "${namespace}"`, {
    exit: ExitCode.NOT_FOUND,
    suggestions: [`List them with \`kaos mcp ${kind.slice(3).toLowerCase()} list\` (-A for every namespace).`],
  })
}

/** One stored catalog document, with the gateways that serve it. */
export async function getCatalog(cluster: Cluster, kind: CatalogKind, name: string, namespace: string): Promise<{document: CatalogDoc; gateways: string[]}> {
  const [cm, gateways] = await Promise.all([getCatalogConfigMap(cluster, kind, name, namespace), storedGateways(cluster, [namespace])])
  if (!cm) throw notFound(kind, name, namespace)
  const {doc, problem} = storedCatalogDoc(cm)
  if (!doc) throw new KaosError(problem!, {exit: ExitCode.INVALID_INPUT, suggestions: [`Apply the document again (kaos mcp ${kind.slice(3).toLowerCase()} apply -f …).`]})
  const {name: docName, labels, annotations} = doc.metadata
  const metadata = {name: docName, namespace, ...(labels ? {labels} : {}), ...(annotations ? {annotations} : {})}
  return {document: {...doc, metadata} as CatalogDoc, gateways: selecting(gateways, namespace, [doc.metadata.labels ?? {}]).map((g) => g.doc.metadata.name)}
}

export interface CatalogDeleteOutcome {
  deleted: ObjectRef[]
  refreshed: Array<{name: string; namespace: string}>
  /** The refresh deploy, when there was one. */
  deploy?: DeployOutcome
}

/** Delete a stored catalog document, then refresh the gateways that served it. */
export async function deleteCatalog(
  kind: CatalogKind,
  name: string,
  opts: DeployOptions & {refresh?: boolean; ignoreNotFound?: boolean},
  hooks: DeployHooks,
): Promise<CatalogDeleteOutcome> {
  const cluster = Cluster.connect(opts)
  const namespace = cluster.namespace
  const [cm, all] = await Promise.all([getCatalogConfigMap(cluster, kind, name, namespace), opts.refresh === false ? [] : storedGateways(cluster, [namespace])])
  if (!cm) {
    if (opts.ignoreNotFound) return {deleted: [], refreshed: []}
    throw notFound(kind, name, namespace)
  }
  const {doc} = storedCatalogDoc(cm)
  const gateways = doc ? selecting(all, namespace, [doc.metadata.labels ?? {}]) : all
  const ref = {kind: 'ConfigMap', name: catalogObjectName(kind, name), namespace}
  const refreshed = gateways.map((g) => ({name: g.doc.metadata.name, namespace}))
  if (gateways.length === 0) {
    await deleteObject(cluster, ref, {dryRun: opts.dryRun === 'server'})
    return {deleted: [ref], refreshed}
  }
  // The gateways are rendered without the document and checked first; the delete happens only
  // once they pass (a prompt may embed the resource being deleted), right before they are applied.
  const outcome = await deploy(
    gateways.map((g) => g.doc),
    {...opts, withoutStored: [`${kind}/${namespace}/${name}`]},
    {...hooks, beforeApply: () => deleteObject(cluster, ref, {dryRun: opts.dryRun === 'server'}).then(() => {})},
  )
  return {deleted: [ref], refreshed, deploy: outcome}
}
