#!/usr/bin/env node
// All of kaos, oclif included, is bundled in dist/ (see scripts/build.mjs).
await import('../dist/bin.js')
