// Pure helpers for what reaches a terminal or a log: control characters stripped (also from text
// that arrives in pieces), credentials in URLs redacted, durations and progress as messages say them.
import assert from 'node:assert/strict'

import {formatProgress} from '../../src/cli/format/mcp.js'
import {controlStripper, stripControl} from '../../src/cli/format/terminal.js'
import {formatDuration, parseDuration} from '../../src/lib/duration.js'
import {redactUrl, redactUserinfo} from '../../src/lib/redact.js'

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

describe('redactUrl / redactUserinfo', () => {
  it('replaces user:password@ with ***@ and leaves the rest as given', () => {
    assert.equal(redactUrl('http://user:pw@127.0.0.1:8000'), 'http://***@127.0.0.1:8000')
    assert.equal(redactUrl('https://tok@h/mcp?q=1'), 'https://***@h/mcp?q=1')
    assert.equal(redactUrl('http://u:p@ss@h/x?y=a@b'), 'http://***@h/x?y=a@b')
    assert.equal(redactUrl('http://h/a@b'), 'http://h/a@b')
    assert.equal(redactUrl('http://h:1/mcp'), 'http://h:1/mcp')
  })

  it('a string that is not a URL (a raw "/" in the password) loses everything up to the last "@"', () => {
    assert.equal(redactUrl('http://user:pa/ss@h/mcp'), 'http://***@h/mcp')
  })

  it('finds credentials in free text: messages, util.inspect output, several URLs', () => {
    assert.equal(redactUserinfo("argv: [ '--url', 'http://u:p@h:1/x' ]"), "argv: [ '--url', 'http://***@h:1/x' ]")
    assert.equal(redactUserinfo('from http://a:b@x/ to https://c@y.z:2/'), 'from http://***@x/ to https://***@y.z:2/')
    assert.equal(redactUserinfo('mail a@b.c at http://h/p@q'), 'mail a@b.c at http://h/p@q')
  })
})

describe('formatDuration', () => {
  it('says durations the way the flags take them', () => {
    assert.deepEqual([250, 1000, 1500, 60_000, 90_000, 5_400_000].map(formatDuration), ['250ms', '1s', '1.5s', '1m', '1m30s', '1h30m'])
    for (const t of ['250ms', '1s', '1.5s', '1m30s', '1h30m']) assert.equal(formatDuration(parseDuration(t)), t)
  })
})

describe('formatProgress', () => {
  it('amount, total and percentage, then the message', () => {
    assert.equal(formatProgress('slow', {progress: 3, total: 10, message: 'step 3'}), 'slow: 3/10 (30%) step 3')
    assert.equal(formatProgress('slow', {progress: 0.333333, total: 1}), 'slow: 0.33/1 (33%)')
    assert.equal(formatProgress('slow', {progress: 42}), 'slow: 42')
  })
})
