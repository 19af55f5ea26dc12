// `kaos mcp token NAME`: the bearer token an MCPServer's callers send (kaos generated it into the
// Secret mcpserver-<name>-auth when the server checks one: runtime `auth`, or exposed with auth).
import {newToken, readBearerToken} from './cluster/auth-tokens.js'
import type {Cluster} from './cluster/client.js'
import {mergePatchObject} from './cluster/objects.js'
import {type WaitResult, waitForDeployments} from './cluster/wait.js'
import {listWorkloadDeployments} from './cluster/workloads.js'
import {ExitCode, KaosError} from './errors.js'
import {ANNOTATION_RESTARTED_AT, ANNOTATION_RUNTIME, AUTH_SECRET_KEY, authSecretName, selectorString} from './names.js'
import type {Registry} from './registry.js'
import {runtimeAuth} from './serving.js'
import {getDeployment} from './workloads.js'

export interface McpToken {
  name: string
  namespace: string
  token: string
  /** Where it lives. */
  secret: {name: string; key: string}
  /** The variable the server reads it from. */
  env: string
}

export async function mcpServerToken(cluster: Cluster, name: string, namespace: string, registry: Registry): Promise<McpToken> {
  const d = await getDeployment(cluster, 'MCPServer', name, namespace)
  const runtime = registry.runtimes.get(d.metadata?.annotations?.[ANNOTATION_RUNTIME] ?? '')
  const auth = runtime && runtimeAuth(runtime)
  const none = (why: string) =>
    new KaosError(`MCPServer "${name}" in ${namespace} has no bearer token: ${why}`, {
      exit: ExitCode.NOT_FOUND,
      suggestions: ['kaos generates one when a server that checks tokens is exposed: kaos mcp deploy NAME … --expose ingress --host H.'],
    })
  if (!runtime || !auth) throw none(`its runtime "${runtime?.name ?? d.metadata?.annotations?.[ANNOTATION_RUNTIME] ?? '?'}" checks none`)
  const containers: any[] = d.spec?.template?.spec?.containers ?? []
  const ref = containers.flatMap((c) => c.env ?? []).find((e: any) => e.name === auth.tokenEnv)?.valueFrom?.secretKeyRef ?? {name: authSecretName(name), key: AUTH_SECRET_KEY}
  const {token, warning, forbidden} = await readBearerToken(cluster, d, runtime, name, namespace)
  if (forbidden)
    throw new KaosError(`cannot read Secret ${namespace}/${ref.name}, which holds the bearer token of MCPServer "${name}": forbidden`, {
      exit: ExitCode.CLUSTER_UNREACHABLE,
      code: 'FORBIDDEN',
      suggestions: [`Ask for get on secrets in namespace ${namespace}, or for the token from whoever deployed the server.`],
    })
  if (!token) throw none(warning ?? 'it is not exposed with one (its runtime checks a token only when exposed)')
  return {name, namespace, token, secret: ref, env: auth.tokenEnv}
}

export interface RotatedToken extends McpToken {
  /** Deployments restarted to read the new token: the server, and gateways that send it upstream. */
  restarted: string[]
  ready?: WaitResult[]
}

/**
 * `kaos mcp token NAME --rotate`: a new random token in kaos's Secret, then a restart of every kaos
 * Deployment in the namespace that reads that Secret (the server itself, and gateways calling it
 * as an upstream), since a Secret in env is read only when a container starts. Until the rollout
 * ends, old pods still take the old token; `wait` waits for it.
 */
export async function rotateMcpServerToken(cluster: Cluster, name: string, namespace: string, registry: Registry, opts: {wait?: {timeoutMs: number; onProgress?: (deployment: string, text: string) => void}} = {}): Promise<RotatedToken> {
  const current = await mcpServerToken(cluster, name, namespace, registry)
  if (current.secret.name !== authSecretName(name))
    throw new KaosError(`MCPServer "${name}" reads its token from Secret ${namespace}/${current.secret.name}, which kaos did not make, so kaos does not rotate it`, {
      exit: ExitCode.INVALID_INPUT,
      suggestions: [`Change the Secret yourself (kubectl create secret generic ${current.secret.name} -n ${namespace} --from-literal=${current.secret.key}=… --dry-run=client -o yaml | kubectl apply -f -), then restart the server: kubectl rollout restart deployment -n ${namespace} -l kaos.tools/name=${name}`],
    })
  const token = newToken()
  await mergePatchObject(cluster, {kind: 'Secret', name: current.secret.name, namespace}, {data: {[current.secret.key]: Buffer.from(token).toString('base64')}})
  const readers = (await listWorkloadDeployments(cluster, {kind: 'MCPServer', namespace})).filter((d: any) =>
    [...(d.spec?.template?.spec?.containers ?? []), ...(d.spec?.template?.spec?.initContainers ?? [])].some((c: any) =>
      (c.env ?? []).some((e: any) => e.valueFrom?.secretKeyRef?.name === current.secret.name),
    ),
  )
  const at = new Date().toISOString()
  await Promise.all(readers.map((d: any) => mergePatchObject(cluster, {kind: 'Deployment', name: d.metadata.name, namespace}, {spec: {template: {metadata: {annotations: {[ANNOTATION_RESTARTED_AT]: at}}}}})))
  const restarted = readers.map((d: any) => `deployment/${d.metadata.name}`)
  let ready: WaitResult[] | undefined
  if (opts.wait) {
    ready = await waitForDeployments(
      cluster,
      readers.map((d: any) => ({name: d.metadata.name, namespace, selector: selectorString(d.spec?.selector?.matchLabels ?? {})})),
      {timeoutMs: opts.wait.timeoutMs, onProgress: opts.wait.onProgress && ((t, text) => opts.wait!.onProgress!(t.name, text))},
    )
  }
  return {...current, token, restarted, ...(ready ? {ready} : {})}
}
