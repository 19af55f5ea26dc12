import {invalid} from './errors.js'

/** Parse `90s`, `5m`, `1h30m`, `250ms` or plain seconds into milliseconds; `what` names the flag. */
export function parseDuration(text: string, what = '--timeout'): number {
  const t = text.trim()
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy
  let total = 0
  let m: RegExpExecArray | null
  let end = 0
  while ((m = re.exec(t))) {
    total += Number(m[1]) * {ms: 1, s: 1000, m: 60_000, h: 3_600_000}[m[2] as 'ms' | 's' | 'm' | 'h']
    end = re.lastIndex
  }
  if (end !== t.length || t.length === 0) throw invalid(`${what} "${text}" is not a duration`, [`Use e.g. ${what} 90s, 5m or 1h.`])
  return total
}

/** Age like kubectl prints it: 45s, 12m, 3h, 2d. */
export function age(from: string | undefined, now = Date.now()): string {
  if (!from) return '<unknown>'
  const s = Math.max(0, Math.floor((now - Date.parse(from)) / 1000))
  if (s < 120) return `${s}s`
  if (s < 7200) return `${Math.floor(s / 60)}m`
  if (s < 172_800) return `${Math.floor(s / 3600)}h`
  return `${Math.floor(s / 86_400)}d`
}
