// kaos mcp inspect's refusals, before any port-forward or Inspector download: exit 2, one line.
import assert from 'node:assert/strict'

import {cliUnavailable, runCli} from '../helpers/cli.js'
import {describeConcurrent} from '../helpers/mocha.js'

const skip = cliUnavailable()

describeConcurrent('kaos mcp inspect (refusals)', skip, 4, (it) => {
  it('the web UI with CI set (or no terminal) is refused, pointing at the CLI mode', async () => {
    const r = await runCli(['mcp', 'inspect', 'calc'])
    assert.equal(r.code, 2)
    assert.equal(r.error, "kaos mcp inspect opens the MCP Inspector's web UI, which needs a person at a terminal (CI is set): use its CLI mode instead")
    assert.match(r.suggestions.join(' '), /^kaos mcp inspect calc --cli -- --method tools\/list/)
    const piped = await runCli(['mcp', 'inspect', '--url', 'http://127.0.0.1:1/mcp'], {env: {CI: undefined}})
    assert.equal(piped.code, 2)
    assert.match(piped.error!, /\(no terminal\): use its CLI mode instead$/)
  })

  it('NAME or --url, not both, not neither; -- arguments need --cli', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['mcp', 'inspect', '--cli'], /^an MCPServer NAME \(or --url\) is required$/],
      [['mcp', 'inspect', 'calc', '--url', 'http://127.0.0.1:1/mcp', '--cli'], /^give an MCPServer NAME or --url, not both$/],
      [['mcp', 'inspect', 'calc', '--', '--method', 'tools/list'], /^arguments after -- are for the Inspector's CLI mode: add --cli$/],
      [['mcp', 'inspect', 'calc', 'extra', '--cli'], /Unexpected argument: extra/],
      [['mcp', 'inspect', '--url', 'ftp://x/mcp', '--cli'], /^--url must be http:\/\/ or https:\/\/, not ftp:$/],
    ]
    for (const [args, re] of cases) {
      const r = await runCli(args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.error!, re)
    }
  })
})
