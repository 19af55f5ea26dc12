// The CLI's own surface, through the built binary: unknown commands and flags (exit 2 with a
// did-you-mean, never a prompt, also on a terminal), -h, `kaos version`, and a Docker engine that
// answers its ping but never the build.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import {join} from 'node:path'

import {BIN, cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {describeOrSkip} from '../helpers/mocha.js'

const skip = cliUnavailable()

/** Run kaos on a pseudo-terminal (util-linux `script`), with CI unset: what a person at a shell gets. */
function onTerminal(args: string[]): Promise<{code: number; out: string; ms: number}> {
  const started = Date.now()
  const env = {...process.env, CI: '', TERM: 'xterm', HOME: tempDir('kaos-tty-home-')}
  delete (env as Record<string, string | undefined>).CI
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  return new Promise((resolve) => {
    execFile('script', ['-qefc', cmd, '/dev/null'], {env, timeout: 20_000}, (err, stdout) => {
      resolve({code: err ? Number((err as {code?: number}).code ?? 1) : 0, out: stdout.replace(/\x1B\[[0-9;?]*[A-Za-z]/g, ''), ms: Date.now() - started})
    })
  })
}

describeOrSkip('the CLI surface', skip, () => {
  it('an unknown command is exit 2 with a did-you-mean; --json gives the JSON error (oclif\'s 127 is gone)', async () => {
    const r = await runCli(['mcp', 'lst'])
    assert.equal(r.code, 2)
    assert.equal(r.error, '"kaos mcp lst" is not a kaos command. Did you mean "kaos mcp list"?')
    const j = await runCli(['mcp', 'lst', '--json'])
    assert.equal(j.code, 2)
    assert.deepEqual(JSON.parse(j.stdout).error, {
      code: 'INVALID_INPUT',
      exit: 2,
      message: '"kaos mcp lst" is not a kaos command. Did you mean "kaos mcp list"?',
      suggestions: ['Run `kaos --help` to see the commands, or `kaos mcp list --help`.'],
    })
    const verb = await runCli(['depoy'])
    assert.equal(verb.error, '"kaos depoy" is not a kaos command. Did you mean "kaos agent deploy" or "kaos mcp deploy" or "kaos modelapi deploy"?')
  })

  it('a mistyped command with arguments after it: the guess is for the mistyped word, the message quotes up to it', async () => {
    const cases: Array<[string[], string, string]> = [
      [['mcp', 'deply', 'calc'], 'kaos mcp deply', 'kaos mcp deploy'],
      [['mcp', 'invok', 'calc', '--tool', 'add'], 'kaos mcp invok', 'kaos mcp invoke'],
      [['mcp', 'lst', 'foo'], 'kaos mcp lst', 'kaos mcp list'],
      [['agent', 'a2a', 'sned', 'helper', '-m', 'hi'], 'kaos agent a2a sned', 'kaos agent a2a send'],
      [['mpc', 'list', 'foo'], 'kaos mpc', 'kaos mcp'],
    ]
    await Promise.all(cases.map(async ([argv, typed, guess]) => {
      const r = await runCli(argv)
      assert.equal(r.code, 2, argv.join(' '))
      assert.equal(r.error, `"${typed}" is not a kaos command. Did you mean "${guess}"?`)
      const j = await runCli([...argv, '--json'])
      assert.equal(j.code, 2)
      assert.deepEqual(JSON.parse(j.stdout).error.message, `"${typed}" is not a kaos command. Did you mean "${guess}"?`)
    }))
    const verb = await runCli(['depoy', 'calc'])
    assert.equal(verb.error, '"kaos depoy" is not a kaos command. Did you mean "kaos agent deploy" or "kaos mcp deploy" or "kaos modelapi deploy"?')
    // No guess for the word: the help of the topic before it.
    const none = await runCli(['mcp', 'calc', 'x'])
    assert.equal(none.error, '"kaos mcp calc" is not a kaos command.')
    assert.deepEqual(none.suggestions, ['Run `kaos --help` to see the commands, or `kaos mcp --help`.'])
  })

  it('on a terminal, with CI unset, an unknown command still never asks: it answers and exits 2 at once', async () => {
    const r = await onTerminal(['mcp', 'lst'])
    assert.equal(r.code, 2, r.out)
    assert.match(r.out, /"kaos mcp lst" is not a kaos command\. Did you mean "kaos mcp list"\?/)
    assert.doesNotMatch(r.out, /\(y\/n\)|\? \(Y\/n\)/i)
  })

  it('words after a command that takes none, and a workload NAME that is no DNS label: exit 2 before any connection', async () => {
    const extra = await runCli(['mcp', 'endpoints', 'a/b'])
    assert.equal(extra.code, 2)
    assert.equal(extra.error, '"kaos mcp endpoints" takes no arguments (got "a/b")')
    const j = await runCli(['system', 'status', 'x', 'y', '--json'])
    assert.equal(JSON.parse(j.stdout).error.message, '"kaos system status" takes no arguments (got "x" "y")')
    for (const args of [['mcp', 'get', 'a/b'], ['agent', 'logs', 'A_b'], ['modelapi', 'delete', 'ok', 'a/b']]) {
      const r = await runCli(args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.error!, /^NAME "(a\/b|A_b)" must be a DNS-1123 label/)
    }
  })

  it('a mistyped flag gets a did-you-mean (exit 2)', async () => {
    const r = await runCli(['mcp', 'list', '--namespce', 'x'])
    assert.equal(r.code, 2)
    assert.equal(r.error, 'Nonexistent flag: --namespce. Did you mean --namespace?')
    // oclif's own flags are candidates too.
    assert.equal((await runCli(['mcp', 'list', '--jsn'])).error, 'Nonexistent flag: --jsn. Did you mean --json?')
    assert.equal((await runCli(['mcp', 'list', '--hepl'])).error, 'Nonexistent flag: --hepl. Did you mean --help?')
  })

  it('in a CI log (stderr not a terminal) an error and its suggestion stay one line each, however long', async () => {
    const r = await runCli(['mcp', 'deploy', 'calc', '--runtime', 'no-such-runtime-with-a-name-long-enough-to-pass-eighty-columns', '--dry-run'], {env: {OCLIF_COLUMNS: undefined}})
    assert.equal(r.code, 2)
    const lines = r.stderr.split('\n').filter((l) => l.trim())
    const error = lines.find((l) => l.includes('Error: '))!
    assert.match(error, /no-such-runtime-with-a-name-long-enough-to-pass-eighty-columns/)
    assert.ok(error.length > 100, error)
    assert.ok(lines.every((l) => /Error: |Try this: |Warning: /.test(l)), r.stderr)
  })

  it('-h is --help; `kaos version` and --version agree; version --json has the facts', async () => {
    const h = await runCli(['mcp', 'list', '-h'])
    assert.equal(h.code, 0)
    assert.match(h.stdout, /^List MCP servers/)
    const v = await runCli(['version'])
    const vv = await runCli(['--version'])
    assert.equal(v.stdout, vv.stdout)
    const j = JSON.parse((await runCli(['version', '--json'])).stdout)
    assert.equal(j.node, process.versions.node)
    assert.match(j.version, /^\d+\.\d+\.\d+/)
  })

  it('a Docker engine that answers its ping but never the build: --timeout ends the build (exit 9)', async () => {
    const dir = tempDir('kaos-stall-')
    const sock = join(dir, 'docker.sock')
    const engine = http.createServer((req, res) => {
      if (req.url?.includes('/_ping')) return res.end('OK')
      // /build: read the context, then say nothing.
      req.resume()
    })
    await new Promise<void>((r) => engine.listen(sock, r))
    try {
      const proj = join(dir, 'proj')
      mkdirSync(proj)
      writeFileSync(join(proj, 'Dockerfile'), 'FROM scratch\n')
      const t0 = Date.now()
      const r = await runCli(['mcp', 'build', '--path', proj, '--name', 'stall', '--timeout', '2s'], {env: {DOCKER_HOST: `unix://${sock}`}})
      assert.equal(r.code, 9, r.stderr)
      assert.match(r.error ?? '', /^the build of stall:sha-[0-9a-f]+ did not finish within 2s \(--timeout\): the Docker engine at unix:\/\/.*docker\.sock stopped answering/)
      assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`)
    } finally {
      engine.closeAllConnections()
      engine.close()
    }
  })
})
