import {parse as parseYaml, stringify} from 'yaml'

import type {ModelAPIDoc} from '../documents.js'
import type {Defaults} from '../registry.js'
import {type KubernetesObject, applyContainerOverride, clean, deploymentAndService, httpProbe, podIdentity, pullPolicy, shortHash, startupProbe} from './common.js'
import {ANNOTATION_CONFIG_HASH, modelAPIConfigName, modelAPIKeySecretName, workloadLabels} from '../names.js'
import {invalid} from '../errors.js'
import {isKeyLike} from '../secrets.js'
import type {RenderResult} from './mcpserver.js'

export interface ModelAPIRenderContext {
  namespace: string
  defaults: Defaults
}

const API_KEY_ENV = 'MODEL_API_KEY'
const CONFIG_DIR = '/etc/litellm'

/** The port a ModelAPI serves on, by mode. */
export function modelAPIPort(doc: ModelAPIDoc, defaults: Defaults): number {
  return doc.spec.mode === 'Hosted' ? defaults.modelAPI.hosted.port : defaults.modelAPI.proxy.port
}

/** The env variable LiteLLM reads one secret `litellm_params` field from. */
function paramEnv(field: string): string {
  return `LITELLM_PARAM_${field.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`
}

/** The key of a literal secret `litellm_params` field in the ModelAPI's Secret. */
function paramSecretKey(field: string): string {
  return `litellm-${field.replace(/[^-._a-zA-Z0-9]/g, '_')}`
}

type KeyRef = {secretKeyRef: {name: string; key: string}} | {configMapKeyRef: {name: string; key: string}}

/**
 * How each `litellm_params` field reaches LiteLLM: as is, or through the environment when it is a
 * reference (`{valueFrom: …}`) or the literal value of a key-like field (api_key, *_key, *token*,
 * *secret*, password), which goes to the Secret kaos owns.
 */
function splitParams(params: Record<string, unknown> | undefined): {plain: Record<string, unknown>; fromEnv: Array<{field: string; env: string; literal?: string; ref?: KeyRef}>} {
  const plain: Record<string, unknown> = {}
  const fromEnv: Array<{field: string; env: string; literal?: string; ref?: KeyRef}> = []
  for (const [field, v] of Object.entries(params ?? {})) {
    const ref = v && typeof v === 'object' && 'valueFrom' in v ? ((v as {valueFrom: KeyRef}).valueFrom) : undefined
    if (ref) fromEnv.push({field, env: paramEnv(field), ref})
    else if (typeof v === 'string' && isKeyLike(field) && !v.startsWith('os.environ/')) fromEnv.push({field, env: paramEnv(field), literal: v})
    else plain[field] = v
  }
  return {plain, fromEnv}
}

/**
 * LiteLLM's config.yaml from proxyConfig. Keys are never written literally: the config says
 * `os.environ/MODEL_API_KEY` (or `os.environ/LITELLM_PARAM_<FIELD>`) and the value comes from a
 * Secret through the pod's env.
 */
export function litellmConfig(doc: ModelAPIDoc): string {
  const pc = doc.spec.proxyConfig!
  const {plain, fromEnv} = splitParams(pc.litellmParams)
  const modelList = pc.models.map((m) => ({
    model_name: m,
    litellm_params: {
      model: pc.provider && !m.startsWith(`${pc.provider}/`) ? `${pc.provider}/${m}` : m,
      ...(pc.apiBase ? {api_base: pc.apiBase} : {}),
      ...(pc.apiKey ? {api_key: `os.environ/${API_KEY_ENV}`} : {}),
      ...plain,
      ...Object.fromEntries(fromEnv.map((p) => [p.field, `os.environ/${p.env}`])),
    },
  }))
  const otel = doc.spec.telemetry?.enabled ? {success_callback: ['otel'], failure_callback: ['otel']} : {}
  return stringify({model_list: modelList, litellm_settings: {drop_params: true, ...otel}})
}

/** The env upstream KAOS's config.yaml files name (`os.environ/PROXY_API_KEY`, `…/PROXY_API_BASE`). */
const UPSTREAM_KEY_ENV = 'PROXY_API_KEY'
const UPSTREAM_BASE_ENV = 'PROXY_API_BASE'

/**
 * `proxyConfig.configYaml.fromString`, used as the whole config.yaml, after upstream KAOS's own
 * check (every model_name is one of `models`) and kaos's: no literal key in it, since a ConfigMap
 * is readable by anyone who may read the namespace's configuration.
 */
