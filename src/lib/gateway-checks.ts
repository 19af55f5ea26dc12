// The gateway's own configuration checks (runtimes/gateway/src/config.ts), loaded only for inputs
// that hold gateways or catalog documents: they bring ajv, which every other deploy would pay for.
import type {ParseResult} from '../../runtimes/gateway/src/config.js'
import type {AnyDoc} from './documents.js'
import {isCatalogKind} from './kinds.js'
import type {Registry} from './registry.js'

/** What rendering needs of the gateway: its parser, so kaos refuses what the gateway would. */
export interface GatewayChecks {
  parseConfig(raw: unknown): ParseResult
}

/** The checks when `docs` need them (a catalog document, or an MCPServer on a gateway runtime), else undefined. */
export async function gatewayChecksFor(docs: AnyDoc[], registry: Registry): Promise<GatewayChecks | undefined> {
  const needed = docs.some((d) => isCatalogKind(d.kind) || (d.kind === 'MCPServer' && registry.runtimes.get(d.spec.runtime)?.gateway))
  return needed ? import('../../runtimes/gateway/src/config.js') : undefined
}
