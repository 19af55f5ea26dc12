// Pure helpers for what reaches a terminal or a log: control characters stripped (also from text
// that arrives in pieces), credentials in URLs redacted, durations and progress as messages say them.
import assert from 'node:assert/strict'

import {controlStripper, stripControl} from '../../src/cli/format/terminal.js'

const ESCAPES = 'red \u001B[31mRED\u001B[0m title\u001B]0;pwned\u0007 st\u001B]8;;http://x\u001B\\link\u001B]8;;\u001B\\ clear\u001B[2J\u001B[?25l bell\u0007 c1\u009B2J cr\r tab\tnl\n done'
const STRIPPED = 'red RED title stlink clear bell c12J cr tab\tnl\n done'

describe('stripControl', () => {
  it('removes CSI, OSC (BEL- and ST-terminated), C0 and C1 controls; keeps tab and newline', () => {
    assert.equal(stripControl(ESCAPES), STRIPPED)
    assert.equal(stripControl('plain text, ünïcødé ✓'), 'plain text, ünïcødé ✓')
  })
})

describe('controlStripper (streamed text)', () => {
  const run = (chunks: string[]) => {
    const s = controlStripper()
    return chunks.map((c) => s.push(c)).join('') + s.end()
  }

  it('gives the same text as stripControl wherever the stream is cut', () => {
    for (let i = 0; i <= ESCAPES.length; i++) assert.equal(run([ESCAPES.slice(0, i), ESCAPES.slice(i)]), STRIPPED, `cut at ${i}`)
    assert.equal(run([...ESCAPES]), STRIPPED, 'one character at a time')
  })

  it('holds back only an unfinished sequence: other text is passed on at once', () => {
    const s = controlStripper()
    assert.equal(s.push('abc\u001B[3'), 'abc')
    assert.equal(s.push('1mdef'), 'def')
    assert.equal(s.push('x\u001B'), 'x')
    assert.equal(s.end(), '')
  })

  it('an OSC that never ends is not held back forever', () => {
    const s = controlStripper()
    const out = s.push(`\u001B]0;${'x'.repeat(5000)}`) + s.push('after') + s.end()
    assert.ok(out.endsWith('after'))
    assert.ok(!out.includes('\u001B'))
  })
})
