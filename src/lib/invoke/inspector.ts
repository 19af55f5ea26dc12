// How kaos starts the MCP Inspector (@modelcontextprotocol/inspector): through npx, at pinned
// versions, so every kaos user gets the same Inspector without kaos depending on it (it is large,
// and needs a newer Node than kaos). The Inspector needs Node >= 22.19; on an older Node, npx
// also fetches the `node` package of a pinned Node 22 and the Inspector runs on that.

/** The Inspector kaos runs; bump with care: its command-line flags changed between majors. */
export const INSPECTOR_PACKAGE = '@modelcontextprotocol/inspector@2.12.0'
/** The Inspector's engines.node. */
export const INSPECTOR_MIN_NODE = '22.19.0'
/** The Node that runs it when kaos's own is older (npm's `node` package ships the binary). */
export const INSPECTOR_NODE_PACKAGE = 'node@22.23.3'

function atLeast(version: string, min: string): boolean {
  const a = version.replace(/^v/, '').split('.').map(Number)
  const b = min.split('.').map(Number)
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0)
  return true
}

export interface InspectorLaunch {
  command: string
  args: string[]
  env: NodeJS.ProcessEnv
  /** For messages: what npx is asked to run. */
  packages: string[]
}

/**
 * The npx command line for the Inspector against `url`: its web UI (`--no-open`: not opening a
 * browser), or its CLI mode with `extra` arguments (default `--method tools/list`).
 */
export function inspectorLaunch(opts: {mode: 'web' | 'cli'; url: string; transport: 'http' | 'sse'; extra?: string[]; open?: boolean; nodeVersion?: string; env?: NodeJS.ProcessEnv}): InspectorLaunch {
  const packages = [...(atLeast(opts.nodeVersion ?? process.version, INSPECTOR_MIN_NODE) ? [] : [INSPECTOR_NODE_PACKAGE]), INSPECTOR_PACKAGE]
  const target = ['--transport', opts.transport, '--server-url', opts.url]
  const extra = opts.extra ?? []
  const app = opts.mode === 'cli' ? ['--cli', ...target, ...(extra.length > 0 ? extra : ['--method', 'tools/list'])] : ['--web', ...target, ...extra]
  return {
    command: 'npx',
    args: ['--yes', ...packages.flatMap((p) => ['--package', p]), '--', 'mcp-inspector', ...app],
    env: {...(opts.env ?? process.env), ...(opts.open === false ? {MCP_AUTO_OPEN_ENABLED: 'false'} : {}), npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_loglevel: 'error'},
    packages,
  }
}
