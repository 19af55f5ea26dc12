import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {EXIT_CODES, ExitCode, KaosError, exitCodeTable} from '../../src/lib/errors.js'
import {ROOT} from '../helpers/cli.js'

describe('exit codes', () => {
  it('are unique and stable', () => {
    assert.deepEqual(
      EXIT_CODES.map((e) => e.code),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    )
    assert.equal(ExitCode.INVALID_INPUT, 2)
    assert.equal(ExitCode.WAIT_TIMEOUT, 4)
    assert.equal(ExitCode.WORKLOAD_FAILED, 5)
    assert.equal(ExitCode.TOOL_ERROR, 6)
  })

  it('the README table says what the code says', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    for (const e of EXIT_CODES) assert.ok(readme.includes(`| ${e.code} | ${e.meaning} |`), `README lacks exit code ${e.code}: ${e.meaning}`)
  })

  it('help text lists every code', () => {
    const t = exitCodeTable()
    for (const e of EXIT_CODES) assert.match(t, new RegExp(`^\\s*${e.code}  ${e.meaning.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'))
  })

  it('KaosError names its exit code unless given a finer code', () => {
    const e = new KaosError('bad', {exit: ExitCode.INVALID_INPUT})
    assert.equal(e.exit, 2)
    assert.equal(e.code, 'INVALID_INPUT')
    assert.equal(new KaosError('x', {exit: ExitCode.NOT_FOUND}).code, 'NOT_FOUND')
    assert.equal(new KaosError('x', {exit: ExitCode.CLUSTER_UNREACHABLE, code: 'FORBIDDEN'}).code, 'FORBIDDEN')
  })
})
