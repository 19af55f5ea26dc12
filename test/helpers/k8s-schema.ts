// Validate rendered objects against the Kubernetes OpenAPI schemas.
//
// `kubernetes-models` (compiled ajv validators) checks types, enums and required fields, but its
// schemas do not set additionalProperties: false, so it accepts unknown fields such as a typo'd
// `readinessprobe`. The API server rejects those under strict field validation (what kaos's apply
// uses), so a second pass walks each object against the field lists of the generated models in
// `@kubernetes/client-node` (OpenAPI release-1.36) and reports every field the schema lacks.
// Limit: values typed `any`/`object` (e.g. CRD-like free-form fields) are not walked.
import {createRequire} from 'node:module'

const require = createRequire(import.meta.url)

type ModelClass = new (data: unknown) => {validate(): void}
type AttributeMap = Array<{name: string; baseName: string; type: string}>

// Importing the client-node package root pulls in undici and fails on Node 20; the generated
// models are plain classes and load on their own.
const models = require('@kubernetes/client-node/dist/gen/models/all.js') as Record<string, {attributeTypeMap?: AttributeMap} | undefined>

/** `kubernetes-models` class for an apiVersion/kind, e.g. apps/v1 Deployment. */
export function modelClass(apiVersion: string, kind: string): ModelClass {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion]
  const path = group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`
  let mod: Record<string, ModelClass>
  try {
    mod = require(path)
  } catch {
    throw new Error(`no kubernetes-models class for ${apiVersion} ${kind} (${path})`)
  }
  const cls = mod[kind]
  if (!cls) throw new Error(`${path} does not export ${kind}`)
  return cls
}

/** client-node model name for a stable kind: `V1Deployment`, `V1Service`… */
function rootTypeName(apiVersion: string, kind: string): string {
  const version = apiVersion.split('/').pop()!
  return `${version[0].toUpperCase()}${version.slice(1)}${kind}`
}

const PRIMITIVES = new Set(['string', 'number', 'boolean', 'Date', 'any', 'object', 'IntOrString'])

function walk(value: unknown, type: string, path: string, errors: string[]): void {
  if (value === null || value === undefined) return
  const arr = /^Array<(.+)>$/.exec(type)
  if (arr) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, arr[1], `${path}[${i}]`, errors))
    return
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type)
  if (map) {
    if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, map[1], `${path}.${k}`, errors)
    return
  }
  if (PRIMITIVES.has(type)) return
  const attrs = models[type]?.attributeTypeMap
  if (!attrs) {
    errors.push(`${path}: no schema for type ${type}`)
    return
  }
  if (typeof value !== 'object' || Array.isArray(value)) return // the type check is kubernetes-models' job
  const fields = new Map(attrs.map((a) => [a.baseName, a.type]))
  for (const [k, v] of Object.entries(value)) {
    const t = fields.get(k)
    if (t === undefined) errors.push(`${path ? `${path}.` : ''}${k}: unknown field (not in ${type})`)
    else walk(v, t, path ? `${path}.${k}` : k, errors)
  }
}

/** Unknown fields in a Kubernetes object, as `spec.template.spec.containers[0].foo: …` strings. */
export function unknownFields(obj: {apiVersion: string; kind: string}): string[] {
  const errors: string[] = []
  walk(obj, rootTypeName(obj.apiVersion, obj.kind), '', errors)
  return errors
}

/**
 * Throw when an object breaks the Kubernetes schema: wrong types, missing required fields,
 * bad enum values (kubernetes-models) or unknown fields (the walk above).
 */
export function validateK8sObject(obj: {apiVersion: string; kind: string; metadata?: {name?: string}}): void {
  const label = `${obj.kind} ${obj.metadata?.name ?? '?'}`
  // Gateway API kinds are CRDs: no OpenAPI model here; render-golden.it.ts has the API server
  // (with the CRDs installed) check them.
  if (obj.apiVersion.startsWith('gateway.networking.k8s.io/')) return
  const Model = modelClass(obj.apiVersion, obj.kind)
  try {
    new Model(obj).validate()
  } catch (error) {
    throw new Error(`${label}: ${(error as Error).message}`)
  }
  const unknown = unknownFields(obj)
  if (unknown.length > 0) throw new Error(`${label}: ${unknown.join('; ')}`)
}
