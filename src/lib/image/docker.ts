// The one module that talks to a Docker engine (Docker, or podman's Docker-compatible API):
// build, push, save for kind. Loaded with `await import()` by build commands only: dockerode
// costs ~150 ms at startup. Every failure becomes a KaosError with exit 9 (IMAGE_BUILD_FAILED).
import Docker from 'dockerode'
import {createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import {ExitCode, KaosError} from '../errors.js'
import {splitReference} from './project.js'

const fail = (message: string, suggestions: string[] = [], data?: unknown) => new KaosError(message, {exit: ExitCode.IMAGE_BUILD_FAILED, suggestions, data})

/** Where dockerode connects: DOCKER_HOST, else the default socket. */
export function dockerHost(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST || 'unix:///var/run/docker.sock'
}

const NETWORK_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'EPIPE', 'ENOTSOCK', 'EPERM'])

/** A connection-level failure (no engine answering), as opposed to an engine's error answer. */
export function isUnreachable(error: unknown): boolean {
  const e = error as {code?: string; statusCode?: number; message?: string}
  if (e?.statusCode) return false
  return (e?.code !== undefined && NETWORK_CODES.has(e.code)) || /socket hang up|timed out|Invalid URL|protocol/i.test(e?.message ?? '')
}

function unreachable(error: unknown): KaosError {
  const e = error as {code?: string; message?: string}
  const why = e?.code ?? e?.message ?? String(error)
  return fail(`cannot reach the Docker engine at ${dockerHost()} (${why})`, [
    'Start Docker (or `podman system service`), or point DOCKER_HOST at its socket, e.g. DOCKER_HOST=unix:///run/user/1000/podman/podman.sock.',
  ])
}

/** A connected client; fails fast (5 s) with one clear line when no engine answers. */
export async function connectDocker(timeoutMs = 5000): Promise<Docker> {
  let docker: Docker
  try {
    docker = new Docker()
  } catch (error) {
    throw unreachable(error)
  }
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('timed out'), {code: 'ETIMEDOUT'})), timeoutMs)
      }),
    ])
  } catch (error) {
    throw unreachable(error)
  } finally {
    clearTimeout(timer)
  }
  return docker
}

interface StreamEvent {
  stream?: string
  status?: string
  id?: string
  progress?: string
  progressDetail?: {current?: number; total?: number}
  aux?: {ID?: string; Digest?: string; Tag?: string}
  error?: string
  errorDetail?: {message?: string; code?: number}
}

/**
 * Follow a JSON-lines progress stream to its end. dockerode's callback reports transport errors
 * only: an `errorDetail` event (failed step, refused push) must be looked for in the events.
 */
function follow(docker: Docker, stream: NodeJS.ReadableStream, onEvent: (e: StreamEvent) => void): Promise<{error?: string}> {
  return new Promise((resolve, reject) => {
    let error: string | undefined
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve({error})),
      (e: StreamEvent) => {
        if (e.errorDetail || e.error) error ??= e.errorDetail?.message || e.error
        onEvent(e)
      },
    )
  })
}

export interface BuildOptions {
  context: Readable
  tag: string
  /** Path of the Dockerfile inside the context. */
  dockerfile?: string
  buildargs?: Record<string, string>
  platform?: string
  /** Each line of build output, as it arrives. */
  onLine?: (line: string) => void
  /** Bound on the whole build (an engine that stops answering must not hold the command forever). */
  timeoutMs?: number
}

/** Default bound on one image build. */
export const DEFAULT_BUILD_TIMEOUT_MS = 30 * 60_000

/** The image's id when the engine has `ref`, else undefined. */
export async function localImage(docker: Docker, ref: string): Promise<{id: string; created?: string} | undefined> {
  try {
    const info = await docker.getImage(ref).inspect()
    return {id: info.Id, created: info.Created}
  } catch (error) {
    if ((error as {statusCode?: number}).statusCode === 404) return undefined
    if (isUnreachable(error)) throw unreachable(error)
    throw fail(`inspecting ${ref} failed: ${engineMessage(error)}`)
  }
}

export interface BuildOutcome {
  imageId: string
  /** The last `Step n/m` line seen. */
  steps: number
}

const STEP = /^(?:Step|STEP) \d+\/\d+ ?: ?/

