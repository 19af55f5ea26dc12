/**
 * Tool arguments for `kaos mcp invoke`: `--args '{json}'` merged with repeated `--arg key=value`,
 * values coerced by the tool's JSON Schema, then checked (unknown and missing required arguments,
 * types, enums) before anything is sent. Pure: no I/O.
 */
import {ExitCode, KaosError, invalid} from '../errors.js'
import {didYouMeanText} from '../suggest.js'

/** The subset of JSON Schema that MCP input schemas use in practice. */
export interface JsonSchema {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  enum?: unknown[]
  const?: unknown
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  description?: string
  title?: string
  default?: unknown
  additionalProperties?: boolean | JsonSchema
  format?: string
  [k: string]: unknown
}

/** `key=value` (value coerced by the schema) or `key:=json` (value taken as JSON, like httpie). */
export interface RawArg {
  key: string
  value: string
  json: boolean
}

/** Parse repeated `--arg` values. */
export function parseArgFlags(args: string[] = []): RawArg[] {
  return args.map((a) => {
    const eq = a.indexOf('=')
    if (eq <= 0) throw invalid(`--arg "${a}" is not KEY=VALUE`, ['Write --arg name=value, or --arg name:=<json> for a JSON value.'])
    if (a[eq - 1] === ':' && eq > 1) return {key: a.slice(0, eq - 1), value: a.slice(eq + 1), json: true}
    return {key: a.slice(0, eq), value: a.slice(eq + 1), json: false}
  })
}

