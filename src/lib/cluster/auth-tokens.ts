// Bearer tokens of MCPServers whose server checks one (runtime `auth`, or kaos's own servers when
// exposed): kaos keeps each in a Secret it owns, so redeploys reuse it and `kaos mcp invoke`,
// `kaos mcp token` and the readiness check can read it back.
import {randomBytes} from 'node:crypto'

import type {KaosDoc} from '../documents.js'
import type {KaosError} from '../errors.js'
import {AUTH_SECRET_KEY, KIND_INFO, authSecretName} from '../names.js'
import type {Registry, Runtime} from '../registry.js'
import {activeAuth, runtimeAuth} from '../serving.js'
import type {Cluster} from './client.js'
import {getObject} from './objects.js'

/** A new random bearer token. */
export function newToken(): string {
  return randomBytes(24).toString('base64url')
}

/**
 * The token for each such MCPServer: the one already in the cluster's Secret (so redeploys do not
 * rotate it and roll the pods), else a new random one. Secrets are read together.
 */
export async function authTokens(cluster: Cluster, docs: KaosDoc[], registry: Registry, namespaceOf: (d: KaosDoc) => string): Promise<Record<string, string>> {
  const need = docs.filter((d) => {
    if (d.kind !== 'MCPServer') return false
    const rt = registry.runtimes.get(d.spec.runtime)
    const auth = rt && activeAuth(d, rt)
    return auth && !d.spec.container?.env?.some((e) => e.name === auth.tokenEnv)
  })
  const secrets = await Promise.all(need.map((d) => getObject<{data?: Record<string, string>}>(cluster, 'Secret', authSecretName(d.metadata.name), namespaceOf(d))))
  return Object.fromEntries(
    need.map((d, i) => {
      const existing = secrets[i]?.data?.[AUTH_SECRET_KEY]
      return [d.metadata.name, existing ? Buffer.from(existing, 'base64').toString('utf8') : newToken()]
    }),
  )
}

/**
 * The bearer token a deployed MCPServer was started with: the literal env value, or the Secret
 * its token env refers to (kaos's own `mcpserver-<name>-auth` by default). `warning` says why
 * there is none when the caller should tell the user.
 */
export async function readBearerToken(cluster: Cluster, deployment: any, runtime: Runtime, name: string, namespace: string): Promise<{token?: string; warning?: string; forbidden?: boolean}> {
  const auth = runtimeAuth(runtime)
  if (!auth) return {}
  const containers: any[] = deployment.spec?.template?.spec?.containers ?? []
  const c = containers.find((x) => x.name === KIND_INFO.MCPServer.container) ?? containers[0]
  const env = (c?.env ?? []).find((e: any) => e.name === auth.tokenEnv)
  // A server that checks tokens only when exposed, and is not: there is none to send.
  if (!env && auth.when === 'exposed') return {}
  if (env?.value) return {token: env.value}
  const ref = env?.valueFrom?.secretKeyRef ?? {name: authSecretName(name), key: AUTH_SECRET_KEY}
  try {
    const data = (await getObject(cluster, 'Secret', ref.name, namespace))?.data?.[ref.key]
    if (data) return {token: Buffer.from(data, 'base64').toString('utf8')}
    return {warning: `the bearer token of MCPServer "${name}" is not in Secret ${namespace}/${ref.name} (key ${ref.key}); calling without it`}
  } catch (error) {
    if ((error as KaosError).code !== 'FORBIDDEN') throw error
    return {forbidden: true, warning: `cannot read Secret ${namespace}/${ref.name} for the bearer token of MCPServer "${name}" (forbidden); pass --header Authorization="Bearer <token>"`}
  }
}
