import type {MCPServerDoc} from '../documents.js'
import type {Runtime} from '../registry.js'
import {activeAuth, sessionsOf} from '../serving.js'
import {telemetryEnv} from '../upstream.js'
import type {GatewayRender} from './gateway.js'
import {type KubernetesObject, applyContainerOverride, clean, deploymentAndService, mergeEnv, podIdentity, pullPolicy} from './common.js'
import {ANNOTATION_CONFIG_HASH, ANNOTATION_PACKAGE, ANNOTATION_PACKAGE_BIN, ANNOTATION_RUNTIME, ANNOTATION_TRANSPORT, AUTH_SECRET_KEY, authSecretName, objectName, workloadLabels} from '../names.js'
import {ADAPTER_DIR, ADAPTER_VOLUME, mcpServerProbes} from './probes.js'
import {CLIENT_IP_TIMEOUT_SECONDS} from './serving.js'

export interface McpRenderContext {
  namespace: string
  /** Bearer token for runtimes with `auth` when the document does not set the token env itself. */
  authToken?: string
  /** kaos's stdio adapter image, for stdio runtimes that wrap an unchanged image. */
  adapterImage?: string
  /** A gateway runtime's rendered configuration (render/gateway.ts). */
  gateway?: GatewayRender
}

/** The rendered result plus things a person should know about it. */
export interface RenderResult {
  objects: KubernetesObject[]
  warnings: string[]
}

/**
 * MCPServer → [ServiceAccount?, Secret?, Deployment, Service]. Pure: same inputs, same objects.
 */
