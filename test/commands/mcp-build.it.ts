// `kaos mcp build` against a real Docker Engine API (the podman test bed: `test/docker/up`, then
// `source .testbed/docker.env`). Without DOCKER_HOST these tests are skipped with a loud message
// locally, and fail when CI is set.
import assert from 'node:assert/strict'
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'

import {Client} from '@modelcontextprotocol/sdk/client/index.js'
import {StreamableHTTPClientTransport} from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import Docker from 'dockerode'

import {cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {freePort} from '../helpers/mcp-servers.js'
import {describeOrSkip} from '../helpers/mocha.js'

const DOCKER_HOST = process.env.DOCKER_HOST
const PYTHON_IMAGE = process.env.KAOS_TESTBED_PYTHON_IMAGE ?? 'localhost/kaos-test/python:3.11-slim'
const BUSYBOX_IMAGE = process.env.KAOS_TESTBED_BUSYBOX_IMAGE ?? 'localhost/kaos-test/busybox:1'
const REGISTRY = process.env.KAOS_TESTBED_REGISTRY ?? 'localhost:5001'
const RUN = `it${process.pid}`

let skip: string | false = cliUnavailable() ?? false
if (!DOCKER_HOST) {
  if (process.env.CI) {
    it('DOCKER_HOST is set (required in CI for the image build tests)', () => {
      assert.fail('DOCKER_HOST is not set: start the test bed (test/docker/up) and `source .testbed/docker.env`')
    })
  }
  skip = 'DOCKER_HOST is not set'
  console.error('\n!!! SKIPPING kaos mcp build integration tests: DOCKER_HOST is not set. Run test/docker/up && source .testbed/docker.env !!!\n')
}

const work = tempDir('kaos-mcp-build-')
const docker = new Docker()
const images = new Set<string>()
const containers: Docker.Container[] = []

after(async () => {
  for (const c of containers) await c.remove({force: true}).catch(() => {})
  for (const i of images) await docker.getImage(i).remove({force: true}).catch(() => {})
  rmSync(work, {recursive: true, force: true})
})


/** A project folder with these files. */
function project(name: string, files: Record<string, string>): string {
  const dir = join(work, name)
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), {recursive: true})
    writeFileSync(join(dir, p), c)
  }
  return dir
}

/** Run a command in a throwaway container of `image`; its stdout. */
async function runIn(image: string, cmd: string[]): Promise<string> {
  const c = await docker.createContainer({Image: image, Cmd: cmd, User: '0'})
  containers.push(c)
  await c.start()
  await c.wait()
  const raw = (await c.logs({stdout: true, stderr: false, follow: false})) as unknown as Buffer
  const out = new PassThrough()
  let text = ''
  out.on('data', (b) => (text += b))
  // Non-TTY logs are multiplexed with 8-byte frame headers.
  for (let i = 0; i + 8 <= raw.length; ) {
    const len = raw.readUInt32BE(i + 4)
    out.write(raw.subarray(i + 8, i + 8 + len))
    i += 8 + len
  }
  out.end()
  await new Promise((r) => out.on('end', r))
  return text
}

