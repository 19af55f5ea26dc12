import assert from 'node:assert/strict'

import {KaosError} from '../../src/lib/errors.js'

/** Assert that `fn` throws kaos's invalid-input error (exit 2) with a message matching `re`. */
export function invalidInput(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KaosError, `not a KaosError: ${e}`)
    assert.equal(e.exit, 2)
    assert.match(e.message, re)
    return true
  })
}
