// One logfmt line per event on stdout (`time=… call=tool name=get_item status=ok ms=4.1`).
// Callers pass names, statuses and durations only: never argument values or header values, which
// may be secrets or personal data.

import {writeSync} from 'node:fs'

export type Fields = Record<string, string | number | boolean | undefined>

// Lines are written once per event-loop turn: under load one write carries many lines, instead of
// a write (a syscall on the pipe Kubernetes reads) per call. Whatever is pending when the process
// exits is written synchronously.
let pending = ''
let scheduled = false

function flush(): void {
  scheduled = false
  const out = pending
  pending = ''
  if (out) process.stdout.write(out)
}

process.on('exit', () => {
  if (pending) writeSync(1, pending)
  pending = ''
})

export function log(fields: Fields): void {
  let line = `time=${new Date().toISOString()}`
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue
    line += ` ${k}=${quote(String(v))}`
  }
  pending += line + '\n'
  if (!scheduled) {
    scheduled = true
    setImmediate(flush)
  }
}

function quote(v: string): string {
  return v === '' || /[\s"=\\]/.test(v) ? JSON.stringify(v) : v
}

export function ms(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10
}
