#!/usr/bin/env node
// Linked ESM plugins (kaos plugins link) are loaded as they are; oclif's notice about it is noise.
process.env.OCLIF_DISABLE_LINKED_ESM_WARNING ??= '1'
const {execute} = await import('@oclif/core')

await execute({dir: import.meta.url})
