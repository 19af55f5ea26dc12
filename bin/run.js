#!/usr/bin/env node
// oclif wraps errors and warnings at 80 columns when stderr is not a terminal. In a CI log or a
// file each message stays on one line, so that it can be read and grepped whole.
if (!process.stderr.isTTY && !process.env.OCLIF_COLUMNS) (globalThis.oclif ??= {}).columns ??= 100_000
// All of kaos, oclif included, is bundled in dist/ (see scripts/build.mjs).
await import('../dist/bin.js')