function checkedConfigYaml(doc: ModelAPIDoc, text: string): string {
  const where = `ModelAPI "${doc.metadata.name}": spec.proxyConfig.configYaml.fromString`
  let cfg: any
  try {
    cfg = parseYaml(text)
  } catch (error) {
    throw invalid(`${where} is not YAML: ${(error as Error).message.split('\n')[0]}`)
  }
  if (!cfg || typeof cfg !== 'object' || !Array.isArray(cfg.model_list)) throw invalid(`${where} has no model_list (LiteLLM's list of models)`)
  const models = doc.spec.proxyConfig!.models
  for (const [i, entry] of (cfg.model_list as any[]).entries()) {
    const modelName = entry?.model_name
    if (typeof modelName === 'string' && !models.includes(modelName) && !models.includes('*'))
      throw invalid(`${where}: model_list[${i}].model_name "${modelName}" is not in spec.proxyConfig.models (${models.join(', ')})`, ['List every model_name of the config in proxyConfig.models, as upstream KAOS requires.'])
    for (const [field, v] of Object.entries(entry?.litellm_params ?? {}))
      if (typeof v === 'string' && isKeyLike(field) && !v.startsWith('os.environ/'))
        throw invalid(`${where}: model_list[${i}].litellm_params.${field} is a literal secret, and the config is stored in a ConfigMap`, [
          `Write ${field}: os.environ/${UPSTREAM_KEY_ENV} and set spec.proxyConfig.apiKey (or container.env) from a Secret.`,
        ])
  }
  return text
}

function renderProxy(doc: ModelAPIDoc, ctx: ModelAPIRenderContext): RenderResult {
  const {namespace, defaults} = ctx
  const {name} = doc.metadata
  const pc = doc.spec.proxyConfig!
  const labels = workloadLabels(doc.kind, doc.metadata.name, doc.metadata.labels)
  const objects: KubernetesObject[] = []
  const configName = modelAPIConfigName(name)
  const own = pc.configYaml
  // A config from the user's Secret is mounted as it is (its changes do not roll the pods: kaos
  // cannot read it offline); an inline one replaces the generated ConfigMap's content.
  const config = own && 'fromSecretKeyRef' in own ? undefined : own ? checkedConfigYaml(doc, own.fromString) : litellmConfig(doc)
  if (config !== undefined) objects.push({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: configName, namespace, labels}, data: {'config.yaml': config}})

  const env: Array<Record<string, unknown>> = []
  // A config.yaml written for upstream KAOS reads the key and base from upstream's variables.
  const keyEnv = own ? UPSTREAM_KEY_ENV : API_KEY_ENV
  if (own && pc.apiBase) env.push({name: UPSTREAM_BASE_ENV, value: pc.apiBase})
  // Literal secrets never land in the ConfigMap nor in the Deployment's source annotation: they go
  // to a Secret kaos owns, and the source records the equivalent Secret references.
  const secretName = modelAPIKeySecretName(name)
  const secretData: Record<string, string> = {}
  let sourcePc = pc
  if (pc.apiKey && 'value' in pc.apiKey) {
    secretData['api-key'] = pc.apiKey.value
    const ref = {secretKeyRef: {name: secretName, key: 'api-key'}}
    env.push({name: keyEnv, valueFrom: ref})
    sourcePc = {...sourcePc, apiKey: {valueFrom: ref}}
  } else if (pc.apiKey) env.push({name: keyEnv, valueFrom: pc.apiKey.valueFrom})
  const {fromEnv} = splitParams(pc.litellmParams)
  for (const p of fromEnv) {
    if (p.ref) env.push({name: p.env, valueFrom: p.ref})
    else {
      const ref = {secretKeyRef: {name: secretName, key: paramSecretKey(p.field)}}
      secretData[ref.secretKeyRef.key] = p.literal!
      env.push({name: p.env, valueFrom: ref})
      sourcePc = {...sourcePc, litellmParams: {...sourcePc.litellmParams, [p.field]: {valueFrom: ref}}}
    }
  }
  if (Object.keys(secretData).length > 0)
    objects.push({apiVersion: 'v1', kind: 'Secret', metadata: {name: secretName, namespace, labels}, type: 'Opaque', stringData: secretData})
  const source: ModelAPIDoc = sourcePc === pc ? doc : {...doc, spec: {...doc.spec, proxyConfig: sourcePc}}
  const t = doc.spec.telemetry
  if (t?.enabled)
    env.push(
      {name: 'OTEL_EXPORTER', value: 'otlp_grpc'},
      ...(t.endpoint ? [{name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: t.endpoint}] : []),
      {name: 'OTEL_SERVICE_NAME', value: name},
      {name: 'OTEL_PYTHON_EXCLUDED_URLS', value: '/health'},
    )

  const {port} = defaults.modelAPI.proxy
  const image = doc.spec.container?.image ?? defaults.modelAPI.proxy.image
  const container = applyContainerOverride(
    {
      name: 'model-api',
      image,
      imagePullPolicy: pullPolicy(image),
      args: ['--config', `${CONFIG_DIR}/config.yaml`, '--port', String(port)],
      env: env.length > 0 ? env : undefined,
      ports: [{name: 'http', containerPort: port, protocol: 'TCP'}],
      volumeMounts: [{name: 'config', mountPath: CONFIG_DIR, readOnly: true}],
      startupProbe: startupProbe('/health/liveliness'),
      readinessProbe: httpProbe('/health/liveliness'),
      livenessProbe: {...httpProbe('/health/liveliness'), initialDelaySeconds: 20},
    },
    doc.spec.container,
  )
  const secretConfig = own && 'fromSecretKeyRef' in own ? own.fromSecretKeyRef : undefined
  const podSpec: Record<string, unknown> = {
    containers: [container],
    ...podIdentity(doc.spec.serviceAccountName),
    volumes: [
      secretConfig
        ? {name: 'config', secret: {secretName: secretConfig.name, items: [{key: secretConfig.key, path: 'config.yaml'}], ...(secretConfig.optional === undefined ? {} : {optional: secretConfig.optional})}}
        : {name: 'config', configMap: {name: configName}},
    ],
  }
  objects.push(
    ...deploymentAndService({doc, namespace, podSpec: clean(podSpec), port, podAnnotations: config === undefined ? undefined : {[ANNOTATION_CONFIG_HASH]: shortHash(config)}, source}),
  )
  return {objects, warnings: []}
}

