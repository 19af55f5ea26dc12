// `kaos mcp token NAME`: the bearer token an MCPServer's callers send (kaos generated it into the
// Secret mcpserver-<name>-auth when the server checks one: runtime `auth`, or exposed with auth).
import {readBearerToken} from './cluster/auth-tokens.js'
import type {Cluster} from './cluster/client.js'
import {ExitCode, KaosError} from './errors.js'
import {ANNOTATION_RUNTIME, AUTH_SECRET_KEY, authSecretName} from './names.js'
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
