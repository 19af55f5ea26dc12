// MCP results for the terminal: text as is, JSON pretty-printed, binary content saved to files.
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {ExitCode, KaosError} from '../../lib/errors.js'
import {type JsonSchema, describeSchema} from '../../lib/invoke/args.js'
import type {McpActionResult} from '../../lib/invoke/mcp.js'
import {type McpContent, type McpProgress, type McpTool, type McpToolResult, firstLine} from '../../lib/mcp/session.js'
import {stripControl} from './terminal.js'

const EXT: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/svg+xml': 'svg',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/mpeg': 'mp3',
  'audio/ogg': 'ogg',
  'application/pdf': 'pdf',
  'application/zip': 'zip',
  'application/gzip': 'gz',
  'application/json': 'json',
  'text/plain': 'txt',
}

/** Where binary content goes: a directory made on first use. */
export class OutputFiles {
  private dir?: string
  private n = 0
  readonly written: string[] = []
  constructor(
    private readonly baseDir: string | undefined,
    private readonly prefix: string,
  ) {}

  save(data: Buffer, mimeType: string | undefined, hint?: string): string {
    if (!this.dir) {
      if (this.baseDir) {
        mkdirSync(this.baseDir, {recursive: true})
        this.dir = this.baseDir
      } else this.dir = mkdtempSync(join(tmpdir(), 'kaos-invoke-'))
    }
    this.n++
    const ext = EXT[(mimeType ?? '').split(';')[0].trim()] ?? (hint && /\.[a-z0-9]{1,5}$/i.test(hint) ? hint.split('.').pop()! : 'bin')
    const safe = this.prefix.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60) || 'content'
    const path = join(this.dir, `${safe}-${this.n}.${ext}`)
    writeFileSync(path, data)
    this.written.push(path)
    return path
  }
}

/** Pretty-print text that is JSON; leave anything else as it is. */
export function prettyText(text: string): string {
  const t = text.trim()
  if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
    try {
      return JSON.stringify(JSON.parse(t), null, 2)
    } catch {
      // not JSON after all
    }
  }
  return text
}

/** One content block as terminal text; binary goes to a file and the path is printed. */
export function renderContent(c: McpContent, files: OutputFiles): string {
  switch (c.type) {
    case 'text':
      return prettyText(c.text ?? '')
    case 'image':
    case 'audio': {
      const path = files.save(Buffer.from(c.data ?? '', 'base64'), c.mimeType)
      return `[${c.type} ${c.mimeType ?? ''} saved to ${path}]`
    }
    case 'resource': {
      const r = c.resource
      if (!r) return JSON.stringify(c, null, 2)
      if (r.text !== undefined) return `[resource ${r.uri}]\n${prettyText(r.text)}`
      const path = files.save(Buffer.from(r.blob ?? '', 'base64'), r.mimeType, r.uri)
      return `[resource ${r.uri} ${r.mimeType ?? ''} saved to ${path}]`
    }
    case 'resource_link':
      return `[resource link ${c.uri}${c.name ? ` (${c.name})` : ''}${c.mimeType ? ` ${c.mimeType}` : ''}]`
    default:
      return JSON.stringify(c, null, 2)
  }
}

/** A tool result for the terminal: every content block, or the structured content alone. */
export function renderToolResult(r: McpToolResult, files: OutputFiles): string {
  const blocks = (r.content ?? []).map((c) => renderContent(c, files))
  if (blocks.length === 0 && r.structuredContent !== undefined) blocks.push(JSON.stringify(r.structuredContent, null, 2))
  return blocks.join('\n')
}

/** Tools as a terminal listing: name, description, one line per argument. */
export function renderToolList(tools: McpTool[], describe: (s: JsonSchema | undefined) => string[]): string {
  if (tools.length === 0) return 'no tools'
  const lines: string[] = []
  for (const t of tools) {
    const desc = firstLine(t.description, 200)
    lines.push(desc ? `${t.name}  ${desc}` : t.name)
    const args = describe(t.inputSchema)
    for (const a of args) lines.push(`    ${a}`)
    if (args.length === 0) lines.push('    (no arguments)')
  }
  return lines.join('\n')
}

export const TOOL_ERROR_EXIT = ExitCode.TOOL_ERROR

/** One progress notification of a tool call, for the status line: `slow: 3/10 (30%) step 3`. */
export function formatProgress(tool: string, p: McpProgress): string {
  const n = (x: number) => String(Number(x.toFixed(2)))
  const amount = p.total ? `${n(p.progress)}/${n(p.total)} (${Math.round((p.progress / p.total) * 100)}%)` : n(p.progress)
  return `${tool}: ${amount}${p.message ? ` ${p.message}` : ''}`
}

