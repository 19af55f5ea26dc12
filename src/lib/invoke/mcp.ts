// What `kaos mcp invoke` does once connected: list or call tools, read resources, get prompts.
// Arguments are checked against the tool's (or prompt's) schema before anything is sent.
import {ExitCode, KaosError} from '../errors.js'
import type {McpProgress, McpPrompt, McpResource, McpResourceTemplate, McpSession, McpTool, McpToolResult} from '../mcp/session.js'
import {didYouMeanText} from '../suggest.js'
import {type JsonSchema, type RawArg, buildArguments} from './args.js'

export type McpAction =
  | {kind: 'list-tools'}
  | {kind: 'call'; tool: string; json: Record<string, unknown>; args: RawArg[]; skipValidation?: boolean; maxTimeMs?: number}
  | {kind: 'prompt'; name: string; json: Record<string, unknown>; args: RawArg[]; skipValidation?: boolean}
  | {kind: 'resource'; uri: string}
  | {kind: 'list-resources'}
  | {kind: 'list-prompts'}

export interface ToolList {
  server?: {name: string; version: string; title?: string}
  protocolVersion?: string
  sessionId?: string
  tools: McpTool[]
  /** What else the server offers, for a hint after the list. */
  offers: {resources: boolean; prompts: boolean}
}

export type PromptResult = Awaited<ReturnType<McpSession['getPrompt']>>
export type ResourceResult = Awaited<ReturnType<McpSession['readResource']>>

export type McpActionResult =
  | ({kind: 'list-tools'} & ToolList)
  | {kind: 'call'; tool: string; result: McpToolResult; warnings: string[]}
  | {kind: 'prompt'; name: string; result: PromptResult}
  | {kind: 'resource'; uri: string; result: ResourceResult}
  | {kind: 'list-resources'; resources: McpResource[]; resourceTemplates: McpResourceTemplate[]}
  | {kind: 'list-prompts'; prompts: McpPrompt[]}

export interface McpActionHooks {
  /** The progress a tool call reports, as it arrives. */
  onProgress?: (tool: string, p: McpProgress) => void
}

/** Run one action on an open session. A tool result with `isError` is returned, not thrown. */
export async function runMcpAction(session: McpSession, action: McpAction, hooks: McpActionHooks = {}): Promise<McpActionResult> {
  switch (action.kind) {
    case 'list-tools': {
      const tools = await session.listTools()
      const caps = session.capabilities ?? {}
      return {kind: 'list-tools', server: session.serverInfo, protocolVersion: session.protocolVersion, sessionId: session.sessionId, tools, offers: {resources: Boolean(caps.resources), prompts: Boolean(caps.prompts)}}
    }
    case 'call': {
      const tool = await session.getTool(action.tool)
      const warnings: string[] = []
      const args = buildArguments({what: `tool "${action.tool}"`, schema: tool.inputSchema, json: action.json, args: action.args, skipValidation: action.skipValidation, warnings})
      const result = await session.callTool(action.tool, args, {maxTimeMs: action.maxTimeMs, onProgress: (p) => hooks.onProgress?.(action.tool, p)})
      return {kind: 'call', tool: action.tool, result, warnings}
    }
    case 'prompt': {
      const prompts = await session.listPrompts()
      const prompt = prompts.find((p) => p.name === action.name)
      if (!prompt)
        throw new KaosError(`the server has no prompt "${action.name}".${didYouMeanText(action.name, prompts.map((p) => p.name))}`.replace(/\.$/, ''), {
          exit: ExitCode.NOT_FOUND,
          code: 'PROMPT_NOT_FOUND',
          suggestions: [`Its prompts: ${prompts.map((p) => p.name).join(', ') || 'none'}`],
        })
      // Prompt arguments are strings; present them as a schema so the checks and messages match tools'.
      const schema: JsonSchema = {
        type: 'object',
        properties: Object.fromEntries((prompt.arguments ?? []).map((a) => [a.name, {type: 'string', description: a.description}])),
        required: (prompt.arguments ?? []).filter((a) => a.required).map((a) => a.name),
        additionalProperties: false,
      }
      const raw = buildArguments({what: `prompt "${action.name}"`, schema, json: action.json, args: action.args, skipValidation: action.skipValidation})
      const args = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]))
      return {kind: 'prompt', name: action.name, result: await session.getPrompt(action.name, args)}
    }
    case 'resource':
      return {kind: 'resource', uri: action.uri, result: await session.readResource(action.uri)}
    case 'list-resources': {
      const [resources, resourceTemplates] = await Promise.all([session.listResources(), session.listResourceTemplates()])
      return {kind: 'list-resources', resources, resourceTemplates}
    }
    case 'list-prompts':
      return {kind: 'list-prompts', prompts: await session.listPrompts()}
  }
}
