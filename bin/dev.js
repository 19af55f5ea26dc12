#!/usr/bin/env node
// Rebuild (esbuild takes well under a second) and run, so dev runs the same bundle users get.
import {execFileSync} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], {stdio: 'inherit'})
const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
