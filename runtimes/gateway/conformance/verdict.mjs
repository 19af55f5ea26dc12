// Per-scenario verdicts from the suite's checks.json files (node verdict.mjs RESULTS_DIR): one line
// each, the reason for every scenario that cannot apply to a stateless gateway, and a last line
// `conformance: N passed, M failed, K skipped`. Exits 1 when an applicable scenario failed.
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

const STATELESS = 'the gateway is stateless (no session)'
const NOT_APPLICABLE = {
  'tools-call-sampling': `a tool's request to the client (sampling) needs a session to answer on; ${STATELESS}`,
  'tools-call-elicitation': `a tool's request to the client (elicitation) needs a session to answer on; ${STATELESS}`,
  'elicitation-sep1034-defaults': `elicitation needs a session; ${STATELESS}`,
  'elicitation-sep1330-enums': `elicitation needs a session; ${STATELESS}`,
  'server-sse-polling': `SSE resumption needs a session and an event store; ${STATELESS}`,
  'server-sse-multiple-streams': `needs a session's GET stream; ${STATELESS}`,
  'resources-subscribe': `update notifications need a session's stream; ${STATELESS} and does not offer subscriptions`,
  'resources-unsubscribe': `update notifications need a session's stream; ${STATELESS} and does not offer subscriptions`,
  'tools-call-with-logging':
    "an upstream's log notifications are not tied to the call that caused them (the SDK client hands them over without a request id), so the gateway does not forward them; its own tools send none",
}

const results = process.argv[2]
const rows = []
const failed = []
for (const dir of readdirSync(results).sort()) {
  const m = /^server-(.+)-(\d{4}-\d{2}-\d{2}T[\d-]+Z)$/.exec(dir)
  if (!m) continue
  const checks = JSON.parse(readFileSync(join(results, dir, 'checks.json'), 'utf8'))
  const count = (s) => checks.filter((c) => c.status === s).length
  const [ok, bad, warn] = [count('SUCCESS'), count('FAILURE'), count('WARNING')]
  const result = `${ok} passed, ${bad} failed${warn ? `, ${warn} warnings` : ''}`
  const scenario = m[1]
  let verdict
  if (NOT_APPLICABLE[scenario]) verdict = `n/a: ${NOT_APPLICABLE[scenario]}`
  else if (bad || !ok) {
    verdict = 'FAIL'
    failed.push(scenario)
    for (const c of checks) if (c.status === 'FAILURE') verdict += `\n      ${c.id}: ${c.errorMessage}`
  } else verdict = 'ok'
  rows.push([scenario, result, verdict])
}
const width = Math.max(...rows.map((r) => r[0].length))
for (const [scenario, result, verdict] of rows) console.log(`${scenario.padEnd(width)}  ${result.padEnd(30)} ${verdict}`)
const skipped = rows.filter((r) => r[2].startsWith('n/a')).length
console.log(`conformance: ${rows.length - skipped - failed.length} passed, ${failed.length} failed, ${skipped} skipped`)
process.exit(failed.length || rows.length === skipped ? 1 : 0)
