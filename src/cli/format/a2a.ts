// A2A tasks and agent cards for a terminal. Server text loses escape sequences on a terminal.
import type {A2ATask, AgentCard} from '../../lib/a2a.js'
import {stripControl} from './terminal.js'

const clean = (s: string, terminal: boolean) => (terminal ? stripControl(s) : s)

/** One line per update while a task runs: time, state, and what is new. */
export function updateLine(t: A2ATask, previous: A2ATask | undefined, terminal: boolean): string {
  const time = new Date().toTimeString().slice(0, 8)
  const fresh = t.history.slice(previous?.history.length ?? 0).filter((m) => m.role === 'agent' && m.text)
  const note = fresh.at(-1)?.text ?? (t.message !== previous?.message ? t.message : undefined)
  return `${time} ${t.state}${note ? `: ${clean(note.split('\n')[0].slice(0, 200), terminal)}` : ''}`
}

/** Whether an update says anything new. */
export function changed(t: A2ATask, previous: A2ATask | undefined): boolean {
  if (!previous) return true
  return t.state !== previous.state || t.message !== previous.message || t.history.length !== previous.history.length || t.artifacts.length !== previous.artifacts.length
}

/** The whole task, as `kaos agent a2a get` prints it. */
export function taskText(t: A2ATask, terminal: boolean): string {
  const lines = [`Task:     ${t.id}`, `Session:  ${t.contextId}`, `State:    ${t.state}${t.timestamp ? ` (${t.timestamp})` : ''}`]
  if (t.message) lines.push(`Message:  ${clean(t.message, terminal)}`)
  if (t.artifacts.length > 0) {
    lines.push(`Artifacts (${t.artifacts.length}):`)
    for (const a of t.artifacts) lines.push(`  ${a.name ? `${a.name}: ` : ''}${clean(a.text, terminal).replaceAll('\n', '\n    ')}`)
  }
  if (t.history.length > 0) {
    lines.push(`History (${t.history.length} message${t.history.length === 1 ? '' : 's'}):`)
    for (const m of t.history) lines.push(`  ${m.role.padEnd(5)} ${clean(m.text, terminal).replaceAll('\n', '\n        ')}`)
  }
  const events = (t.metadata?.events as Array<{type?: string; timestamp?: string}> | undefined) ?? []
  if (events.length > 0) {
    lines.push(`Events (${events.length}):`)
    for (const e of events) lines.push(`  ${e.timestamp ?? ''} ${e.type ?? ''}`.trimEnd())
  }
  return lines.join('\n')
}

/** The agent card, as `kaos agent card` prints it. */
export function cardText(c: AgentCard, terminal: boolean): string {
  const card = c.card
  const s = (v: unknown) => clean(String(v ?? ''), terminal)
  const interfaces: string[] = [
    ...(card.supportedInterfaces ?? []).map((i: any) => `${i.protocolBinding ?? '?'} ${i.protocolVersion ?? ''} ${i.url ?? ''}`.replace(/\s+/g, ' ').trim()),
    ...(card.url ? [`${card.preferredTransport ?? (c.pais ? 'JSONRPC' : 'JSONRPC')} ${card.protocolVersion ?? ''} ${card.url}`.replace(/\s+/g, ' ').trim()] : []),
    ...(card.additionalInterfaces ?? []).map((i: any) => `${i.transport ?? '?'} ${i.url ?? ''}`),
  ]
  const caps = Object.entries(card.capabilities ?? {})
    .filter(([, v]) => v === true)
    .map(([k]) => k)
  const skills = (card.skills ?? []) as Array<{id?: string; name?: string; description?: string}>
  const lines = [
    `Name:          ${s(card.name)}`,
    ...(card.description ? [`Description:   ${s(card.description)}`] : []),
    ...(card.version ? [`Version:       ${s(card.version)}`] : []),
    `Card:          ${c.path}${c.pais ? " (upstream KAOS's agent runtime)" : ''}`,
    ...interfaces.map((i, n) => `${n === 0 ? 'Interfaces:    ' : '               '}${s(i)}`),
    `Capabilities:  ${caps.join(', ') || 'none'}`,
    `Skills (${skills.length}):${skills.length === 0 ? '    none' : ''}`,
  ]
  const width = Math.max(0, ...skills.map((k) => String(k.name ?? k.id ?? '').length))
  for (const k of skills) lines.push(`  ${s(k.name ?? k.id).padEnd(width)}  ${s((k.description ?? '').split('\n')[0])}`)
  return lines.join('\n')
}
