// Turning schema (zod) issues into kaos's one-line messages, for documents and registry files
// alike. The line names the field and quotes the offending value, as kubectl does:
//   metadata.name "Calc" must be a DNS-1123 label: …
//   spec.mode "Weird" must be Proxy or Hosted
//   unknown field spec.runtme; did you mean runtime?
import type {z} from 'zod'

import {quote} from './k8s-values.js'
import {didYouMean} from './suggest.js'

/** The value at a zod issue path in the raw input (zod does not keep inputs on issues). */
export function valueAtPath(input: unknown, path: PropertyKey[]): unknown {
  let v = input
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<PropertyKey, unknown>)[k]
  }
  return v
}

/** `spec.container.env[0].name` from a prefix and a zod path. */
export function fieldPath(prefix: string, path: PropertyKey[]): string {
  let out = prefix
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`
    else out += out ? `.${String(k)}` : String(k)
  }
  return out
}

type AnySchema = z.core.$ZodType
interface Def {
  type: string
  shape?: Record<string, AnySchema>
  innerType?: AnySchema
  element?: AnySchema
  options?: AnySchema[]
  in?: AnySchema
  valueType?: AnySchema
}

const def = (s: AnySchema): Def => (s as unknown as {_zod: {def: Def}})._zod.def

/** The object schemas a path may lead to (unions give several), for did-you-mean on unknown keys. */
function objectsAt(schema: AnySchema, path: PropertyKey[]): Array<Record<string, AnySchema>> {
  const d = def(schema)
  switch (d.type) {
    case 'optional':
    case 'default':
    case 'nullable':
    case 'prefault':
    case 'readonly':
      return objectsAt(d.innerType!, path)
    case 'pipe':
      return objectsAt(d.in!, path)
    case 'union':
      return d.options!.flatMap((o) => objectsAt(o, path))
    case 'array':
      return typeof path[0] === 'number' ? objectsAt(d.element!, path.slice(1)) : []
    case 'record':
      return path.length > 0 ? objectsAt(d.valueType!, path.slice(1)) : []
    case 'object':
      if (path.length === 0) return [d.shape!]
      return d.shape![String(path[0])] ? objectsAt(d.shape![String(path[0])], path.slice(1)) : []
    default:
      return []
  }
}

/** Field names a schema accepts at a path. */
export function knownKeys(schema: AnySchema, path: PropertyKey[]): string[] {
  return [...new Set(objectsAt(schema, path).flatMap((shape) => Object.keys(shape)))]
}

function orList(values: unknown[]): string {
  const v = values.map(String)
  return v.length <= 1 ? (v[0] ?? '') : `${v.slice(0, -1).join(', ')} or ${v.at(-1)}`
}

/** zod's "expected number" → "a number". */
function expectedText(expected: string): string {
  const map: Record<string, string> = {string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false', object: 'a mapping', array: 'a list', record: 'a mapping'}
  return map[expected] ?? expected
}

/**
 * One line for one issue. `prefix` is the path of the parsed value in the whole document
 * (`spec`); `input` is the raw value that was parsed; `schema` enables did-you-mean.
 */
export function issueText(issue: z.core.$ZodIssue, prefix: string, input: unknown, schema?: AnySchema): string {
  const path = fieldPath(prefix, issue.path)
  const value = valueAtPath(input, issue.path)
  const shown = quote(value)
  const subject = shown ? `${path} ${shown}` : path
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = schema ? knownKeys(schema, issue.path) : []
      const names = issue.keys.map((k) => fieldPath(path, [k]))
      if (names.length > 1) return `unknown fields ${names.join(', ')}`
      const guess = didYouMean(issue.keys[0], known)
      return `unknown field ${names[0]}${guess ? `; did you mean ${guess}?` : known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`
    }
    case 'invalid_type':
      if (value === undefined) return `${path} is required`
      if (!issue.message.startsWith('Invalid input')) return `${subject} ${issue.message}`
      return `${subject} must be ${expectedText(issue.expected)}`
    case 'invalid_value':
      if (value === undefined) return `${path} is required`
      return `${subject} must be ${orList(issue.values)}`
    case 'invalid_union': {
      if (value === undefined) return `${path} is required`
      // Unions here are alternatives of strict objects: the branch that came closest (fewest
      // issues) says the most, e.g. a bad name rather than "valueFrom is required".
      const branches = issue.errors.filter((errs) => errs.length > 0).sort((a, b) => a.length - b.length)
      const best = branches[0] ? firstIssue(branches[0]) : undefined
      if (best) return issueText({...best, path: [...issue.path, ...best.path]} as z.core.$ZodIssue, prefix, input, schema)
      return `${subject} is not valid`
    }
    case 'too_big':
      if (issue.origin === 'number' || issue.origin === 'int') return `${subject} must be at most ${issue.maximum}`
      if (issue.origin === 'string' && !/^Too big/.test(issue.message)) return `${subject} ${issue.message}`
      return `${subject} must be at most ${issue.maximum} ${issue.origin === 'string' ? 'characters' : 'items'} long`
    case 'too_small':
      if (issue.origin === 'number' || issue.origin === 'int') return `${subject} must be at least ${issue.minimum}`
      if (issue.origin === 'string' && Number(issue.minimum) === 1 && value === '') return `${path} must not be empty`
      if (!/^Too small/.test(issue.message)) return `${subject} ${issue.message}`
      return `${subject} must have at least ${issue.minimum} ${issue.origin === 'string' ? 'characters' : 'items'}`
    default:
      return `${subject} ${issue.message.replace(/^Invalid input: /, '')}`
  }
}

/**
 * The issue to report first: an unknown field (usually a typo, which also explains a "missing"
 * field next to it), then the first other one.
 */
export function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  return issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]
}