/** Build an image from a tar context; streams the build output line by line. */
export async function buildImage(docker: Docker, opts: BuildOptions): Promise<BuildOutcome> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS
  const deadline = AbortSignal.timeout(timeoutMs)
  const timedOut = () =>
    fail(`the build of ${opts.tag} did not finish within ${Math.round(timeoutMs / 1000)}s (--timeout): the Docker engine at ${dockerHost()} stopped answering or the build is too slow`, [
      'Check the engine (`docker info`), or raise --timeout for a slow build.',
    ])
  let stream: NodeJS.ReadableStream
  try {
    // Only set options go into the query: docker-modem sends `undefined` values as text, and the engine answers 400.
    const options: Docker.ImageBuildOptions & {abortSignal?: AbortSignal} = {t: opts.tag, rm: true, abortSignal: deadline}
    if (opts.dockerfile) options.dockerfile = opts.dockerfile
    if (opts.buildargs && Object.keys(opts.buildargs).length > 0) options.buildargs = opts.buildargs
    if (opts.platform) options.platform = opts.platform
    stream = await docker.buildImage(opts.context as unknown as NodeJS.ReadableStream, options)
  } catch (error) {
    if (deadline.aborted) throw timedOut()
    if (isUnreachable(error)) throw unreachable(error)
    throw fail(`the Docker engine refused the build: ${engineMessage(error)}`)
  }
  // Past the deadline, end the output stream: `follow` then fails and the build is reported as timed out.
  const onDeadline = () => (stream as unknown as {destroy?: (e: Error) => void}).destroy?.(timedOut())
  deadline.addEventListener('abort', onDeadline, {once: true})
  let lastStep: string | undefined
  let steps = 0
  let imageId: string | undefined
  let partial = ''
  const emit = (line: string) => {
    if (STEP.test(line)) {
      lastStep = line.trim()
      steps++
    }
    opts.onLine?.(line)
  }
  let outcome: {error?: string}
  try {
    outcome = await follow(docker, stream, (e) => {
      if (e.stream !== undefined) {
        const text = partial + e.stream
        const lines = text.split('\n')
        partial = lines.pop() ?? ''
        for (const l of lines) if (l.trim()) emit(l.replace(/\r$/, ''))
      } else if (e.status) emit(`${e.id ? `${e.id}: ` : ''}${e.status}${e.progress ? ` ${e.progress}` : ''}`)
      if (e.aux?.ID) imageId = e.aux.ID
    })
  } catch (error) {
    if (deadline.aborted) throw timedOut()
    if (isUnreachable(error)) throw unreachable(error)
    throw fail(`image build of ${opts.tag} failed: ${engineMessage(error)}`)
  } finally {
    deadline.removeEventListener('abort', onDeadline)
  }
  if (partial.trim()) emit(partial)
  if (outcome.error) {
    const message = outcome.error.trim()
    const where = lastStep && !/\bstep\b/i.test(message) ? ` at ${lastStep}` : ''
    const fromFailed = !lastStep || /^(?:Step|STEP) 1\/\d+ ?: ?FROM\b/i.test(lastStep) || /\bFROM\b|pull|manifest unknown|not found|initializing source|pinging container registry/i.test(message)
    throw fail(
      `image build of ${opts.tag} failed${where}: ${message}`,
      fromFailed && /FROM|pull|manifest|source|registry|not found/i.test(`${lastStep ?? ''} ${message}`)
        ? ['Check the base image (--base-image): it must exist locally or be pullable by the engine.']
        : ['Fix that Dockerfile step; the full build output is above (or rerun without --json).'],
      {step: lastStep, message},
    )
  }
  if (!imageId) {
    try {
      imageId = (await docker.getImage(opts.tag).inspect()).Id
    } catch (error) {
      throw fail(`the build of ${opts.tag} reported success but the image is missing: ${engineMessage(error)}`)
    }
  }
  return {imageId, steps}
}

function engineMessage(error: unknown): string {
  const e = error as {json?: {message?: string} | string | null; reason?: string; message?: string; statusCode?: number}
  const json = typeof e?.json === 'string' ? e.json : e?.json?.message
  return (json || e?.message || String(error)).toString().trim()
}

// ---------------------------------------------------------------------------------------------
// Registry credentials: ~/.docker/config.json `auths`, `credHelpers`, `credsStore`.

export interface AuthConfig {
  username?: string
  password?: string
  identitytoken?: string
  serveraddress?: string
}

const DOCKER_HUB = 'https://index.docker.io/v1/'
const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])

function normalizeRegistry(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '')
  return HUB_HOSTS.has(host) ? 'docker.io' : host
}

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json')
}

/** Runs `docker-credential-<helper> get` with the server on stdin; returns its stdout, or undefined when it has no entry. */
export type CredentialHelperRunner = (helper: string, server: string) => Promise<string | undefined>

