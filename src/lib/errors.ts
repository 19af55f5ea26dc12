/**
 * Exit codes are part of kaos's public contract: CI jobs branch on them. The table is written once,
 * here, and rendered into every command's help and into the README. Never renumber an entry.
 */
export const EXIT_CODES = [
  {code: 0, name: 'OK', meaning: 'success'},
  {code: 1, name: 'UNEXPECTED', meaning: 'unexpected internal error (please report it)'},
  {code: 2, name: 'INVALID_INPUT', meaning: 'invalid input: flags, documents, registry and config files, projects kaos cannot run, a web UI with no terminal'},
  {code: 3, name: 'CLUSTER_UNREACHABLE', meaning: 'cluster unreachable, TLS failure, unauthorised or forbidden'},
  {code: 4, name: 'WAIT_TIMEOUT', meaning: '--wait timed out before the workload was ready (or gone)'},
  {code: 5, name: 'WORKLOAD_FAILED', meaning: 'workload failed: image pull, crash loop, unschedulable, probes, missing secret; a server kaos mcp run started exited'},
  {code: 6, name: 'TOOL_ERROR', meaning: 'the invoked MCP tool, agent or model API returned an error (an A2A task failed, an agent serves no A2A), or the MCP Inspector failed'},
  {code: 7, name: 'CONFLICT', meaning: 'server-side apply conflict with another field manager (see --force-conflicts)'},
  {code: 8, name: 'NOT_FOUND', meaning: 'the named workload, namespace, resource or A2A task does not exist (also one a document names, e.g. the model API of an agent; a namespace being deleted)'},
  {code: 9, name: 'IMAGE_BUILD_FAILED', meaning: 'Docker engine unreachable, or image build, push or kind load failed'},
] as const

export type ExitName = (typeof EXIT_CODES)[number]['name']

/** Exit codes by name, e.g. `ExitCode.INVALID_INPUT === 2`. */
export const ExitCode = Object.fromEntries(EXIT_CODES.map((e) => [e.name, e.code])) as {
  readonly [K in ExitName]: Extract<(typeof EXIT_CODES)[number], {name: K}>['code']
}

export type ExitCodeValue = (typeof EXIT_CODES)[number]['code']

/** The exit-code table as plain text, for help output and the README. */
export function exitCodeTable(): string {
  return EXIT_CODES.map((e) => `  ${String(e.code).padStart(2)}  ${e.meaning}`).join('\n')
}

/**
 * Finer-grained error codes than the exit code, for `--json` consumers (`error.code`). An error
 * without one reports its exit code's name (e.g. `INVALID_INPUT`).
 */
export type KaosErrorCode =
  | ExitName
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'TLS_ERROR'
  | 'UNREACHABLE'
  | 'TIMEOUT'
  | 'NO_READY_POD'
  | 'POD_LOST'
  | 'PORT_FORWARD_FAILED'
  | 'UNKNOWN_RESOURCE'
  | 'TOOL_ERROR'
  | 'TOOL_NOT_FOUND'
  | 'PROMPT_NOT_FOUND'
  | 'MCP_ERROR'
  | 'MCP_HTTP_ERROR'
  | 'MCP_METHOD_NOT_FOUND'
  | 'MCP_NOT_FOUND'
  | 'MCP_PROTOCOL_ERROR'
  | 'MCP_UNAUTHORIZED'
  | 'MCP_FORBIDDEN'
  | 'MCP_ORIGIN_REFUSED'
  | 'MCP_UNREACHABLE'
  | 'NOT_MCP_ENDPOINT'
  | 'MAX_TIME'
  | 'CHAT_HTTP_ERROR'
  | 'CHAT_PROTOCOL_ERROR'
  | 'CHAT_STREAM_ERROR'
  | 'IMAGE_NOT_AVAILABLE'
  | 'A2A_NOT_SUPPORTED'
  | 'A2A_TASK_NOT_FOUND'
  | 'A2A_ERROR'
  | 'NAMESPACE_TERMINATING'

export interface KaosErrorOptions {
  /** Required: a forgotten exit code must not silently blame the user's input. */
  exit: ExitCodeValue
  code?: KaosErrorCode
  suggestions?: string[]
  data?: unknown
}

/**
 * An error kaos expects and explains: one line naming the problem and the fix, a documented exit
 * code, optional suggestions and structured data for `--json` consumers.
 */
export class KaosError extends Error {
  readonly exit: ExitCodeValue
  readonly suggestions: string[]
  readonly data?: unknown
  readonly code: KaosErrorCode

  constructor(message: string, opts: KaosErrorOptions) {
    super(message)
    this.name = 'KaosError'
    this.exit = opts.exit
    this.suggestions = opts.suggestions ?? []
    this.data = opts.data
    this.code = opts.code ?? EXIT_CODES.find((e) => e.code === this.exit)!.name
  }
}

/** Shorthand for an invalid-input error (exit 2). */
export function invalid(message: string, suggestions?: string[]): KaosError {
  return new KaosError(message, {exit: ExitCode.INVALID_INPUT, suggestions})
}

/**
 * A namespace that is being deleted takes nothing new (the API server's NamespaceLifecycle answers
 * 403): it is going away, so exit 8, and the fix is to wait, not to ask for rights.
 */
export function namespaceTerminating(namespace: string): KaosError {
  return new KaosError(`namespace "${namespace}" is being deleted: nothing can be created in it until it is gone`, {
    exit: ExitCode.NOT_FOUND,
    code: 'NAMESPACE_TERMINATING',
    suggestions: [`Wait until it is gone (kubectl wait --for=delete namespace/${namespace} --timeout=5m), then run this again with --create-namespace; or pick another with -n.`],
    data: {namespace},
  })
}
