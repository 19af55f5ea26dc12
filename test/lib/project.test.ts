// Pure build planning: project detection, image references, the generated Dockerfile, init plans.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'yaml'

import {planInit} from '../../src/lib/image/init.js'
import {
  DEFAULT_BASE_IMAGES,
  detectProject,
  generateDockerfile,
  imageReference,
  kindClusterName,
  parseBuildArgs,
  parsePyprojectMeta,
  projectName,
  registryHost,
  resolveFastmcpPath,
  splitReference,
  toResourceName,
} from '../../src/lib/image/project.js'
import {readBuildRecord, writeBuildRecord} from '../../src/lib/image/record.js'
import {mcpServerFromBuildRecord} from '../../src/lib/inputs.js'
import {checkRenderedObjects} from '../../src/lib/k8s-schema.js'
import {builtinRegistry, mergeRegistry} from '../../src/lib/registry.js'
import {render} from '../../src/lib/render/index.js'
import {parseDocuments} from '../../src/lib/documents.js'
import {KaosError} from '../../src/lib/errors.js'
import {writeProject} from '../helpers/fs.js'

const tmp = mkdtempSync(join(tmpdir(), 'kaos-project-'))
after(() => rmSync(tmp, {recursive: true, force: true}))

const project = (files: Record<string, string>): string => writeProject(tmp, files)

describe('parsePyprojectMeta', () => {
  it('reads name and version from [project] only', () => {
    const text = `[build-system]\nname = "nope"\n\n[project]\nname = "my_server" # comment\nversion = '1.2.3'\ndependencies = ["mcp>=1.10,<2"]\n\n[tool.x]\nversion = "9"\n`
    assert.deepEqual(parsePyprojectMeta(text), {name: 'my_server', version: '1.2.3'})
  })
  it('returns nothing for a dynamic version', () => {
    assert.deepEqual(parsePyprojectMeta('[project]\nname = "a"\ndynamic = ["version"]\n'), {name: 'a'})
  })
})

describe('detectProject and names', () => {
  it('python from pyproject.toml, typescript from package.json', () => {
    const py = project({'pyproject.toml': '[project]\nname = "Calc_Tools"\nversion = "0.2.0"\n', 'server.py': ''})
    assert.deepEqual({...detectProject(py), dir: ''}, {dir: '', type: 'python', manifest: 'pyproject.toml', name: 'Calc_Tools', version: '0.2.0'})
    assert.equal(projectName(detectProject(py)), 'calc-tools')
    const ts = project({'package.json': JSON.stringify({name: '@acme/weather', version: '1.0.0', main: 'dist/main.js'}), Dockerfile: 'FROM x'})
    const info = detectProject(ts)
    assert.equal(info.type, 'typescript')
    assert.equal(info.dockerfile, 'Dockerfile')
    assert.equal(info.main, 'dist/main.js')
    assert.equal(projectName(info), 'weather')
  })
  it('a bad --name is invalid input', () => {
    assert.throws(() => projectName({dir: '/x'}, 'Bad_Name'), (e: unknown) => e instanceof KaosError && e.exit === 2 && /DNS-1123/.test(e.message))
  })
  it('toResourceName', () => {
    assert.equal(toResourceName('My.Server__v2'), 'my-server-v2')
    assert.equal(toResourceName('___'), undefined)
  })
})

describe('imageReference', () => {
  it('name:version, with a registry prefix', () => {
    assert.equal(imageReference({name: 'calc', version: '0.1.0'}), 'calc:0.1.0')
    assert.equal(imageReference({name: 'calc', version: '0.1.0', registry: 'localhost:5001/'}), 'localhost:5001/calc:0.1.0')
    assert.equal(imageReference({name: 'calc', tag: 'dev', version: '0.1.0', registry: 'ghcr.io/acme'}), 'ghcr.io/acme/calc:dev')
  })
  it('a content hash when there is no version', () => {
    assert.equal(imageReference({name: 'calc', contextHash: 'abcdef0123456789'}), 'calc:sha-abcdef012345')
  })
  it('never latest', () => {
    assert.throws(() => imageReference({name: 'calc', tag: 'latest'}), (e: unknown) => e instanceof KaosError && e.exit === 2 && /latest/.test(e.message))
  })
  it('registry hosts and tags', () => {
    assert.equal(registryHost('localhost:5001/calc:1'), 'localhost:5001')
    assert.equal(registryHost('ghcr.io/acme/calc:1'), 'ghcr.io')
    assert.equal(registryHost('acme/calc:1'), undefined)
    assert.equal(registryHost('calc:1'), undefined)
    assert.deepEqual(splitReference('localhost:5001/calc:1.0'), {repo: 'localhost:5001/calc', tag: '1.0'})
    assert.deepEqual(splitReference('localhost:5001/calc'), {repo: 'localhost:5001/calc', tag: 'latest'})
  })
  it('build args', () => {
    assert.deepEqual(parseBuildArgs(['A=1', 'B=x=y']), {A: '1', B: 'x=y'})
    assert.throws(() => parseBuildArgs(['nope']), /KEY=VALUE/)
  })
})