const runCredentialHelper: CredentialHelperRunner = async (helper, server) => {
  const {execa} = await import('execa')
  const bin = `docker-credential-${helper}`
  try {
    const r = await execa(bin, ['get'], {input: server, timeout: 20_000})
    return r.stdout
  } catch (error) {
    const e = error as {code?: string; stdout?: string; stderr?: string; shortMessage?: string}
    if (e.code === 'ENOENT') throw fail(`the credential helper ${bin} named in ${dockerConfigPath()} is not installed`, [`Install ${bin}, or remove "${helper}" from credsStore/credHelpers.`])
    if (/not found|no credentials/i.test(`${e.stdout ?? ''} ${e.stderr ?? ''}`)) return undefined
    throw fail(`${bin} get failed: ${(e.stderr || e.shortMessage || String(error)).trim()}`)
  }
}

/**
 * Credentials for a registry host, the way the docker CLI finds them: `credHelpers[host]`, then
 * `auths[host]` (`auth` = base64 user:password, or `identitytoken`), then `credsStore`.
 * Undefined when there are none (anonymous push, e.g. a local registry).
 */
export async function registryAuth(host: string, opts: {configFile?: string; runHelper?: CredentialHelperRunner} = {}): Promise<{auth: AuthConfig; source: string} | undefined> {
  const file = opts.configFile ?? dockerConfigPath()
  if (!existsSync(file)) return undefined
  let config: {auths?: Record<string, {auth?: string; username?: string; password?: string; identitytoken?: string}>; credHelpers?: Record<string, string>; credsStore?: string}
  try {
    config = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw fail(`${file} is not valid JSON: ${(error as Error).message}`)
  }
  const want = normalizeRegistry(host)
  const server = want === 'docker.io' ? DOCKER_HUB : host
  const run = opts.runHelper ?? runCredentialHelper
  const fromHelper = async (helper: string, source: string) => {
    const out = await run(helper, server)
    if (!out) return undefined
    let creds: {Username?: string; Secret?: string}
    try {
      creds = JSON.parse(out)
    } catch {
      throw fail(`docker-credential-${helper} returned something other than JSON for ${server}`)
    }
    if (!creds.Secret) return undefined
    const auth: AuthConfig = creds.Username === '<token>' ? {identitytoken: creds.Secret, serveraddress: server} : {username: creds.Username, password: creds.Secret, serveraddress: server}
    return {auth, source}
  }
  const helperKey = Object.keys(config.credHelpers ?? {}).find((k) => normalizeRegistry(k) === want)
  if (helperKey) {
    const found = await fromHelper(config.credHelpers![helperKey], `credHelpers (docker-credential-${config.credHelpers![helperKey]})`)
    if (found) return found
  }
  const authKey = Object.keys(config.auths ?? {}).find((k) => normalizeRegistry(k) === want)
  const entry = authKey ? config.auths![authKey] : undefined
  if (entry?.identitytoken) return {auth: {identitytoken: entry.identitytoken, serveraddress: server}, source: `auths in ${file}`}
  if (entry?.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
    const at = decoded.indexOf(':')
    if (at < 0) throw fail(`the auths entry for ${authKey} in ${file} is not base64 of user:password`)
    return {auth: {username: decoded.slice(0, at), password: decoded.slice(at + 1), serveraddress: server}, source: `auths in ${file}`}
  }
  if (entry?.username && entry.password) return {auth: {username: entry.username, password: entry.password, serveraddress: server}, source: `auths in ${file}`}
  if (config.credsStore) return fromHelper(config.credsStore, `credsStore (docker-credential-${config.credsStore})`)
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Push

export interface PushOutcome {
  digest?: string
  /** Where the credentials came from, or "none" (anonymous). */
  credentials: string
}

/** Push `ref` (which must name a registry host); progress is reported per layer. */
export async function pushImage(docker: Docker, ref: string, host: string, opts: {auth?: AuthConfig; credentials?: string; onLine?: (line: string) => void} = {}): Promise<PushOutcome> {
  const {repo, tag} = splitReference(ref)
  // Docker requires an X-Registry-Auth header on push; `{}` means anonymous.
  const authconfig = opts.auth ?? {}
  let stream: NodeJS.ReadableStream
  try {
    stream = await docker.getImage(repo).push({tag, authconfig} as Parameters<Docker.Image['push']>[0] & {})
  } catch (error) {
    if (isUnreachable(error)) throw unreachable(error)
    throw pushError(ref, host, engineMessage(error))
  }
  const layers = new Map<string, string>()
  let digest: string | undefined
  let outcome: {error?: string}
  try {
    outcome = await follow(docker, stream, (e) => {
      const d = /digest: (sha256:[a-f0-9]{64})/.exec(e.status ?? '')?.[1] ?? e.aux?.Digest
      if (d) digest = d
      if (!e.status || e.errorDetail) return
      if (e.id && !d) {
        // One line per layer and state (Preparing, Pushing, Pushed, Layer already exists), plus quarters of the upload.
        const detail = e.progressDetail
        const quarter = detail?.total ? Math.min(4, Math.floor(((detail.current ?? 0) / detail.total) * 4)) : undefined
        const key = `${e.status}${quarter === undefined ? '' : `:${quarter}`}`
        if (layers.get(e.id) === key) return
        layers.set(e.id, key)
        opts.onLine?.(`layer ${e.id}: ${e.status}${quarter === undefined || !detail?.total ? '' : ` ${quarter * 25}% of ${(detail.total / 1e6).toFixed(1)} MB`}`)
      } else opts.onLine?.(e.status)
    })
  } catch (error) {
    if (isUnreachable(error)) throw unreachable(error)
    throw pushError(ref, host, engineMessage(error))
  }
  if (outcome.error) throw pushError(ref, host, outcome.error)
  return {digest, credentials: opts.credentials ?? 'none'}
}

function pushError(ref: string, host: string, message: string): KaosError {
  if (/unauthori[sz]ed|authentication required|denied|\b401\b|\b403\b|no basic auth credentials|authorization failed/i.test(message))
    return fail(`push of ${ref} was refused by ${host}: not authorised (${message.trim()})`, [
      `Log in with \`docker login ${host}\` (kaos reads ~/.docker/config.json, credHelpers and credsStore), or check the account's push rights.`,
    ])
  return fail(`push of ${ref} to ${host} failed: ${message.trim()}`, [`Check that ${host} is reachable from the Docker engine (an HTTP-only registry must be listed as insecure in the engine's configuration).`])
}

/** Give an image a second name (e.g. the registry-qualified one before a push). */
export async function tagImage(docker: Docker, source: string, target: string): Promise<void> {
  const {repo, tag} = splitReference(target)
  try {
    await docker.getImage(source).tag({repo, tag})
  } catch (error) {
    throw fail(`tagging ${source} as ${target} failed: ${engineMessage(error)}`)
  }
}

// ---------------------------------------------------------------------------------------------
// kind

export type KindRunner = (args: string[], opts?: {onLine?: (line: string) => void}) => Promise<{stdout: string; stderr: string}>

export const runKind: KindRunner = async (args, opts = {}) => {
  const {execa} = await import('execa')
  const child = execa('kind', args, {timeout: 15 * 60_000, all: false})
  if (opts.onLine) child.stderr?.on('data', (b: Buffer) => b.toString().split('\n').filter((l) => l.trim()).forEach((l) => opts.onLine!(l)))
  const r = await child
  return {stdout: String(r.stdout), stderr: String(r.stderr)}
}

/**
 * Load the image into a kind cluster's nodes. The image is saved through the Docker API and
 * loaded with `kind load image-archive`, so no docker CLI is needed (podman's API works too).
 */
export async function kindLoad(docker: Docker, ref: string, cluster: string, opts: {onLine?: (line: string) => void; run?: KindRunner} = {}): Promise<void> {
  const run = opts.run ?? runKind
  let clusters: string[]
  try {
    clusters = (await run(['get', 'clusters'])).stdout.split('\n').map((l) => l.trim()).filter(Boolean)
  } catch (error) {
    const e = error as {code?: string; stderr?: string; shortMessage?: string}
    if (e.code === 'ENOENT')
      throw fail('kind is not installed (no `kind` on PATH), so --kind-load cannot load the image', [
        'Install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation), or push the image to a registry the cluster can pull from with --push --image-registry HOST.',
      ])
    throw fail(`kind get clusters failed: ${(e.stderr || e.shortMessage || String(error)).trim()}`)
  }
  if (!clusters.includes(cluster))
    throw fail(`kind cluster "${cluster}" does not exist (kind get clusters: ${clusters.length > 0 ? clusters.join(', ') : 'none'})`, [
      clusters.length > 0 ? `Name one with --kind-cluster ${clusters[0]}.` : `Create it with \`kind create cluster --name ${cluster}\`.`,
    ])
  const dir = mkdtempSync(join(tmpdir(), 'kaos-kind-'))
  const archive = join(dir, 'image.tar')
  try {
    opts.onLine?.(`saving ${ref} for kind`)
    try {
      await pipeline((await docker.getImage(ref).get()) as unknown as Readable, createWriteStream(archive))
    } catch (error) {
      throw fail(`saving ${ref} from the Docker engine failed: ${engineMessage(error)}`)
    }
    try {
      await run(['load', 'image-archive', archive, '--name', cluster], {onLine: opts.onLine})
    } catch (error) {
      const e = error as {stderr?: string; shortMessage?: string}
      throw fail(`kind load into cluster "${cluster}" failed: ${(e.stderr || e.shortMessage || String(error)).trim().split('\n').slice(-3).join(' ')}`)
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
