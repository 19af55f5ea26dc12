// The catalog as kaos keeps it in the cluster, parsed: stored MCPTool, MCPPrompt and MCPResource
// documents, the MCPServers a gateway may aggregate, and the check that the Services a gateway's
// configuration calls exist.
import {type CatalogDoc, isCatalogKind} from './catalog.js'
import {type ConfigMapObject, existingServices, listCatalogConfigMaps, listMCPServerDeployments} from './cluster/catalog.js'
import type {Cluster} from './cluster/client.js'
import {type MCPServerDoc, parseDocument} from './documents.js'
import {ExitCode, KaosError} from './errors.js'
import {ANNOTATION_SOURCE, CATALOG_DOCUMENT_KEY, GATEWAY_CONFIG_KEY, LABEL_KIND, LABEL_NAME} from './names.js'
import type {KubernetesObject} from './render/common.js'

/**
 * A stored catalog ConfigMap as its document (metadata.namespace set), or a line saying why not:
 * a ConfigMap edited by hand into something kaos cannot read is reported, never fatal.
 */
export function storedCatalogDoc(cm: ConfigMapObject): {doc?: CatalogDoc; problem?: string} {
  const where = `ConfigMap ${cm.metadata.name} in ${cm.metadata.namespace}`
  const text = cm.data?.[CATALOG_DOCUMENT_KEY]
  if (!text) return {problem: `${where} has no ${CATALOG_DOCUMENT_KEY} key; left out`}
  try {
    const doc = parseDocument(JSON.parse(text), where)
    if (!isCatalogKind(doc.kind)) return {problem: `${where} holds a ${doc.kind}, not a catalog document; left out`}
    return {doc: {...doc, metadata: {...doc.metadata, namespace: cm.metadata.namespace}} as CatalogDoc}
  } catch (error) {
    return {problem: `${(error as Error).message.split('\n')[0]}; left out`}
  }
}

/** What gateways in these namespaces may select from the cluster, read together. */
export async function readStoredCatalog(cluster: Cluster, namespaces: string[], warnings: string[]): Promise<{catalog: CatalogDoc[]; mcpServers: MCPServerDoc[]}> {
  const [maps, deployments] = await Promise.all([
    Promise.all(namespaces.map((namespace) => listCatalogConfigMaps(cluster, {namespace}))),
    Promise.all(namespaces.map((namespace) => listMCPServerDeployments(cluster, namespace))),
  ])
  const catalog: CatalogDoc[] = []
  for (const cm of maps.flat()) {
    const {doc, problem} = storedCatalogDoc(cm)
    if (doc) catalog.push(doc)
    else warnings.push(problem!)
  }
  const mcpServers: MCPServerDoc[] = []
  for (const d of deployments.flat()) {
    try {
      const doc = parseDocument(JSON.parse(d.metadata?.annotations?.[ANNOTATION_SOURCE] ?? 'null'), `Deployment ${d.metadata.name}`)
      if (doc.kind === 'MCPServer') mcpServers.push({...doc, metadata: {...doc.metadata, namespace: d.metadata.namespace}})
    } catch {
      // A Deployment without a readable document is not kaos's to aggregate.
    }
  }
  return {catalog, mcpServers}
}

/** `http://NAME.NAMESPACE.svc[.cluster.local][:port]/…` → the Service it names. */
function serviceOf(url: string): {name: string; namespace: string} | undefined {
  const m = /^https?:\/\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?\.?(:\d+)?(\/|$)/.exec(url)
  return m ? {name: m[1], namespace: m[3]} : undefined
}

/**
 * Every in-cluster Service a rendered gateway configuration calls must exist (or be created by
 * this deploy): a tool pointing at a Service that is not there would fail every call. Exit 8.
 */
export async function checkGatewayServices(cluster: Cluster, objects: KubernetesObject[]): Promise<void> {
  const wanted: Array<{name: string; namespace: string; by: string}> = []
  for (const o of objects) {
    const text = o.kind === 'ConfigMap' ? (o as {data?: Record<string, string>}).data?.[GATEWAY_CONFIG_KEY] : undefined
    if (!text || o.metadata.labels?.[LABEL_KIND] !== 'MCPServer') continue
    const gw = `MCPServer "${o.metadata.labels[LABEL_NAME]}"`
    const config = JSON.parse(text) as {tools?: Array<{name: string; http: {url: string}}>; resources?: Array<{uri: string; http?: {url: string}}>; resourceTemplates?: Array<{uriTemplate: string; http?: {url: string}}>}
    const add = (url: string | undefined, what: string) => {
      const s = url ? serviceOf(url) : undefined
      if (s) wanted.push({...s, by: `${gw}: ${what}`})
    }
    for (const t of config.tools ?? []) add(t.http.url, `tool "${t.name}"`)
    for (const r of config.resources ?? []) add(r.http?.url, `resource ${r.uri}`)
    for (const r of config.resourceTemplates ?? []) add(r.http?.url, `resource template ${r.uriTemplate}`)
  }
  if (wanted.length === 0) return
  const created = new Set(objects.filter((o) => o.kind === 'Service').map((o) => `${o.metadata.namespace}/${o.metadata.name}`))
  const todo = wanted.filter((w) => !created.has(`${w.namespace}/${w.name}`))
  if (todo.length === 0) return
  const existing = await existingServices(cluster, todo)
  const missing = todo.find((w) => !existing.has(`${w.namespace}/${w.name}`))
  if (missing)
    throw new KaosError(`${missing.by} calls Service "${missing.name}" in namespace "${missing.namespace}", which does not exist`, {
      exit: ExitCode.NOT_FOUND,
      suggestions: ['Deploy the service first, or correct spec.http (url or service) of the document; --skip-secret-check skips reference checks.'],
      data: missing,
    })
}
