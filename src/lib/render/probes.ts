// Readiness and liveness of an MCPServer's container: the best probe the image allows.
//
// A kubelet probe can GET a path, open a TCP connection or run a command in the container. MCP
// needs a POST with JSON and the right Accept header, so an httpGet on /mcp is answered 405 or
// 406 and proves nothing; a TCP probe passes while the server answers 406 or 421 to every
// request. What kaos renders instead (registry `probe`):
//
//   - kaos's own servers (rawpython's /readyz, the stdio adapter's /readyz) run a real tools/list
//     in-process behind an httpGet: probe: mcp is an httpGet on that path;
//   - any other image with probe: mcp gets an exec probe running kaos's static probe binary
//     (`kaos-stdio-adapter probe`: initialize + tools/list over streamable HTTP on 127.0.0.1),
//     copied into the pod by an init container, because a distroless or scratch image has no
//     curl, shell or MCP client of its own to exec;
//   - probe: http is an httpGet on readyPath (else healthPath); tcp, or nothing declared and no
//     path, a TCP connect.
//
// Liveness stays cheap (healthPath, else TCP): a slow tool must never get a container restarted.
import type {Runtime} from '../registry.js'
import {httpProbe, tcpProbe} from './common.js'

type Obj = Record<string, any>

/** Where an init container puts kaos's adapter binary (also the wrapper of stdio images). */
export const ADAPTER_DIR = '/kaos'
export const ADAPTER_VOLUME = 'kaos-adapter'
export const ADAPTER_BIN = `${ADAPTER_DIR}/kaos-stdio-adapter`

export interface McpProbes {
  readinessProbe: Obj
  livenessProbe: Obj
  /** The exec probe needs the adapter binary in the container. */
  needsAdapter: boolean
}

/**
 * Probes for an MCPServer container. `stdio`: the adapter serves the runtime (its /readyz means
 * the child answered initialize and tools/list). `tokenEnv`: the variable holding the bearer
 * token the server checks, which the exec probe sends.
 */
export function mcpServerProbes(runtime: Runtime, opts: {stdio: boolean; tokenEnv?: string}): McpProbes {
  const live = (path?: string) => ({...(path ? httpProbe(path) : tcpProbe()), initialDelaySeconds: 10})
  if (opts.stdio) return {readinessProbe: httpProbe('/readyz'), livenessProbe: live('/healthz'), needsAdapter: false}
  const kind = runtime.probe ?? (runtime.readyPath || runtime.healthPath ? 'http' : 'tcp')
  if (kind === 'mcp' && runtime.readyPath) return {readinessProbe: httpProbe(runtime.readyPath), livenessProbe: live(runtime.healthPath), needsAdapter: false}
  if (kind === 'mcp') {
    const command = [ADAPTER_BIN, 'probe', '--url', `http://127.0.0.1:${runtime.port}${runtime.path}`, ...(opts.tokenEnv ? ['--bearer-env', opts.tokenEnv] : [])]
    // The probe's own deadline is under the kubelet's, so a slow server fails with its reason.
    return {
      readinessProbe: {exec: {command: [...command, '--timeout', '4s']}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3},
      livenessProbe: live(runtime.healthPath),
      needsAdapter: true,
    }
  }
  if (kind === 'http') return {readinessProbe: httpProbe((runtime.readyPath ?? runtime.healthPath)!), livenessProbe: live(runtime.healthPath), needsAdapter: false}
  return {readinessProbe: tcpProbe(), livenessProbe: live(runtime.healthPath), needsAdapter: false}
}
