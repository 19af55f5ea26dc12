// One logfmt line per event on stdout (`time=… call=tool name=get_item status=ok ms=4.1`).
// Callers pass names, statuses and durations only: never argument values or header values, which
// may be secrets or personal data.

export type Fields = Record<string, string | number | boolean | undefined>

let sink: (line: string) => void = (line) => process.stdout.write(line + '\n')

export function setLogSink(f: (line: string) => void): void {
  sink = f
}

export function log(fields: Fields): void {
  let line = `time=${new Date().toISOString()}`
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue
    line += ` ${k}=${quote(String(v))}`
  }
  sink(line)
}

function quote(v: string): string {
  return v === '' || /[\s"=\\]/.test(v) ? JSON.stringify(v) : v
}

export function ms(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10
}