/** What `--json` prints for each action: the MCP result itself, as the SDK returns it. */
export function jsonShape(r: McpActionResult): unknown {
  switch (r.kind) {
    case 'list-tools':
      return {server: r.server, protocolVersion: r.protocolVersion, sessionId: r.sessionId, tools: r.tools}
    case 'call':
    case 'prompt':
    case 'resource':
      return r.result
    case 'list-resources':
      return {resources: r.resources, resourceTemplates: r.resourceTemplates}
    case 'list-prompts':
      return {prompts: r.prompts}
  }
}

/**
 * An action's result for a terminal: what goes to stdout, notes for stderr, and the error to exit
 * with (a tool that returned `isError` exits 6 after its content is printed).
 */
export function printMcpResult(r: McpActionResult, opts: {outputDir?: string; terminal: boolean}): {stdout: string; notes: string[]; error?: KaosError} {
  const safe = (t: string) => (opts.terminal ? stripControl(t) : t)
  const notes: string[] = []
  const lines: string[] = []
  switch (r.kind) {
    case 'list-tools': {
      lines.push(renderToolList(r.tools, describeSchema))
      const extra = [r.offers.resources && 'resources (--list-resources)', r.offers.prompts && 'prompts (--list-prompts)'].filter(Boolean)
      notes.push(
        `${r.tools.length} tool${r.tools.length === 1 ? '' : 's'} on ${r.server?.name ?? 'the server'} ${r.server?.version ?? ''} (MCP ${r.protocolVersion ?? '?'})${extra.length > 0 ? `; it also offers ${extra.join(' and ')}` : ''}`,
      )
      break
    }
    case 'call': {
      const text = renderToolResult(r.result, new OutputFiles(opts.outputDir, r.tool))
      if (text) lines.push(text)
      if (r.result.isError) {
        const first = (r.result.content ?? []).find((c) => c.type === 'text')?.text?.split('\n').find((l) => l.trim()) ?? ''
        // Control characters in it are removed when errors are printed (cli/base-command.ts).
        // The whole answer is on stdout; the error line quotes its start, cut between words.
        const quoted = first.length <= 300 ? first : `${first.slice(0, 300).replace(/\s+\S*$/, '')}… (the whole answer is on stdout)`
        const error = new KaosError(`tool "${r.tool}" returned an error${quoted ? `: ${quoted}` : ''}`, {exit: ExitCode.TOOL_ERROR, code: 'TOOL_ERROR', data: r.result})
        return {stdout: safe(lines.join('\n')), notes, error}
      }
      break
    }
    case 'prompt': {
      const files = new OutputFiles(opts.outputDir, r.name)
      if (r.result.description) notes.push(r.result.description)
      lines.push(r.result.messages.map((m) => `[${m.role}]\n${renderContent(m.content, files)}`).join('\n\n'))
      break
    }
    case 'resource': {
      const files = new OutputFiles(opts.outputDir, r.uri.split('/').pop() || 'resource')
      for (const c of r.result.contents) {
        if (c.text !== undefined) lines.push(prettyText(c.text))
        else if (c.blob !== undefined) lines.push(`[${c.uri} ${c.mimeType ?? ''} saved to ${files.save(Buffer.from(c.blob, 'base64'), c.mimeType, c.uri)}]`)
      }
      break
    }
    case 'list-resources': {
      if (r.resources.length === 0 && r.resourceTemplates.length === 0) lines.push('no resources')
      for (const x of r.resources) lines.push(`${x.uri}  ${x.name}${x.mimeType ? ` (${x.mimeType})` : ''}${x.description ? ` - ${x.description.split('\n')[0]}` : ''}`)
      for (const t of r.resourceTemplates) lines.push(`${t.uriTemplate}  ${t.name} (template)${t.description ? ` - ${t.description.split('\n')[0]}` : ''}`)
      break
    }
    case 'list-prompts': {
      if (r.prompts.length === 0) lines.push('no prompts')
      for (const p of r.prompts) {
        lines.push(p.description ? `${p.name}  ${p.description.split('\n')[0]}` : p.name)
        for (const a of p.arguments ?? []) lines.push(`    ${a.name}: string ${a.required ? '(required)' : '(optional)'}${a.description ? ` - ${a.description}` : ''}`)
      }
      break
    }
  }
  return {stdout: safe(lines.join('\n')), notes: notes.map(safe)}
}