function renderHosted(doc: ModelAPIDoc, ctx: ModelAPIRenderContext): RenderResult {
  const {namespace, defaults} = ctx
  const {port} = defaults.modelAPI.hosted
  const image = doc.spec.container?.image ?? defaults.modelAPI.hosted.image
  const model = doc.spec.hostedConfig!.model
  const modelsMount = {name: 'models', mountPath: '/root/.ollama'}
  const hostEnv = {name: 'OLLAMA_HOST', value: `0.0.0.0:${port}`}
  // The model name reaches the shell only through $MODEL, never spliced into the script.
  const pull = {
    name: 'pull-model',
    image,
    imagePullPolicy: pullPolicy(image),
    command: ['/bin/sh', '-c', 'ollama serve & pid=$!; for i in $(seq 1 60); do ollama list >/dev/null 2>&1 && break; sleep 1; done; ollama pull "$MODEL"; rc=$?; kill $pid; exit $rc'],
    env: [hostEnv, {name: 'MODEL', value: model}],
    volumeMounts: [modelsMount],
  }
  const container = applyContainerOverride(
    {
      name: 'model-api',
      image,
      imagePullPolicy: pullPolicy(image),
      args: ['serve'],
      env: [hostEnv],
      ports: [{name: 'http', containerPort: port, protocol: 'TCP'}],
      volumeMounts: [modelsMount],
      readinessProbe: httpProbe('/'),
      livenessProbe: {...httpProbe('/'), initialDelaySeconds: 10},
    },
    doc.spec.container,
  )
  const podSpec: Record<string, unknown> = {
    initContainers: [pull],
    containers: [container],
    volumes: [{name: 'models', emptyDir: {}}],
    ...podIdentity(doc.spec.serviceAccountName),
  }
  return {objects: deploymentAndService({doc, namespace, podSpec: clean(podSpec), port}), warnings: []}
}

/** ModelAPI → LiteLLM proxy (ConfigMap, Secret?, Deployment, Service) or Ollama (Deployment, Service). */
export function renderModelAPI(doc: ModelAPIDoc, ctx: ModelAPIRenderContext): RenderResult {
  return doc.spec.mode === 'Proxy' ? renderProxy(doc, ctx) : renderHosted(doc, ctx)
}
