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

/** A duration for messages, the way flags take it: 250ms, 2s, 1.5s, 5m, 1h30m. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor((ms % 3_600_000) / 60_000)
  const s = Math.round((ms % 60_000) / 1000)
  return [h && `${h}h`, m && `${m}m`, s && `${s}s`].filter(Boolean).join('') || '0s'
}