describeOrSkip('kaos mcp build (Docker API)', skip, () => {
  before(async () => {
    await docker.ping()
  })

  it('init → build → run: the image answers tools/list over streamable HTTP; .dockerignore is honoured; deploy uses the record', async () => {
    const init = await runCli(['mcp', 'init', 'kaos-it-calc'], {cwd: work})
    assert.equal(init.code, 0, init.stderr)
    const dir = join(work, 'kaos-it-calc')
    writeFileSync(join(dir, 'secret.txt'), 'do not ship\n')
    writeFileSync(join(dir, '.dockerignore'), `${readFileSync(join(dir, '.dockerignore'), 'utf8')}secret.txt\n`)

    const r = await runCli(['mcp', 'build', '--path', dir, '--base-image', PYTHON_IMAGE, '--tag', RUN, '--json'], {cwd: work, timeoutMs: 300_000})
    assert.equal(r.code, 0, r.stderr + r.stdout)
    assert.equal(r.stderr.trim(), '', 'nothing but JSON with --json')
    const out = JSON.parse(r.stdout)
    const image = `kaos-it-calc:${RUN}`
    images.add(image)
    assert.equal(out.image, image)
    assert.equal(out.name, 'kaos-it-calc')
    assert.equal(out.dockerfile, 'generated')
    assert.match(out.imageId, /^sha256:[a-f0-9]{64}$/)
    assert.equal(out.context.dockerignore, true)
    const record = JSON.parse(readFileSync(join(dir, '.kaos', 'build.json'), 'utf8'))
    assert.equal(record.image, image)
    assert.equal(record.name, 'kaos-it-calc')

    const files = (await runIn(image, ['ls', '-a', '/app'])).split('\n')
    assert.ok(files.includes('server.py'), files.join(' '))
    assert.ok(!files.includes('secret.txt'), 'secret.txt is in .dockerignore')
    assert.ok(!files.includes('.kaos'), '.kaos/ is never sent')
    const inspect = await docker.getImage(image).inspect()
    assert.equal(inspect.Config.User, '10001:10001')
    assert.ok(Object.keys(inspect.Config.ExposedPorts ?? {}).includes('8000/tcp'))

    const port = await freePort()
    const c = await docker.createContainer({Image: image, HostConfig: {PortBindings: {'8000/tcp': [{HostIp: '127.0.0.1', HostPort: String(port)}]}}})
    containers.push(c)
    await c.start()
    const until = Date.now() + 30_000
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break
      } catch {}
      if (Date.now() > until) assert.fail(`container not healthy: ${String(await c.logs({stdout: true, stderr: true}))}`)
      await new Promise((res) => setTimeout(res, 250))
    }
    const client = new Client({name: 'kaos-it', version: '0'})
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)))
    const tools = (await client.listTools()).tools.map((t) => t.name).sort()
    const sum = await client.callTool({name: 'add', arguments: {a: 2, b: 3}})
    await client.close()
    assert.deepEqual(tools, ['add', 'echo'])
    assert.match(JSON.stringify(sum.content), /5/)

    const d = await runCli(['mcp', 'deploy', '--dry-run', '--json'], {cwd: dir})
    assert.equal(d.code, 0, d.stderr)
    const dep = JSON.parse(d.stdout).objects.find((o: {kind: string}) => o.kind === 'Deployment')
    assert.equal(dep.spec.template.spec.containers[0].image, image)
    assert.equal(dep.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent')
  })

  it('--from npx://: a stdio package behind the adapter answers MCP over HTTP; the record deploys it with the adapter\'s probes', async () => {
    const dir = join(work, 'from-npx')
    mkdirSync(dir, {recursive: true})
    const from = 'npx://@modelcontextprotocol/server-everything@2026.8.31'
    const r = await runCli(['mcp', 'build', '--from', from, '--path', dir, '--tag', RUN, '--json'], {cwd: dir, timeoutMs: 900_000})
    assert.equal(r.code, 0, r.stderr + r.stdout)
    const out = JSON.parse(r.stdout)
    const image = `server-everything:${RUN}`
    images.add(image)
    assert.equal(out.image, image)
    assert.equal(JSON.parse(readFileSync(join(dir, '.kaos', 'build.json'), 'utf8')).source, from)

    const port = await freePort()
    const c = await docker.createContainer({Image: image, HostConfig: {PortBindings: {'8000/tcp': [{HostIp: '127.0.0.1', HostPort: String(port)}]}}})
    containers.push(c)
    await c.start()
    const until = Date.now() + 60_000
    // /readyz: the adapter's child answered initialize and tools/list.
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break
      } catch {}
      if (Date.now() > until) assert.fail(`container not ready: ${String(await c.logs({stdout: true, stderr: true}))}`)
      await new Promise((res) => setTimeout(res, 250))
    }
    const client = new Client({name: 'kaos-it', version: '0'})
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)))
    const tools = (await client.listTools()).tools.map((t) => t.name)
    const echo = await client.callTool({name: 'echo', arguments: {message: 'through the adapter'}})
    await client.close()
    assert.ok(tools.includes('echo'), tools.join(' '))
    assert.match(JSON.stringify(echo.content), /through the adapter/)

    const d = await runCli(['mcp', 'deploy', '--dry-run', '--json'], {cwd: dir})
    assert.equal(d.code, 0, d.stderr)
    const container = JSON.parse(d.stdout).objects.find((o: {kind: string}) => o.kind === 'Deployment').spec.template.spec.containers[0]
    assert.equal(container.image, image)
    // The recorded handlers replace custom's tcpSocket ones: two would be refused by the API server.
    assert.deepEqual(container.readinessProbe, {httpGet: {path: '/readyz', port: 'http'}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3})
    assert.deepEqual(container.livenessProbe, {httpGet: {path: '/healthz', port: 'http'}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, initialDelaySeconds: 10})
  })

  it('--from with a range instead of an exact version is refused before any build (exit 2)', async () => {
    const r = await runCli(['mcp', 'build', '--from', 'uvx://mcp-server-fetch@latest', '--path', work], {cwd: work})
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /"latest" is not an exact version/)
  })

  it('build output streams to stderr and stdout is the image reference', async () => {
    const dir = project('streamed', {Dockerfile: `FROM ${BUSYBOX_IMAGE}\nRUN echo hello-from-build\n`})
    const r = await runCli(['mcp', 'build', '--path', dir, '--tag', RUN], {cwd: work, timeoutMs: 120_000})
    images.add(`streamed:${RUN}`)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim(), `streamed:${RUN}`)
    assert.match(r.stderr, /STEP 2\/2: RUN echo hello-from-build|Step 2\/2 : RUN echo hello-from-build/)
    assert.match(r.stderr, /^hello-from-build$/m)
  })

  it('a broken Dockerfile step fails with that step and its message (exit 9)', async () => {
    const dir = project('broken', {Dockerfile: `FROM ${BUSYBOX_IMAGE}\nRUN echo fine\nRUN exit 7\n`})
    const r = await runCli(['mcp', 'build', '--path', dir, '--tag', RUN, '--json'], {cwd: work, timeoutMs: 120_000})
    assert.equal(r.code, 9, r.stdout + r.stderr)
    const err = JSON.parse(r.stdout).error
    assert.equal(err.code, 'IMAGE_BUILD_FAILED')
    assert.match(err.message, /RUN exit 7/)
    assert.match(err.message, /exit status 7|non-zero code: 7/)
  })

  it('a missing base image fails clearly (exit 9)', async () => {
    const dir = project('nobase', {'pyproject.toml': '[project]\nname = "nobase"\nversion = "0.0.1"\ndependencies = []\n', 'server.py': ''})
    const missing = 'localhost/kaos-no-such-base/zzz-nothing-ends-like-this:0'
    const r = await runCli(['mcp', 'build', '--path', dir, '--base-image', missing], {cwd: work, timeoutMs: 120_000})
    assert.equal(r.code, 9, r.stderr)
    assert.match(r.error ?? '', /image build of nobase:0\.0\.1 failed/)
    assert.match(r.error ?? '', /kaos-no-such-base/)
    assert.match(r.suggestions.join(' '), /base image/)
  })

  it('--kind-load without kind on PATH says so and suggests --push (exit 9)', async () => {
    const dir = project('nokind', {Dockerfile: `FROM ${BUSYBOX_IMAGE}\n`})
    const r = await runCli(['mcp', 'build', '--path', dir, '--tag', RUN, '--kind-load', '--kind-cluster', 'dev'], {cwd: work, env: {PATH: '/nonexistent'}, timeoutMs: 120_000})
    images.add(`nokind:${RUN}`)
    assert.equal(r.code, 9, r.stderr)
    assert.match(r.error ?? '', /kind is not installed/)
    assert.match(r.suggestions.join(' '), /Install kind.*--push/)
  })

  it('--push to the local registry', async () => {
    const dir = project('pushed', {Dockerfile: `FROM ${BUSYBOX_IMAGE}\nRUN echo ${RUN} > /stamp\n`})
    const r = await runCli(['mcp', 'build', '--path', dir, '--image-registry', `${REGISTRY}/kaos-it`, '--tag', RUN, '--push', '--json'], {cwd: work, timeoutMs: 180_000})
    const image = `${REGISTRY}/kaos-it/pushed:${RUN}`
    images.add(image)
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const out = JSON.parse(r.stdout)
    assert.equal(out.image, image)
    assert.equal(out.pushed.registry, REGISTRY)
    assert.equal(out.pushed.credentials, 'none')
    const tags = (await (await fetch(`http://${REGISTRY}/v2/kaos-it/pushed/tags/list`)).json()) as {tags: string[]}
    assert.ok(tags.tags.includes(RUN), JSON.stringify(tags))
    assert.equal(JSON.parse(readFileSync(join(dir, '.kaos', 'build.json'), 'utf8')).image, image)
  })

  it('--push without a registry is invalid input (exit 2), before any build', async () => {
    const dir = project('noregistry', {Dockerfile: `FROM ${BUSYBOX_IMAGE}\n`})
    const r = await runCli(['mcp', 'build', '--path', dir, '--push'], {cwd: work})
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.error ?? '', /--push needs a registry/)
  })

  it('an unreachable engine is one clear line (exit 9)', async () => {
    const dir = project('unreachable', {Dockerfile: `FROM ${BUSYBOX_IMAGE}\n`})
    const r = await runCli(['mcp', 'build', '--path', dir, '--tag', 'x1'], {cwd: work, env: {DOCKER_HOST: `unix://${join(work, 'nothing.sock')}`}})
    assert.equal(r.code, 9, r.stderr)
    assert.match(r.error ?? '', /^cannot reach the Docker engine at unix:\/\/.*nothing\.sock \(ENOENT\)$/)
    assert.match(r.suggestions.join(' '), /DOCKER_HOST/)
  })
})