describe('kindClusterName', () => {
  // --kind-cluster itself wins before this is asked (kind-cluster.test.ts).
  it('a kind- context, then kind', () => {
    assert.deepEqual(kindClusterName({context: 'kind-ci'}).cluster, 'ci')
    assert.deepEqual(kindClusterName({kubeconfigText: 'apiVersion: v1\ncurrent-context: kind-local\n'}).cluster, 'local')
    assert.deepEqual(kindClusterName({kubeconfigText: 'current-context: prod\n'}).cluster, 'kind')
  })
})

describe('generateDockerfile', () => {
  it('python: pinned base, dependencies before code, non-root, port 8000, streamable HTTP at /mcp', () => {
    const text = generateDockerfile('python', {fastmcpPath: 'server:mcp', manifest: 'pyproject.toml'})
    const lines = text.split('\n')
    assert.equal(lines.find((l) => l.startsWith('FROM')), `FROM ${DEFAULT_BASE_IMAGES.python}`)
    assert.doesNotMatch(DEFAULT_BASE_IMAGES.python, /latest/)
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l))
    assert.ok(at(/^COPY pyproject.toml/) < at(/^RUN .*pip/), 'pyproject copied before the install')
    assert.ok(at(/^RUN .*pip/) < at(/^COPY \. \./), 'dependencies installed before the code is copied')
    assert.match(text, /^USER 10001:10001$/m)
    assert.match(text, /^EXPOSE 8000$/m)
    assert.match(text, /KAOS_FASTMCP_PATH=server:mcp/)
    const cmd = JSON.parse(lines.find((l) => l.startsWith('CMD '))!.slice(4)) as string[]
    assert.equal(cmd[0], 'python')
    assert.match(cmd[2], /st\.host='0\.0\.0\.0'/)
    assert.match(cmd[2], /enable_dns_rebinding_protection=bool\(h\)/)
    assert.match(cmd[2], /streamable-http/)
  })
  it('python with --base-image and requirements.txt', () => {
    const text = generateDockerfile('python', {baseImage: 'localhost/py:3.11', manifest: 'requirements.txt'})
    assert.match(text, /^FROM localhost\/py:3.11$/m)
    assert.match(text, /^COPY requirements.txt \.\/$/m)
  })
  it('typescript: node base, npm ci before the code, build, prune', () => {
    const text = generateDockerfile('typescript', {main: 'dist/main.js'})
    assert.match(text, /^FROM node:/m)
    assert.ok(text.indexOf('npm ci') < text.indexOf('COPY . .'))
    assert.match(text, /^CMD \["node","dist\/main.js"\]$/m)
  })
  it('resolveFastmcpPath finds server.py and checks a given module', () => {
    const dir = project({'main.py': '', 'pkg/srv.py': ''})
    assert.equal(resolveFastmcpPath(dir), 'main:mcp')
    assert.equal(resolveFastmcpPath(dir, 'pkg.srv:app'), 'pkg.srv:app')
    assert.throws(() => resolveFastmcpPath(dir, 'missing:mcp'), /not found/)
    assert.throws(() => resolveFastmcpPath(dir, 'bad path'), /module:object/)
  })
})

