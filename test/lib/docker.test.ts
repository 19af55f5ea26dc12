// The Docker-facing pieces that need no engine: the build context (.dockerignore), registry
// credentials from a docker config, kind errors, and an unreachable engine.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {contextHash, listContext, packContext, tarNames} from '../../src/lib/image/context.js'
import {connectDocker, kindLoad, registryAuth} from '../../src/lib/image/docker.js'
import {KaosError} from '../../src/lib/errors.js'
import {writeProject} from '../helpers/fs.js'

const tmp = mkdtempSync(join(tmpdir(), 'kaos-docker-'))
after(() => rmSync(tmp, {recursive: true, force: true}))

const project = (files: Record<string, string>): string => writeProject(tmp, files)

const isBuildError = (re: RegExp) => (e: unknown) => e instanceof KaosError && e.exit === 9 && re.test(e.message)

describe('build context', () => {
  it('honours .dockerignore (patterns, directories, ! exceptions) and always leaves out .kaos/', async () => {
    const dir = project({
      '.dockerignore': '# comment\nsecret.txt\n*.log\nnode_modules\ndocs/**\n!docs/keep.md\n**/__pycache__\n',
      'server.py': 'print(1)\n',
      'secret.txt': 'no',
      'app.log': 'no',
      'sub/deep.log': 'yes: *.log matches the top level only',
      'node_modules/x/index.js': 'no',
      'docs/drop.md': 'no',
      'docs/keep.md': 'yes',
      'pkg/__pycache__/m.pyc': 'no',
      'pkg/m.py': 'yes',
      '.kaos/build.json': '{}',
    })
    symlinkSync('server.py', join(dir, 'link.py'))
    const listing = listContext(dir)
    assert.equal(listing.dockerignore, true)
    const packed = packContext(listing, [{path: '.kaos.Dockerfile', content: 'FROM scratch\n'}])
    const names = await tarNames(packed.stream)
    const {bytes} = await packed.done
    assert.ok(bytes > 0 && bytes % 512 === 0, `tar size ${bytes}`)
    const files = [...names].sort()
    assert.deepEqual(files, ['.dockerignore', '.kaos.Dockerfile', 'docs/keep.md', 'link.py', 'pkg/m.py', 'server.py', 'sub/deep.log'].sort())
    for (const gone of ['secret.txt', 'app.log', 'node_modules', '.kaos', 'docs/drop.md', 'pkg/__pycache__']) assert.ok(!names.some((n) => n === gone || n.startsWith(`${gone}/`)), `${gone} must not be in the context`)
  })
  it('without .dockerignore everything but .kaos/ is sent; the hash follows the content', () => {
    const dir = project({'a.py': '1', '.kaos/build.json': '{}'})
    const l1 = listContext(dir)
    assert.equal(l1.dockerignore, false)
    assert.deepEqual(l1.entries.map((e) => e.path), ['a.py'])
    const h1 = contextHash(l1)
    assert.equal(contextHash(listContext(dir)), h1)
    writeFileSync(join(dir, '.kaos', 'build.json'), '{"changed": true}')
    assert.equal(contextHash(listContext(dir)), h1, '.kaos/ does not change the hash')
    writeFileSync(join(dir, 'a.py'), '2')
    assert.notEqual(contextHash(listContext(dir)), h1)
  })
})

describe('registryAuth (~/.docker/config.json)', () => {
  const config = (c: unknown) => {
    const f = join(mkdtempSync(join(tmp, 'cfg-')), 'config.json')
    writeFileSync(f, JSON.stringify(c))
    return f
  }
  it('auths: base64 user:password, matched by host whatever the key looks like', async () => {
    const f = config({auths: {'https://registry.example.com/v2/': {auth: Buffer.from('alice:s3cret').toString('base64')}}})
    const r = await registryAuth('registry.example.com', {configFile: f})
    assert.deepEqual(r?.auth, {username: 'alice', password: 's3cret', serveraddress: 'registry.example.com'})
  })
  it('Docker Hub aliases share the index.docker.io key', async () => {
    const f = config({auths: {'https://index.docker.io/v1/': {auth: Buffer.from('bob:pw').toString('base64')}}})
    const r = await registryAuth('docker.io', {configFile: f})
    assert.equal(r?.auth.username, 'bob')
  })
  it('credHelpers win over auths; a <token> username is an identity token', async () => {
    const f = config({auths: {'ghcr.io': {auth: Buffer.from('x:y').toString('base64')}}, credHelpers: {'ghcr.io': 'fake'}})
    const calls: string[] = []
    const r = await registryAuth('ghcr.io', {
      configFile: f,
      runHelper: async (helper, server) => {
        calls.push(`${helper} ${server}`)
        return JSON.stringify({ServerURL: server, Username: '<token>', Secret: 'tok'})
      },
    })
    assert.deepEqual(calls, ['fake ghcr.io'])
    assert.deepEqual(r?.auth, {identitytoken: 'tok', serveraddress: 'ghcr.io'})
    assert.match(r!.source, /docker-credential-fake/)
  })
  it('credsStore as the fallback; nothing found means anonymous', async () => {
    const f = config({credsStore: 'desktop'})
    const found = await registryAuth('localhost:5001', {configFile: f, runHelper: async () => JSON.stringify({Username: 'u', Secret: 'p'})})
    assert.deepEqual(found?.auth, {username: 'u', password: 'p', serveraddress: 'localhost:5001'})
    assert.equal(await registryAuth('localhost:5001', {configFile: f, runHelper: async () => undefined}), undefined)
    assert.equal(await registryAuth('localhost:5001', {configFile: join(tmp, 'missing.json')}), undefined)
  })
  it('a missing helper binary is a clear build error', async () => {
    const f = config({credHelpers: {'ghcr.io': 'kaos-test-no-such-helper'}})
    await assert.rejects(registryAuth('ghcr.io', {configFile: f}), isBuildError(/docker-credential-kaos-test-no-such-helper .* is not installed/))
  })
})

describe('kindLoad errors', () => {
  const docker = {} as never
  it('kind not installed: says so and suggests installing kind or --push', async () => {
    const run = async () => {
      throw Object.assign(new Error('spawn kind ENOENT'), {code: 'ENOENT'})
    }
    await assert.rejects(kindLoad(docker, 'calc:0.1.0', 'kind', {run}), (e: unknown) => {
      assert.ok(e instanceof KaosError && e.exit === 9)
      assert.match(e.message, /kind is not installed/)
      assert.match(e.suggestions.join(' '), /--push/)
      return true
    })
  })
  it('a cluster that does not exist is named, with the ones that do', async () => {
    const run = async () => ({stdout: 'dev\nci\n', stderr: ''})
    await assert.rejects(kindLoad(docker, 'calc:0.1.0', 'prod', {run}), isBuildError(/kind cluster "prod" does not exist \(kind get clusters: dev, ci\)/))
  })
})

describe('connectDocker', () => {
  it('an engine that is not there is one clear line, exit 9', async () => {
    const saved = process.env.DOCKER_HOST
    process.env.DOCKER_HOST = `unix://${join(tmp, 'no.sock')}`
    try {
      await assert.rejects(connectDocker(), isBuildError(/^cannot reach the Docker engine at unix:\/\/.*no\.sock \(ENOENT\)$/))
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST
      else process.env.DOCKER_HOST = saved
    }
  })
})
