import {invalid} from './errors.js'

/**
 * Ctrl-C and SIGTERM for commands that hold connections (invoke): release what is open
 * synchronously, say so on stderr, and exit at once with the shell's convention (130 for SIGINT,
 * 143 for SIGTERM). Nothing is awaited, so a hung server or API server cannot delay the exit.
 */
export function onInterrupt(cleanup: () => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    try {
      cleanup()
    } catch {
      // exiting anyway
    }
    process.stderr.write(`\ninterrupted (${signal})\n`)
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.once('SIGINT', handler)
  process.once('SIGTERM', handler)
  return () => {
    process.removeListener('SIGINT', handler)
    process.removeListener('SIGTERM', handler)
  }
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
