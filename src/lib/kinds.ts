// Kind names and naming limits, without the schema library: commands that only read the
// cluster import this, not documents.ts (zod costs startup time on every call).

export const API_VERSION = 'kaos.tools/v1alpha1'
export const KINDS = ['MCPServer', 'Agent', 'ModelAPI'] as const
export type Kind = (typeof KINDS)[number]

/** Catalog kinds: served by a gateway MCPServer, stored as labelled ConfigMaps (see catalog.ts). */
export const CATALOG_KINDS = ['MCPTool', 'MCPPrompt', 'MCPResource'] as const
export type CatalogKind = (typeof CATALOG_KINDS)[number]

export function isCatalogKind(kind: string): kind is CatalogKind {
  return (CATALOG_KINDS as readonly string[]).includes(kind)
}

/** The longest name that still fits `modelapi-<name>` / `mcpserver-<name>` in a 63-char Service name. */
export const MAX_NAME_LENGTH = 53

/** Which `kaos <topic>` command handles a kind. */
export const TOPIC_OF: Record<Kind, string> = {MCPServer: 'mcp', Agent: 'agent', ModelAPI: 'modelapi'}
