// `kaos mcp init` through the built CLI (run `npm run build` first): defaults with no terminal,
// refusing to overwrite, --json, and the hand-off to `kaos mcp deploy` (mcp.yaml, build record).
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {describeOrSkip} from '../helpers/mocha.js'

const work = tempDir('kaos-mcp-init-')
after(() => rmSync(work, {recursive: true, force: true}))

interface Obj {
  kind: string
  spec: {template: {spec: {containers: Array<{image: string; imagePullPolicy?: string}>}}}
}

describeOrSkip('kaos mcp init (built CLI)', cliUnavailable(), () => {
  it('with stdin closed and CI unset: no prompt, defaults (python) used', async () => {
    const r = await runCli(['mcp', 'init', 'calc'], {cwd: work, env: {CI: undefined}, timeoutMs: 20_000})
    assert.equal(r.code, 0, r.stderr)
    assert.doesNotMatch(r.stdout + r.stderr, /\?\s/, 'no question asked')
    for (const f of ['server.py', 'pyproject.toml', 'README.md', '.dockerignore']) assert.ok(existsSync(join(work, 'calc', f)), f)
    assert.ok(!existsSync(join(work, 'calc', 'mcp.yaml')), 'mcp.yaml only with --create-yaml')
    assert.match(readFileSync(join(work, 'calc', 'server.py'), 'utf8'), /FastMCP\(\n\s+"calc"/)
    assert.match(r.stdout, /kaos mcp build/)
  })

  it('refuses to overwrite, naming the files (exit 2); --force overwrites', async () => {
    writeFileSync(join(work, 'calc', 'server.py'), '# mine\n')
    const r = await runCli(['mcp', 'init', 'calc'], {cwd: work})
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.error ?? '', /^refusing to overwrite .*server\.py.* in calc$/)
    assert.match(r.suggestions.join(' '), /--force/)
    assert.equal(readFileSync(join(work, 'calc', 'server.py'), 'utf8'), '# mine\n', 'nothing written on refusal')
    const forced = await runCli(['mcp', 'init', 'calc', '--force'], {cwd: work})
    assert.equal(forced.code, 0, forced.stderr)
    assert.match(readFileSync(join(work, 'calc', 'server.py'), 'utf8'), /FastMCP/)
  })

  it('--json: a typed result; typescript template in --dir', async () => {
    const r = await runCli(['mcp', 'init', 'weather', '--template', 'typescript', '--dir', 'svc/weather', '--create-dockerfile', '--json'], {cwd: work})
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    assert.equal(out.name, 'weather')
    assert.equal(out.template, 'typescript')
    assert.equal(out.image, 'weather:0.1.0')
    assert.equal(out.dir, join(work, 'svc', 'weather'))
    assert.deepEqual([...out.files].sort(), ['.dockerignore', '.gitignore', 'Dockerfile', 'README.md', 'package.json', 'src/server.ts', 'tsconfig.json'])
    assert.match(readFileSync(join(work, 'svc/weather/Dockerfile'), 'utf8'), /^FROM node:/m)
  })

  it('bad or missing NAME is invalid input (exit 2)', async () => {
    const bad = await runCli(['mcp', 'init', 'My_Server'], {cwd: work})
    assert.equal(bad.code, 2)
    assert.match(bad.error ?? '', /DNS-1123/)
    assert.match(bad.suggestions.join(' '), /kaos mcp init my-server/)
    const missing = await runCli(['mcp', 'init', '--json'], {cwd: work, env: {CI: undefined}})
    assert.equal(missing.code, 2)
    assert.equal(JSON.parse(missing.stdout).error.code, 'INVALID_INPUT')
  })

  it('--create-yaml writes an MCPServer that kaos mcp deploy -f renders with the build image', async () => {
    const r = await runCli(['mcp', 'init', 'adder', '--create-yaml'], {cwd: work})
    assert.equal(r.code, 0, r.stderr)
    const d = await runCli(['mcp', 'deploy', '-f', 'mcp.yaml', '--dry-run', '--json'], {cwd: join(work, 'adder')})
    assert.equal(d.code, 0, d.stderr)
    const dep = (JSON.parse(d.stdout).objects as Obj[]).find((o) => o.kind === 'Deployment')!
    assert.equal(dep.spec.template.spec.containers[0].image, 'adder:0.1.0')
    assert.equal(dep.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent')
  })

  it('kaos mcp deploy with no NAME and no -f uses the build record of the current folder', async () => {
    const dir = join(work, 'recorded')
    mkdirSync(join(dir, '.kaos'), {recursive: true})
    writeFileSync(join(dir, '.kaos', 'build.json'), JSON.stringify({version: 1, name: 'recorded', image: 'localhost:5001/recorded:1.2.3', builtAt: new Date().toISOString()}))
    const d = await runCli(['mcp', 'deploy', '--dry-run', '--json'], {cwd: dir})
    assert.equal(d.code, 0, d.stderr)
    const out = JSON.parse(d.stdout)
    assert.equal(out.documents[0].metadata.name, 'recorded')
    assert.equal(out.documents[0].spec.runtime, 'custom')
    const dep = (out.objects as Obj[]).find((o) => o.kind === 'Deployment')!
    assert.equal(dep.spec.template.spec.containers[0].image, 'localhost:5001/recorded:1.2.3')
    assert.equal(dep.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent')
    // Without a record the old message stands.
    const none = await runCli(['mcp', 'deploy', '--dry-run'], {cwd: work})
    assert.equal(none.code, 2)
    assert.match(none.error ?? '', /a NAME or -f FILE is required/)
  })
})
