// kaos mcp run against real servers on this machine (no cluster): a FastMCP project made by
// kaos mcp init (Python with mcp 1.x), a TypeScript one (tsc through its own build script), and
// the rawpython runtime from source. --reload restarts on a change (the new tool appears, the old
// process is reaped), a burst of writes restarts once, a broken change waits for the fix, and
// Ctrl-C or SIGTERM leaves no process of the server's group behind.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {appendFileSync, closeSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {BIN, ROOT, type SpawnedCli, cliUnavailable, runCli, spawnCli, tempDir} from '../helpers/cli.js'
import {itOrSkip} from '../helpers/mocha.js'
import {rawpythonPython, rawpythonUnavailable} from '../helpers/mcp-servers.js'
import {fastmcpPython} from '../helpers/python.js'

const work = tempDir('kaos-mcp-run-')
const running: SpawnedCli[] = []
after(async () => {
  for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM')
  await Promise.all(running.map((r) => r.exited))
  rmSync(work, {recursive: true, force: true})
})

const fastmcp = cliUnavailable() ? {why: cliUnavailable()} : fastmcpPython()
const rawpython = cliUnavailable() ? {why: cliUnavailable()} : {why: rawpythonUnavailable(), python: rawpythonPython()}

/** `kaos mcp run ARGS --json` in `cwd`, with the ready events it prints. */
function run(args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnCli(['mcp', 'run', '--json', ...args], {cwd, env})
  running.push(r)
  const events = () =>
    r
      .out()
      .stdout.split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as {event: string; url: string; pid: number; starts: number})
  const waitFor = async (pred: () => boolean, what: string, ms = 90_000) => {
    const until = Date.now() + ms
    while (!pred()) {
      if (r.child.exitCode !== null) throw new Error(`kaos mcp run exited ${r.child.exitCode} while waiting for ${what}:\n${r.out().stderr}`)
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}:\n${r.out().stderr}`)
      await sleep(100)
    }
  }
  const starts = async (n: number) => {
    await waitFor(() => events().length >= n, `start ${n}`)
    return events()[n - 1]
  }
  return {...r, events, starts, waitFor}
}

async function tools(url: string): Promise<string[]> {
  const r = await runCli(['mcp', 'invoke', '--url', url, '--json'])
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout).tools.map((t: {name: string}) => t.name).sort()
}

/** Processes whose working directory is `dir` (the servers kaos mcp run starts run there). */
function processesIn(dir: string): number[] {
  const out: number[] = []
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue
    try {
      if (readlinkSync(`/proc/${e}/cwd`) === dir) out.push(Number(e))
    } catch {
      // gone, or not ours to read
    }
  }
  return out
}

/** Reaped: not even a zombie (kill(pid, 0) succeeds on a zombie). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

async function assertAllGone(pids: number[], dir: string) {
  for (let i = 0; i < 50 && (pids.some((p) => !gone(p)) || processesIn(dir).length > 0); i++) await sleep(100)
  assert.deepEqual(pids.filter((p) => !gone(p)), [], 'server processes left (or zombies)')
  assert.deepEqual(processesIn(dir), [], `processes still running in ${dir}`)
  for (const p of pids) assert.throws(() => process.kill(-p, 0), /ESRCH/, `process group ${p} still has members`)
}

describe('kaos mcp run (real servers on this machine)', function () {
  this.timeout(300_000)

  itOrSkip('python project: --reload serves, a change adds a tool, invoke --url works, Ctrl-C leaves nothing behind', fastmcp.why, async () => {
    assert.equal((await runCli(['mcp', 'init', 'calc'], {cwd: work})).code, 0)
    const dir = join(work, 'calc')
    const r = run(['--reload', '--port', '0', '--python', fastmcp.python!], dir)
    const first = await r.starts(1)
    assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/)
    assert.deepEqual(await tools(first.url), ['add', 'echo'])
    const called = await runCli(['mcp', 'invoke', '--url', first.url, '--tool', 'add', '--arg', 'a=2', '--arg', 'b=3'])
    assert.equal(called.stdout.trim(), '5.0')

    appendFileSync(join(dir, 'server.py'), '\n\n@mcp.tool()\ndef shout(text: str) -> str:\n    """Upper-case the text."""\n    return text.upper()\n')
    const second = await r.starts(2)
    assert.equal(second.url, first.url)
    assert.notEqual(second.pid, first.pid)
    assert.ok(gone(first.pid), 'the old server was stopped and reaped before the new one started')
    assert.deepEqual(await tools(second.url), ['add', 'echo', 'shout'])
    assert.match(r.out().stderr, /kaos: server\.py changed: restarting/)

    r.child.kill('SIGINT')
    const exit = await r.exited
    assert.equal(exit.code, 130)
    await assertAllGone([first.pid, second.pid], dir)
  })

  itOrSkip('python project: a burst of saves restarts once; a broken change waits for the fix; SIGTERM exits 143 with nothing left', fastmcp.why, async () => {
    assert.equal((await runCli(['mcp', 'init', 'burst'], {cwd: work})).code, 0)
    const dir = join(work, 'burst')
    const r = run(['--reload', '--port', '0', '--python', fastmcp.python!], dir)
    const first = await r.starts(1)
    const server = readFileSync(join(dir, 'server.py'), 'utf8')
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(dir, 'server.py'), `${server}\n# save ${i}\n`)
      await sleep(40)
    }
    await r.starts(2)
    await sleep(1500)
    assert.equal(r.events().length, 2, 'five saves within the debounce window: one restart')
    assert.equal(r.out().stderr.match(/changed: restarting/g)?.length, 1)

    writeFileSync(join(dir, 'server.py'), `${server}\nthis is not python\n`)
    await r.waitFor(() => /the server exited \(code 1\) before it listened .*; waiting for a change to restart it/.test(r.out().stderr), 'the broken start')
    writeFileSync(join(dir, 'server.py'), server)
    const fixed = await r.starts(3)
    assert.deepEqual(await tools(fixed.url), ['add', 'echo'])

    r.child.kill('SIGTERM')
    assert.equal((await r.exited).code, 143)
    await assertAllGone(r.events().map((e) => e.pid).concat(first.pid), dir)
  })

  itOrSkip('--reload with its output redirected into the project: its own lines are not changes; an edit still restarts', fastmcp.why, async () => {
    assert.equal((await runCli(['mcp', 'init', 'logged'], {cwd: work})).code, 0)
    const dir = join(work, 'logged')
    // As a shell's `kaos mcp run --reload --json > run.out 2> run.err` in the project.
    const [out, err] = [openSync(join(dir, 'run.out'), 'w'), openSync(join(dir, 'run.err'), 'w')]
    const child = spawn(process.execPath, [BIN, 'mcp', 'run', '--json', '--reload', '--port', '0', '--python', fastmcp.python!], {cwd: dir, env: {...process.env, CI: 'true'}, stdio: ['ignore', out, err]})
    closeSync(out)
    closeSync(err)
    const exited = new Promise((resolve) => child.once('exit', resolve))
    const events = () => readFileSync(join(dir, 'run.out'), 'utf8').split('\n').filter(Boolean)
    try {
      for (let i = 0; i < 900 && events().length === 0; i++) await sleep(100)
      assert.equal(events().length, 1, readFileSync(join(dir, 'run.err'), 'utf8'))
      // The server logs requests to kaos's stderr, i.e. into run.err.
      await tools(JSON.parse(events()[0]).url)
      await sleep(2000)
      assert.equal(events().length, 1, `restarted on its own output:\n${readFileSync(join(dir, 'run.err'), 'utf8')}`)
      assert.doesNotMatch(readFileSync(join(dir, 'run.err'), 'utf8'), /changed: restarting/)
      appendFileSync(join(dir, 'server.py'), '\n# an edit\n')
      for (let i = 0; i < 300 && events().length < 2; i++) await sleep(100)
      assert.equal(events().length, 2)
      assert.match(readFileSync(join(dir, 'run.err'), 'utf8'), /kaos: server\.py changed: restarting/)
    } finally {
      child.kill('SIGTERM')
      await exited
    }
  })

  itOrSkip('typescript project: its build runs before every start; a change to src/ rebuilds and restarts', cliUnavailable(), async () => {
    assert.equal((await runCli(['mcp', 'init', 'tsdemo', '--template', 'typescript'], {cwd: work})).code, 0)
    const dir = join(work, 'tsdemo')
    // kaos's own node_modules has the SDK, zod, typescript and @types/node the template needs.
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
    const r = run(['--reload', '--port', '0'], dir)
    const first = await r.starts(1)
    assert.deepEqual(await tools(first.url), ['add', 'echo'])
    const src = join(dir, 'src', 'server.ts')
    writeFileSync(
      src,
      readFileSync(src, 'utf8').replace(
        '  return server\n',
        "  server.registerTool('ping', {description: 'Answer pong.', inputSchema: {}}, async () => ({content: [{type: 'text', text: 'pong'}]}))\n  return server\n",
      ),
    )
    const second = await r.starts(2)
    assert.deepEqual(await tools(second.url), ['add', 'echo', 'ping'])
    // The build's output (dist/) is not a change: no restart loop.
    await sleep(1500)
    assert.equal(r.events().length, 2)
    r.child.kill('SIGINT')
    assert.equal((await r.exited).code, 130)
    await assertAllGone([first.pid, second.pid], dir)
  })

  itOrSkip('--runtime rawpython --params-file: from source, reloaded when the file changes', rawpython.why, async () => {
    const dir = tempDir('kaos-run-raw-')
    const tools1 = join(dir, 'tools.py')
    writeFileSync(tools1, 'def add(a: int, b: int) -> int:\n    """Add."""\n    return a + b\n')
    const r = run(['--runtime', 'rawpython', '--params-file', 'tools.py', '--reload', '--port', '0', '--python', rawpython.python!], dir)
    const first = await r.starts(1)
    assert.deepEqual(await tools(first.url), ['add'])
    // An editor's save: a new file renamed over the old one.
    writeFileSync(join(dir, 'tools.py.new'), 'def add(a: int, b: int) -> int:\n    """Add."""\n    return a + b\n\ndef neg(a: int) -> int:\n    """Negate."""\n    return -a\n')
    const {renameSync} = await import('node:fs')
    renameSync(join(dir, 'tools.py.new'), tools1)
    const second = await r.starts(2)
    assert.deepEqual(await tools(second.url), ['add', 'neg'])
    const neg = await runCli(['mcp', 'invoke', '--url', second.url, '--tool', 'neg', '--arg', 'a=4', '--json'])
    assert.match(JSON.stringify(JSON.parse(neg.stdout).content), /-4/)
    r.child.kill('SIGINT')
    assert.equal((await r.exited).code, 130)
    await assertAllGone([first.pid, second.pid], dir)
    rmSync(dir, {recursive: true, force: true})
  })

  itOrSkip('--runtime rawpython without --python: kaos makes its venv once (pinned, hashed requirements from PyPI) and serves', cliUnavailable(), async () => {
    const dir = tempDir('kaos-run-venv-')
    writeFileSync(join(dir, 'tools.py'), 'def hello(name: str) -> str:\n    """Greet."""\n    return "hello " + name\n')
    const r = run(['--runtime', 'rawpython', '--params-file', 'tools.py', '--port', '0'], dir, {XDG_CACHE_HOME: join(dir, 'cache')})
    const first = await r.starts(1)
    assert.match(r.out().stderr, /setting up rawpython's Python in .*cache\/kaos\/rawpython-[\d.]+ \(once per rawpython version/)
    assert.deepEqual(await tools(first.url), ['hello'])
    r.child.kill('SIGINT')
    assert.equal((await r.exited).code, 130)
    await assertAllGone([first.pid], dir)
    rmSync(dir, {recursive: true, force: true})
  })

  itOrSkip('without --reload: a server that cannot start is exit 5, its output above the line', fastmcp.why, async () => {
    assert.equal((await runCli(['mcp', 'init', 'broken'], {cwd: work})).code, 0)
    const dir = join(work, 'broken')
    appendFileSync(join(dir, 'server.py'), '\nraise SystemExit("refusing to start")\n')
    const r = await runCli(['mcp', 'run', '--port', '0', '--python', fastmcp.python!], {cwd: dir, timeoutMs: 60_000})
    assert.equal(r.code, 5, r.stderr)
    assert.match(r.stderr, /refusing to start/)
    assert.match(r.error!, /^the server exited \(code 1\) before it listened on http:\/\/127\.0\.0\.1:\d+\/mcp \(its output is above\)$/)
    assert.equal(r.stdout, '')
    assert.deepEqual(processesIn(dir), [])
  })
})
