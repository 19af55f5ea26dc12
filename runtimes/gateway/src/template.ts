// Templates: `{{args.<name>[.<name>|.<index>]*}}` (or `{{args}}`, the whole argument object) inside
// strings. One syntax everywhere (URLs, query values, headers, JSON bodies, prompt messages,
// resource texts) so the CLI can check a document's templates against its schema at deploy time
// with the same parser the gateway uses. Pure: no I/O.

export interface Placeholder {
  /** `args.a.b` → ['a', 'b']; `{{args}}` → []. */
  path: string[]
  /** The placeholder as written, for error messages. */
  source: string
}

export type Part = string | Placeholder

export interface Template {
  parts: Part[]
  /** The template is exactly one placeholder (a JSON body value keeps the argument's type). */
  whole?: Placeholder
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g
const SEGMENT = /^[A-Za-z0-9_$-]+$/

/** Parse a template; throws an Error whose message names the bad placeholder. */
export function parseTemplate(text: string): Template {
  const parts: Part[] = []
  let last = 0
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m.index! > last) parts.push(text.slice(last, m.index))
    parts.push(parsePlaceholder(m[1], m[0]))
    last = m.index! + m[0].length
  }
  if (last < text.length) parts.push(text.slice(last))
  const rest = parts.filter((p) => typeof p === 'string').join('')
  if (rest.includes('{{') || rest.includes('}}')) {
    throw new Error(`unbalanced braces in ${JSON.stringify(text)}: a placeholder is {{args.<name>}}`)
  }
  const whole = parts.length === 1 && typeof parts[0] !== 'string' ? parts[0] : undefined
  return {parts, whole}
}

function parsePlaceholder(expr: string, source: string): Placeholder {
  const segments = expr.split('.')
  if (segments[0] !== 'args') {
    throw new Error(`${source}: a placeholder starts with "args" ({{args.<name>}}); nothing else is in scope`)
  }
  const path = segments.slice(1)
  for (const s of path) {
    if (!SEGMENT.test(s)) throw new Error(`${source}: "${s}" is not a valid name (letters, digits, _, - and $; indexes as .0)`)
  }
  return {path, source}
}

export function placeholders(t: Template): Placeholder[] {
  return t.parts.filter((p): p is Placeholder => typeof p !== 'string')
}

/** The value at a placeholder's path, or undefined when any step is missing. */
export function lookup(args: unknown, path: string[]): unknown {
  let v = args
  for (const s of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = Array.isArray(v) ? (/^\d+$/.test(s) ? v[Number(s)] : undefined) : Object.hasOwn(v, s) ? (v as Record<string, unknown>)[s] : undefined
  }
  return v
}

/** How a value reads inside a string: strings as they are, null as empty, the rest as JSON. */
export function stringify(v: unknown): string {
  if (v === undefined || v === null) return ''
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return JSON.stringify(v)
}

/**
 * Render a template into a string. `encode` is applied to each substituted value (not to the
 * template's own text). `missing` is called for a placeholder whose value is absent; by default
 * it renders as the empty string.
 */
export function render(t: Template, args: unknown, encode: (s: string) => string = (s) => s, missing?: (p: Placeholder) => void): string {
  let out = ''
  for (const p of t.parts) {
    if (typeof p === 'string') {
      out += p
      continue
    }
    const v = lookup(args, p.path)
    if (v === undefined) missing?.(p)
    out += encode(stringify(v))
  }
  return out
}

// JSON bodies: every string in the value is a template. A string that is exactly one placeholder
// takes the argument's own JSON value (number, object, …); when that argument is absent, the key
// is left out of its object (null in an array), so optional arguments need no special syntax.

const OMIT = Symbol('omit')

export type JsonTemplate = (args: unknown) => unknown

export function compileJson(value: unknown): JsonTemplate {
  const f = compileJsonInner(value)
  return (args) => {
    const v = f(args)
    return v === OMIT ? undefined : v
  }
}

function compileJsonInner(value: unknown): (args: unknown) => unknown {
  if (typeof value === 'string') {
    const t = parseTemplate(value)
    if (t.whole) {
      const path = t.whole.path
      return (args) => {
        const v = lookup(args, path)
        return v === undefined ? OMIT : v
      }
    }
    if (t.parts.length === 1 || t.parts.length === 0) return () => value
    return (args) => render(t, args)
  }
  if (Array.isArray(value)) {
    const items = value.map(compileJsonInner)
    return (args) => items.map((f) => {
      const v = f(args)
      return v === OMIT ? null : v
    })
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, compileJsonInner(v)] as const)
    return (args) => {
      const out: Record<string, unknown> = {}
      for (const [k, f] of entries) {
        const v = f(args)
        if (v !== OMIT) out[k] = v
      }
      return out
    }
  }
  return () => value
}

/** Every template string inside a JSON value (for checks). */
export function jsonTemplates(value: unknown): Template[] {
  if (typeof value === 'string') return [parseTemplate(value)]
  if (Array.isArray(value)) return value.flatMap(jsonTemplates)
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(jsonTemplates)
  return []
}

// RFC 6901 JSON pointers.

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw new Error(`${JSON.stringify(pointer)} is not a JSON pointer: it starts with "/" (or is "" for the whole document)`)
  return pointer
    .slice(1)
    .split('/')
    .map((s) => {
      if (/~(?![01])/.test(s)) throw new Error(`${JSON.stringify(pointer)}: "~" must be written ~0 and "/" inside a name ~1`)
      return s.replace(/~1/g, '/').replace(/~0/g, '~')
    })
}

/** The value a pointer selects, or undefined. */
export function resolvePointer(doc: unknown, tokens: string[]): unknown {
  let v = doc
  for (const t of tokens) {
    if (Array.isArray(v)) {
      if (!/^(0|[1-9]\d*)$/.test(t)) return undefined
      v = v[Number(t)]
    } else if (v !== null && typeof v === 'object' && Object.hasOwn(v, t)) {
      v = (v as Record<string, unknown>)[t]
    } else {
      return undefined
    }
  }
  return v
}

// RFC 6570 level 1 and reserved expansion, for resource templates: `items://{id}` and
// `files:///{+path}`. Matching a concrete URI yields the variables as the template's arguments.

export interface UriTemplate {
  variables: string[]
  match: (uri: string) => Record<string, string> | undefined
}

export function parseUriTemplate(template: string): UriTemplate {
  const variables: string[] = []
  let pattern = '^'
  let last = 0
  for (const m of template.matchAll(/\{([+]?)([A-Za-z0-9_]+)\}/g)) {
    pattern += escapeRegExp(template.slice(last, m.index))
    pattern += m[1] === '+' ? '(.+?)' : '([^/?#]+)'
    variables.push(m[2])
    last = m.index! + m[0].length
  }
  const tail = template.slice(last)
  if (/[{}]/.test(tail) || /[{}]/.test(template.replace(/\{[+]?[A-Za-z0-9_]+\}/g, ''))) {
    throw new Error(`${JSON.stringify(template)}: only {name} and {+name} expressions are supported`)
  }
  pattern += escapeRegExp(tail) + '$'
  if (new Set(variables).size !== variables.length) throw new Error(`${JSON.stringify(template)}: a variable appears twice`)
  const re = new RegExp(pattern)
  return {
    variables,
    match(uri) {
      const m = re.exec(uri)
      if (!m) return undefined
      const out: Record<string, string> = {}
      try {
        variables.forEach((v, i) => (out[v] = decodeURIComponent(m[i + 1])))
      } catch {
        return undefined
      }
      return out
    },
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
