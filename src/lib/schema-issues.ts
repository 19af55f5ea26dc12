// Turning schema (zod) issues into kaos's one-line messages, for documents and registry files alike.

/** The value at a zod issue path in the raw input (zod does not keep inputs on issues). */
export function valueAtPath(input: unknown, path: PropertyKey[]): unknown {
  let v = input
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<PropertyKey, unknown>)[k]
  }
  return v
}