/** Parse `--args` JSON; it must be an object. */
export function parseArgsJson(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {}
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (error) {
    throw invalid(`--args is not valid JSON: ${(error as Error).message}`, [`Quote it for the shell: --args '{"a": 1}'`])
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalid('--args must be a JSON object, e.g. \'{"a": 1}\'')
  return v as Record<string, unknown>
}

/** The JSON types a schema admits ('integer' implies 'number' is not added); empty when unknown. */
export function schemaTypes(schema: JsonSchema | undefined): string[] {
  if (!schema) return []
  if (schema.type) return Array.isArray(schema.type) ? schema.type : [schema.type]
  const branches = schema.anyOf ?? schema.oneOf
  if (branches) return [...new Set(branches.flatMap((b) => schemaTypes(b)))]
  if (schema.allOf) return [...new Set(schema.allOf.flatMap((b) => schemaTypes(b)))]
  const values = schema.enum ?? (schema.const === undefined ? undefined : [schema.const])
  if (values) return [...new Set(values.map((v) => jsonType(v)))]
  return []
}

/** The JSON type name of a value ('integer' for whole numbers). */
export function jsonType(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

const TRUE = new Set(['true', 'yes', 'on', '1'])
const FALSE = new Set(['false', 'no', 'off', '0'])

function enumOf(schema: JsonSchema | undefined): unknown[] | undefined {
  if (!schema) return undefined
  if (schema.enum) return schema.enum
  if (schema.const !== undefined) return [schema.const]
  const branches = schema.anyOf ?? schema.oneOf
  if (branches && branches.every((b) => enumOf(b))) return branches.flatMap((b) => enumOf(b)!)
  return undefined
}

/**
 * Coerce one command-line string to what the schema wants. Tries the non-string types first (a
 * value that reads as an integer becomes one when the schema admits integers), then string.
 * Returns {error} when no admitted type fits.
 */
export function coerceValue(raw: string, schema: JsonSchema | undefined): {value: unknown} | {error: string} {
  const types = schemaTypes(schema)
  // Enum of strings: keep the string, even when it looks like a number.
  const en = enumOf(schema)
  if (en?.includes(raw)) return {value: raw}
  if (types.length === 0) return {value: raw}
  const t = raw.trim()
  for (const type of ['integer', 'number', 'boolean', 'null', 'array', 'object']) {
    if (!types.includes(type)) continue
    if (type === 'integer' && /^[-+]?\d+$/.test(t)) {
      const n = Number(t)
      if (Number.isSafeInteger(n)) return {value: n}
    }
    if (type === 'number' && t !== '' && Number.isFinite(Number(t))) return {value: Number(t)}
    if (type === 'boolean') {
      if (TRUE.has(t.toLowerCase())) return {value: true}
      if (FALSE.has(t.toLowerCase())) return {value: false}
    }
    if (type === 'null' && t === 'null') return {value: null}
    if (type === 'array') {
      if (t.startsWith('[')) {
        try {
          const v = JSON.parse(t)
          if (Array.isArray(v)) return {value: v}
        } catch {
          // fall through: maybe a string is allowed
        }
      } else if (!types.includes('string')) {
        // a,b,c: each element coerced by `items`.
        const parts = t === '' ? [] : t.split(',').map((s) => s.trim())
        const out: unknown[] = []
        for (const p of parts) {
          const c = coerceValue(p, schema?.items ?? firstBranch(schema, 'array')?.items)
          if ('error' in c) return {error: `element "${p}": ${c.error}`}
          out.push(c.value)
        }
        return {value: out}
      }
    }
    if (type === 'object' && t.startsWith('{')) {
      try {
        const v = JSON.parse(t)
        if (v && typeof v === 'object' && !Array.isArray(v)) return {value: v}
      } catch {
        // fall through
      }
    }
  }
  if (types.includes('string')) return {value: raw}
  const want = types.join(' or ')
  const hint = types.includes('object') || types.includes('array') ? ' (give JSON, e.g. key:=<json>)' : ''
  return {error: `expected ${want}, got "${raw}"${hint}`}
}

function firstBranch(schema: JsonSchema | undefined, type: string): JsonSchema | undefined {
  return (schema?.anyOf ?? schema?.oneOf)?.find((b) => schemaTypes(b).includes(type))
}

/** Does a JSON value match the schema's type and enum (shallowly)? Returns a problem or undefined. */
export function checkValue(v: unknown, schema: JsonSchema | undefined): string | undefined {
  const types = schemaTypes(schema)
  if (types.length > 0) {
    const t = jsonType(v)
    const ok = types.includes(t) || (t === 'integer' && types.includes('number'))
    if (!ok) return `expected ${types.join(' or ')}, got ${t} ${JSON.stringify(v)}`
  }
  const en = enumOf(schema)
  if (en && !en.some((e) => JSON.stringify(e) === JSON.stringify(v))) return `must be one of ${en.map((e) => JSON.stringify(e)).join(', ')}, got ${JSON.stringify(v)}`
  if (Array.isArray(v) && schema?.items) {
    for (const [i, x] of v.entries()) {
      const p = checkValue(x, schema.items)
      if (p) return `element ${i}: ${p}`
    }
  }
  return undefined
}

/** `a: integer (required) - Add two numbers` lines, one per property, required first. */
export function describeSchema(schema: JsonSchema | undefined): string[] {
  const props = schema?.properties ?? {}
  const required = new Set(schema?.required ?? [])
  const names = Object.keys(props).sort((a, b) => Number(required.has(b)) - Number(required.has(a)))
  return names.map((n) => {
    const p = props[n] ?? {}
    const types = schemaTypes(p)
    let type = types.length > 0 ? types.join('|') : 'any'
    if (types.includes('array') && p.items) type = `array of ${schemaTypes(p.items).join('|') || 'any'}`
    const en = enumOf(p)
    const bits = [`${n}: ${type}`]
    if (en && en.length <= 10) bits[0] += ` (one of ${en.map((e) => JSON.stringify(e)).join(', ')})`
    bits.push(required.has(n) ? '(required)' : p.default === undefined ? '(optional)' : `(default ${JSON.stringify(p.default)})`)
    const desc = (p.description ?? '').split('\n')[0].trim()
    return desc ? `${bits.join(' ')} - ${desc}` : bits.join(' ')
  })
}

/** Does the schema let through arguments it does not name? */
/** JSON Schema allows properties it does not name unless `additionalProperties: false` says otherwise. */
function allowsExtra(schema: JsonSchema | undefined): boolean {
  return schema?.additionalProperties !== false
}

export interface BuildArgsOptions {
  /** What is being called, for messages: `tool "add"`, `prompt "greet"`. */
  what: string
  schema?: JsonSchema
  json?: Record<string, unknown>
  args?: RawArg[]
  /** Skip the checks (still coerces). */
  skipValidation?: boolean
  /** Receives notes that do not stop the call (an argument the schema does not name but allows). */
  warnings?: string[]
}

/**
 * Merge `--args` JSON with `--arg` pairs (pairs win), coerce pairs by the schema and check the
 * result. Throws one invalid-input error listing every problem, with the arguments the schema
 * declares as suggestions.
 */
export function buildArguments(opts: BuildArgsOptions): Record<string, unknown> {
  const {schema} = opts
  const props = schema?.properties ?? {}
  const out: Record<string, unknown> = {...opts.json}
  const problems: string[] = []
  const bad = new Set<string>()
  for (const a of opts.args ?? []) {
    if (a.json) {
      try {
        out[a.key] = JSON.parse(a.value)
      } catch {
        problems.push(`argument "${a.key}": ${JSON.stringify(a.value)} is not valid JSON`)
        bad.add(a.key)
      }
      continue
    }
    const c = coerceValue(a.value, props[a.key] ?? (typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined))
    if ('error' in c) {
      problems.push(`argument "${a.key}": ${c.error}`)
      bad.add(a.key)
    } else out[a.key] = c.value
  }
  if (!opts.skipValidation) {
    problems.push(...validateArguments(out, schema, bad))
    if (schema && allowsExtra(schema)) {
      const names = Object.keys(props)
      for (const k of Object.keys(out))
        if (!(k in props)) opts.warnings?.push(`${opts.what} does not declare argument "${k}"; sending it anyway (its schema allows extra arguments).${names.length > 0 ? didYouMeanText(k, names) : ''}`.trim())
    }
  }
  if (problems.length > 0) throw argumentsError(opts.what, problems, schema)
  return out
}

/** Problems with a complete argument object, or [] when it fits the schema. */
export function validateArguments(args: Record<string, unknown>, schema: JsonSchema | undefined, reported: Set<string> = new Set()): string[] {
  if (!schema) return []
  const props = schema.properties ?? {}
  const names = Object.keys(props)
  const problems: string[] = []
  if (!allowsExtra(schema)) {
    for (const k of Object.keys(args)) {
      if (!(k in props)) problems.push(`unknown argument "${k}"${names.length > 0 ? `.${didYouMeanText(k, names)}` : ' (it takes no arguments)'}`)
    }
  }
  for (const r of schema.required ?? []) if (!(r in args) && !reported.has(r)) problems.push(`missing required argument "${r}"`)
  for (const [k, v] of Object.entries(args)) {
    if (!(k in props)) continue
    const p = checkValue(v, props[k])
    if (p) problems.push(`argument "${k}": ${p}`)
  }
  return problems
}

export function argumentsError(what: string, problems: string[], schema: JsonSchema | undefined): KaosError {
  const lines = describeSchema(schema)
  const suggestions = lines.length > 0 ? [`${what} takes: ${lines.join('; ')}`] : [`${what} takes no arguments`]
  suggestions.push('Pass --args \'{"name": value}\' or repeat --arg name=value.')
  return new KaosError(`${what}: ${problems.join('; ')}`, {exit: ExitCode.INVALID_INPUT, suggestions, data: {problems, inputSchema: schema}})
}

/** `K=V` (or `K: V`) header flags as an object; the name is kept as given. */
export function parseHeaders(values: string[] = []): Record<string, string> {
  const out: Record<string, string> = {}
  for (const h of values) {
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(h)
    if (!m) throw invalid(`--header "${h}" is not NAME=VALUE`, ['e.g. --header Authorization="Bearer abc"'])
    out[m[1]] = m[2]
  }
  return out
}
