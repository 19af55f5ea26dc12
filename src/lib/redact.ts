// Credentials in URLs (`http://user:password@host/…`) are for the request, never for output:
// errors, --json, warnings and debug logs show `***` instead.

/** A URL with its `user:password@` replaced by `***@` (otherwise as given), for messages and JSON output. */
export function redactUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)([\s\S]*)$/i.exec(url)
  if (!m) return url
  const at = m[2].lastIndexOf('@')
  if (at !== -1) return `${m[1]}***@${m[2].slice(at + 1)}${m[3]}`
  if (!m[3].includes('@') || URL.canParse(url)) return url
  // Not a URL, e.g. a password with a raw "/": hide everything up to the last "@".
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)\S*@/i, '$1***@')
}

/** Every `scheme://user:password@` in free text (an error message, a log line) as `scheme://***@`. */
export function redactUserinfo(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@'"<>`]*(?:@[^\s/?#@'"<>`]*)*@/gi, '$1***@')
}
