// Which kaos documents name which others, and the order that follows: what an agent calls must
// exist before the agent starts calling it, and must outlive it on the way down. Pure: the cluster
// side (is a named workload there?) is in deploy.ts.
import type {KaosDoc, Kind} from './documents.js'

/** One document naming another by `metadata.name`, in the same namespace. */
export interface DocRef {
  kind: Kind
  name: string
  /** The field that names it, for messages: `spec.mcpServers[1]`. */
  field: string
}

/**
 * What each kind names. A new kind (MCPTool naming its MCPServer, …) adds its entry here and
 * apply, delete and the existence check follow.
 */
const REFERENCES: {[K in Kind]: (doc: Extract<KaosDoc, {kind: K}>) => DocRef[]} = {
  ModelAPI: () => [],
  MCPServer: () => [],
  Agent: (doc) => [
    {kind: 'ModelAPI', name: doc.spec.modelAPI, field: 'spec.modelAPI'},
    ...doc.spec.mcpServers.map((name, i) => ({kind: 'MCPServer' as const, name, field: `spec.mcpServers[${i}]`})),
    ...(doc.spec.agentNetwork?.access ?? []).map((name, i) => ({kind: 'Agent' as const, name, field: `spec.agentNetwork.access[${i}]`})),
  ],
}

export function referencesOf(doc: KaosDoc): DocRef[] {
  return (REFERENCES[doc.kind] as (d: KaosDoc) => DocRef[])(doc)
}

const key = (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}`

/**
 * The documents in layers: every document comes after the documents of the input it names, so
 * applying layer by layer starts what is called before its callers (deleting in reverse stops
 * callers first). Documents naming each other in a cycle (two agents that are each other's peer)
 * share a layer. Input order is kept within a layer.
 */
export function dependencyLayers<D extends KaosDoc>(docs: D[], namespaceOf: (d: KaosDoc) => string): D[][] {
  const byKey = new Map(docs.map((d) => [key(d.kind, namespaceOf(d), d.metadata.name), d]))
  const needs = new Map<D, Set<D>>()
  for (const d of docs) {
    const ns = namespaceOf(d)
    const deps = new Set<D>()
    for (const r of referencesOf(d)) {
      const target = byKey.get(key(r.kind, ns, r.name))
      if (target && target !== d) deps.add(target)
    }
    needs.set(d, deps)
  }
  const layers: D[][] = []
  const placed = new Set<D>()
  while (placed.size < docs.length) {
    let layer = docs.filter((d) => !placed.has(d) && [...needs.get(d)!].every((x) => placed.has(x)))
    // Only cycles are left: the rest goes together.
    if (layer.length === 0) layer = docs.filter((d) => !placed.has(d))
    for (const d of layer) placed.add(d)
    layers.push(layer)
  }
  return layers
}

/** A reference to a document that is not in the input: the cluster must have it. */
export interface OutsideRef extends DocRef {
  from: KaosDoc
  namespace: string
}

/** The references that the input does not satisfy itself, each target once per namespace. */
export function referencesOutside(docs: KaosDoc[], namespaceOf: (d: KaosDoc) => string): OutsideRef[] {
  const inInput = new Set(docs.map((d) => key(d.kind, namespaceOf(d), d.metadata.name)))
  const out: OutsideRef[] = []
  for (const d of docs) {
    const ns = namespaceOf(d)
    for (const r of referencesOf(d)) if (!inInput.has(key(r.kind, ns, r.name))) out.push({...r, from: d, namespace: ns})
  }
  return out
}
