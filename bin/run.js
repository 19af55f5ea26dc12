#!/usr/bin/env node
// Linked ESM plugins (kaos plugins link) are loaded as they are; oclif's notice about it is noise.
process.env.OCLIF_DISABLE_LINKED_ESM_WARNING ??= '1'
// DEBUG logs (oclif's and kaos's) print argv and URLs: credentials in URLs stay out of them.
if (process.env.DEBUG) {
  const {redactUserinfo} = await import('../dist/index.js')
  const write = process.stderr.write.bind(process.stderr)
  process.stderr.write = (chunk, ...rest) => write(typeof chunk === 'string' ? redactUserinfo(chunk) : chunk, ...rest)
}
const {execute} = await import('@oclif/core')

await execute({dir: import.meta.url})
