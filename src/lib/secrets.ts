// Which configuration fields hold secrets. Their literal values go into a Secret, never into a
// ConfigMap, an annotation or a file anyone can read.

/**
 * A field name that holds a credential: api_key, any *_key, *token* (not token counts such as
 * max_tokens), *secret*, password, *credential*.
 */
export function isKeyLike(field: string): boolean {
  const k = field.toLowerCase()
  if (/tokens$/.test(k)) return false
  return k === 'key' || /(^|[_-])key$/.test(k) || k.endsWith('apikey') || /token|secret|passw(or)?d|credential/.test(k)
}
