// kaos-gateway: serves declarative MCP tools, prompts and resources over in-cluster HTTP services,
// and the tools of other MCP servers, at one stateless streamable HTTP endpoint.
//
//   KAOS_GATEWAY_CONFIG   the JSON configuration (default /etc/kaos-gateway/config.json)
//   PORT, HOST            where to listen (default 8000, all interfaces)
//   KAOS_GATEWAY_AUTH_TOKEN   when set, /mcp needs Authorization: Bearer <it> (probes stay open)
//
//   node gateway.mjs [--check] [--schema] [--version]
import {readFileSync} from 'node:fs'

import {checkEnv, configJsonSchema, DEFAULTS, parseConfig, type GatewayConfig} from './config.js'
import {Gateway} from './gateway.js'
import {serve} from './http.js'
import {log} from './log.js'

declare const KAOS_GATEWAY_VERSION: string
const VERSION = typeof KAOS_GATEWAY_VERSION === 'string' ? KAOS_GATEWAY_VERSION : '0.0.0-dev'
const DEFAULT_CONFIG = '/etc/kaos-gateway/config.json'

function fail(lines: string[]): never {
  for (const l of lines) process.stderr.write(`kaos-gateway: ${l}\n`)
  process.exit(1)
}

function loadConfig(path: string): GatewayConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    fail([`cannot read the configuration ${path}: ${code} (mount it, or point KAOS_GATEWAY_CONFIG at it)`])
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    fail([`${path}: not valid JSON: ${(error as Error).message}`])
  }
  const parsed = parseConfig(raw)
  if (!parsed.ok) fail(parsed.errors.map((e) => `${path}: ${e}`))
  const envErrors = checkEnv(parsed.config, process.env)
  if (envErrors.length) fail(envErrors.map((e) => `${path}: ${e}`))
  return parsed.config
}

function portFromEnv(): number {
  const raw = process.env.PORT ?? '8000'
  const port = Number(raw)
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) fail([`PORT=${raw} is not a port number (1-65535)`])
  return port
}

function tokenFromEnv(): string | undefined {
  const raw = process.env.KAOS_GATEWAY_AUTH_TOKEN
  if (raw === undefined) return undefined
  // Set but empty (an empty Secret key): serving without a check would be the opposite of what was asked.
  if (!raw.trim()) fail(['KAOS_GATEWAY_AUTH_TOKEN is set but empty: give it the bearer token clients send, or unset it'])
  return raw.trim()
}

async function main() {
  const argv = process.argv.slice(2)
  if (argv.includes('--version')) {
    process.stdout.write(`${VERSION}\n`)
    return
  }
  if (argv.includes('--schema')) {
    process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`)
    return
  }
  const unknown = argv.filter((a) => a !== '--check')
  if (unknown.length) fail([`unknown argument ${unknown[0]} (use --check, --schema or --version; the configuration comes from KAOS_GATEWAY_CONFIG)`])
  const path = process.env.KAOS_GATEWAY_CONFIG || DEFAULT_CONFIG
  const config = loadConfig(path)
  if (argv.includes('--check')) {
    process.stdout.write(`${path}: ok (${config.tools?.length ?? 0} tools, ${config.prompts?.length ?? 0} prompts, ${(config.resources?.length ?? 0) + (config.resourceTemplates?.length ?? 0)} resources, ${config.upstreams?.length ?? 0} upstreams)\n`)
    return
  }
  const port = portFromEnv()
  const authToken = tokenFromEnv()
  const gw = new Gateway(config, process.env, VERSION)
  const running = await serve(gw, config.server ?? {}, port, process.env.HOST || undefined, {authToken}).catch((error: Error) => fail([`cannot listen on port ${port}: ${error.message}`]))
  gw.start()
  log({
    event: 'listening',
    port: running.port,
    version: VERSION,
    tools: config.tools?.length ?? 0,
    prompts: config.prompts?.length ?? 0,
    resources: (config.resources?.length ?? 0) + (config.resourceTemplates?.length ?? 0),
    upstreams: config.upstreams?.length ?? 0,
    auth: authToken ? 'bearer' : 'none',
  })

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    const grace = config.server?.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs
    log({event: 'stopping', signal, grace_ms: grace})
    const {unfinished} = await running.shutdown(grace)
    await gw.stop()
    log({event: 'stopped', unfinished})
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
}

// One bad request or upstream must not take the gateway down: log what nobody handled.
process.on('unhandledRejection', (reason) => log({event: 'unhandled_rejection', message: (reason as Error)?.message ?? String(reason)}))

await main()