describe('planInit', () => {
  it('python: FastMCP server, pyproject pinned below mcp 2, dockerignore, and a valid mcp.yaml', () => {
    const plan = planInit({name: 'calc', template: 'python', createYaml: true, createDockerfile: true})
    const files = Object.fromEntries(plan.files.map((f) => [f.path, f.content]))
    assert.deepEqual(Object.keys(files).sort(), ['.dockerignore', '.gitignore', 'Dockerfile', 'README.md', 'mcp.yaml', 'pyproject.toml', 'server.py'])
    assert.match(files['server.py'], /from mcp\.server\.fastmcp import FastMCP/)
    assert.match(files['server.py'], /FastMCP\(\n\s+"calc"/)
    assert.match(files['server.py'], /@mcp\.custom_route\("\/healthz"/)
    assert.equal((files['server.py'].match(/@mcp\.tool\(\)/g) ?? []).length, 2)
    assert.match(files['pyproject.toml'], /"mcp>=1\.10,<2"/)
    assert.match(files['.dockerignore'], /^\.kaos$/m)
    const [doc] = parseDocuments(files['mcp.yaml'], 'mcp.yaml')
    assert.equal(plan.image, 'calc:0.1.0')
    assert.deepEqual(doc.spec, {runtime: 'custom', container: {image: 'calc:0.1.0', imagePullPolicy: 'IfNotPresent'}})
    assert.equal(parse(files['mcp.yaml']).apiVersion, 'kaos.tools/v1alpha1')
    assert.doesNotMatch(JSON.stringify(files), /\{\{name\}\}/)
  })
  it('typescript: SDK server, package.json, tsconfig', () => {
    const plan = planInit({name: 'weather', template: 'typescript'})
    const files = Object.fromEntries(plan.files.map((f) => [f.path, f.content]))
    assert.deepEqual(Object.keys(files).sort(), ['.dockerignore', '.gitignore', 'README.md', 'package.json', 'src/server.ts', 'tsconfig.json'])
    assert.equal(JSON.parse(files['package.json']).name, 'weather')
    assert.match(files['src/server.ts'], /StreamableHTTPServerTransport/)
  })
})

describe('build record', () => {
  it('round-trips and becomes a custom-runtime MCPServer with IfNotPresent', () => {
    const dir = project({})
    assert.equal(readBuildRecord(dir), undefined)
    writeBuildRecord(dir, {version: 1, name: 'calc', image: 'localhost:5001/calc:0.1.0', builtAt: '2026-01-01T00:00:00.000Z'})
    const rec = readBuildRecord(dir)!
    assert.equal(rec.image, 'localhost:5001/calc:0.1.0')
    const doc = mcpServerFromBuildRecord(rec, {env: ['A=1']})
    assert.equal(doc.metadata.name, 'calc')
    assert.deepEqual(doc.spec.container, {image: 'localhost:5001/calc:0.1.0', env: [{name: 'A', value: '1'}], imagePullPolicy: 'IfNotPresent'})
    assert.equal(doc.spec.runtime, 'custom')
  })
  it('a record built --from a package deploys with the adapter\'s probes in place of custom\'s, which the schema check accepts', () => {
    const rec = {version: 1 as const, name: 'mcp-server-time', image: 'mcp-server-time:2026.1.26', builtAt: '2026-01-01T00:00:00.000Z', source: 'uvx://mcp-server-time@2026.1.26'}
    const docs = [mcpServerFromBuildRecord(rec, {})]
    const {objects} = render(docs, {namespace: 'ns', registry: mergeRegistry([builtinRegistry()]), authTokens: {}})
    checkRenderedObjects(objects, docs)
    const c = (objects.find((o) => o.kind === 'Deployment') as any).spec.template.spec.containers[0]
    // The image's entrypoint is the adapter on :8000 (uvx.Dockerfile): /readyz and /healthz are its.
    assert.deepEqual(c.ports, [{name: 'http', containerPort: 8000, protocol: 'TCP'}])
    assert.deepEqual(c.readinessProbe, {httpGet: {path: '/readyz', port: 'http'}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3})
    assert.deepEqual(c.livenessProbe, {httpGet: {path: '/healthz', port: 'http'}, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, initialDelaySeconds: 10})
  })
  it('a corrupt record is invalid input', () => {
    const dir = project({'.kaos/build.json': '{nope'})
    assert.throws(() => readBuildRecord(dir), (e: unknown) => e instanceof KaosError && e.exit === 2)
  })
})