export function renderMCPServer(doc: MCPServerDoc, runtime: Runtime, ctx: McpRenderContext): RenderResult {
  const {spec} = doc
  const {name} = doc.metadata
  const {namespace} = ctx
  const objects: KubernetesObject[] = []
  const warnings: string[] = []
  const labels = workloadLabels(doc.kind, doc.metadata.name, doc.metadata.labels)
  const image = spec.container?.image ?? runtime.image!
  const env: Array<Record<string, unknown>> = Object.entries(runtime.env).map(([k, v]) => ({name: k, value: v}))
  if (runtime.paramsEnvVar && spec.params !== undefined) env.push({name: runtime.paramsEnvVar, value: spec.params})
  if (spec.telemetry?.enabled) env.push(...telemetryEnv(name, namespace, spec.telemetry.endpoint))

  const userEnv = new Set((spec.container?.env ?? []).map((e) => e.name))
  // A token for servers that always want one (slack), or that check one when exposed (rawpython,
  // the stdio adapter) and are exposed with auth.
  const auth = activeAuth(doc, runtime)
  if (auth && !userEnv.has(auth.tokenEnv)) {
    // The token lives in a Secret kaos owns, so `kaos mcp invoke` can read it back and send it.
    const secret = authSecretName(name)
    env.push({name: auth.tokenEnv, valueFrom: {secretKeyRef: {name: secret, key: AUTH_SECRET_KEY}}})
    if (ctx.authToken) {
      objects.push({apiVersion: 'v1', kind: 'Secret', metadata: {name: secret, namespace, labels}, type: 'Opaque', stringData: {[AUTH_SECRET_KEY]: ctx.authToken}})
    } else {
      // An offline render (dry run, --output-dir) mints no token and writes no placeholder that
      // `kubectl apply` would take for the real one: the Secret is the user's to create.
      warnings.push(
        `MCPServer "${name}": no Secret ${secret} rendered (kaos generates the bearer token only when it deploys); before applying these objects, create it: kubectl create secret generic ${secret} -n ${namespace} --from-literal=${AUTH_SECRET_KEY}="$(openssl rand -base64 24)" (a later kaos deploy keeps it)`,
      )
    }
  }

  let serviceAccountName = spec.serviceAccountName ?? (spec.podSpec?.serviceAccountName as string | undefined)
  if (!serviceAccountName && runtime.serviceAccount === 'required') {
    serviceAccountName = objectName('MCPServer', name)
    objects.unshift({apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: serviceAccountName, namespace, labels}})
    warnings.push(
      `MCPServer "${name}": runtime "${runtime.name}" needs Kubernetes permissions; service account ${serviceAccountName} has none until you run \`kaos system create-rbac ${name} -n ${namespace} --read-only\` (or set spec.serviceAccountName)`,
    )
  }

  // stdio servers run behind kaos's adapter, which serves streamable HTTP and whose /readyz means
  // "the child answered initialize and tools/list" (its /healthz: the child is alive).
  const stdio = runtime.transport === 'stdio'
  if (stdio) env.push({name: 'KAOS_ADAPTER_MODE', value: runtime.adapterMode})
  const probes = mcpServerProbes(runtime, {stdio, tokenEnv: auth?.tokenEnv})
  const volumes: Array<Record<string, unknown>> = []
  // A runtime's writable folders, each an emptyDir `data-<i>` (a document may mount its own volume of that name).
  const dataVolumes = runtime.writableDirs.map((dir, i) => ({dir, volume: `data-${i}`}))
  const mounts: Array<Record<string, unknown>> = dataVolumes.map(({dir, volume}) => {
    volumes.push({name: volume, emptyDir: {}})
    return {name: volume, mountPath: dir}
  })
  const gw = ctx.gateway
  if (gw) {
    objects.push(gw.configMap)
    env.push(...gw.env)
    volumes.push(gw.volume)
    mounts.push(gw.mount)
    warnings.push(...gw.warnings)
  }
  // A stdio image kaos did not build: an init container copies the adapter in, and the adapter
  // starts the image's own command as its child.
  const wrapped = stdio && !runtime.package
  const command = spec.container?.command ?? runtime.command
  let initContainers: Array<Record<string, unknown>> | undefined
  // The same init container hands the adapter's probe to an image that has no MCP client.
  if (wrapped || probes.needsAdapter) {
    volumes.push({name: ADAPTER_VOLUME, emptyDir: {}})
    mounts.push({name: ADAPTER_VOLUME, mountPath: ADAPTER_DIR, readOnly: true})
    initContainers = [
      {
        name: 'kaos-stdio-adapter',
        image: ctx.adapterImage,
        imagePullPolicy: pullPolicy(ctx.adapterImage ?? ''),
        command: ['/kaos-stdio-adapter', 'install', ADAPTER_DIR],
        volumeMounts: [{name: ADAPTER_VOLUME, mountPath: ADAPTER_DIR}],
      },
    ]
  }

  let container: Record<string, unknown> = {
    name: 'mcp-server',
    image,
    imagePullPolicy: pullPolicy(image),
    command: wrapped ? [`${ADAPTER_DIR}/kaos-stdio-adapter`, '--', ...(command ?? [])] : runtime.command,
    args: runtime.args,
    env: env.length > 0 ? env : undefined,
    ports: [{name: 'http', containerPort: runtime.port, protocol: 'TCP'}],
    volumeMounts: mounts.length > 0 ? mounts : undefined,
    readinessProbe: probes.readinessProbe,
    livenessProbe: probes.livenessProbe,
  }
  container = applyContainerOverride(container, wrapped ? {...spec.container, command: undefined} : spec.container)
  if (container.env) container.env = mergeEnv(container.env as never)

  // Runtimes that do not talk to the API server carry no token: rawpython runs user code.
  const podSpec: Record<string, unknown> = {
    ...(initContainers ? {initContainers} : {}),
    containers: [container],
    ...(volumes.length > 0 ? {volumes} : {}),
    ...podIdentity(serviceAccountName),
  }
  const podAnnotations = {
    ...(runtime.package ? {[ANNOTATION_PACKAGE]: runtime.package, ...(runtime.packageBin ? {[ANNOTATION_PACKAGE_BIN]: runtime.packageBin} : {})} : {}),
    // A changed configuration (a tool added to the selection, a URL edited) rolls the gateway.
    ...(gw ? {[ANNOTATION_CONFIG_HASH]: gw.configHash} : {}),
  }

  // Sessions kept in one process need their clients to come back to it.
  const replicas = spec.replicas ?? 1
  const clientIPAffinity = sessionsOf(doc, runtime) === 'sticky' && replicas > 1
  if (clientIPAffinity)
    warnings.push(
      `MCPServer "${name}": runtime "${runtime.name}" keeps MCP sessions in memory (sessions: sticky), so the Service pins each client IP to one of the ${replicas} pods (ClientIP affinity, ${CLIENT_IP_TIMEOUT_SECONDS / 3600} h). Its limits: clients behind one NAT or proxy all land on one pod; a port-forward (kaos mcp invoke, kubectl port-forward) bypasses the Service and pins one pod; a pod that goes away loses its sessions (clients re-initialize); Ingress controllers and Gateways ignore it. A server that keeps no sessions needs none of this (spec.sessions: stateless if yours is).`,
    )

  // Unless the document mounts its own volume there, each replica keeps data the others never see.
  const ownVolumes = new Set(((spec.podSpec as {volumes?: Array<{name?: string}>} | undefined)?.volumes ?? []).map((v) => v.name))
  const podLocal = dataVolumes.filter((d) => !ownVolumes.has(d.volume))
  if (replicas > 1 && podLocal.length > 0)
    warnings.push(
      `MCPServer "${name}": runtime "${runtime.name}" keeps its data in ${podLocal.map((d) => d.dir).join(', ')} on each pod's own disk (an emptyDir): the ${replicas} replicas do not share it, and a pod's copy goes with the pod. To share it, mount a volume there with spec.podSpec (volumes named ${podLocal.map((d) => d.volume).join(', ')}).`,
    )

  objects.push(
    ...deploymentAndService({
      doc,
      namespace,
      podSpec: clean(podSpec),
      port: runtime.port,
      path: runtime.path,
      podAnnotations: Object.keys(podAnnotations).length > 0 ? podAnnotations : undefined,
      clientIPAffinity,
      // What clients speak: the adapter serves stdio servers as streamable HTTP.
      annotations: {[ANNOTATION_RUNTIME]: runtime.name, [ANNOTATION_TRANSPORT]: stdio ? 'http' : runtime.transport},
    }),
  )
  return {objects, warnings}
}
