// kaos mcp run's refusals, through the built binary, before anything is started: each one line
// with the fix, exit 2, nothing on stdout.
import assert from 'node:assert/strict'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {join} from 'node:path'

import {cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {describeConcurrent} from '../helpers/mocha.js'

const skip = cliUnavailable()
const dir = tempDir('kaos-mcp-run-offline-')
after(() => rmSync(dir, {recursive: true, force: true}))

function folder(name: string, files: Record<string, string> = {}): string {
  const d = join(dir, name)
  mkdirSync(d, {recursive: true})
  for (const [f, text] of Object.entries(files)) writeFileSync(join(d, f), text)
  return d
}

async function refused(args: string[], re: RegExp, cwd?: string) {
  const r = await runCli(['mcp', 'run', ...args], {cwd})
  assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`)
  assert.match(r.error!, re)
  assert.equal(r.stdout, '')
  return r
}

describeConcurrent('kaos mcp run (refusals)', skip, 6, (it) => {
  it('a folder that is not an MCP project says what it looked for', async () => {
    const d = folder('plain', {'notes.txt': 'hi'})
    const r = await refused([d], /is not an MCP project: kaos mcp run looked for pyproject\.toml or requirements\.txt \(Python, FastMCP\) and package\.json \(TypeScript\) in /)
    assert.match(r.suggestions[0], /kaos mcp init NAME/)
    await refused([], /^\. is not an MCP project/, folder('empty'))
    await refused([join(dir, 'missing')], /missing does not exist$/)
  })

  it('a Python without mcp, a TypeScript project without node_modules', async () => {
    const py = folder('py', {'pyproject.toml': '[project]\nname = "py"\nversion = "0.1.0"\n', 'server.py': 'mcp = None\n'})
    await refused([py, '--python', 'python3'], /^python3 cannot run the FastMCP project in .*: ModuleNotFoundError: No module named 'mcp'$/)
    await refused([py, '--python', join(dir, 'no-such-python')], /no-such-python was not found$/)
    const ts = folder('ts', {'package.json': '{"name": "ts", "main": "dist/server.js", "scripts": {"build": "tsc"}}'})
    await refused([ts], /has no node_modules: its dependencies are not installed$/)
  })

  it('runtime flags: --params without --runtime, an unknown runtime, one kaos cannot run from source, no params', async () => {
    await refused(['--params', 'def f(): pass'], /^--params and --params-file go with --runtime$/)
    await refused(['--runtime', 'rawpyhton', '--params', 'x'], /^unknown runtime "rawpyhton"\. Did you mean "rawpython"\?$/)
    await refused(['--runtime', 'kubernetes'], /^kaos mcp run serves the rawpython runtime from source; runtime "kubernetes" runs only in a cluster/)
    await refused(['--runtime', 'rawpython', '--python', 'python3', 'some-dir'], /^give a project folder or --runtime, not both$/)
    // Before any Python is looked for (or a venv made).
    await refused(['--runtime', 'rawpython'], /^runtime "rawpython" needs params: the Python functions that become tools$/)
    await refused(['--runtime', 'rawpython', '--params-file', join(dir, 'nope.py')], /^--params-file .*nope\.py does not exist$/)
  })

  it('a port in use', async () => {
    const srv = net.createServer().listen(0, '127.0.0.1')
    await new Promise((r) => srv.once('listening', r))
    const port = (srv.address() as net.AddressInfo).port
    try {
      await refused(['--runtime', 'rawpython', '--params', 'def add(a: int, b: int) -> int:\n    return a + b\n', '--port', String(port)], new RegExp(`^port ${port} on 127\\.0\\.0\\.1 is in use$`))
      // The input is checked first: a wrong folder is named as such, busy port or not.
      await refused([join(dir, 'missing'), '--port', String(port)], /missing does not exist$/)
      await refused(['--port', String(port)], /^\. is not an MCP project/, folder('busy'))
    } finally {
      srv.close()
    }
  })
})
