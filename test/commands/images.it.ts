// kaos's own images on the test beds: built for real through podman's Docker API (the stand-in base
// images are public names made locally), pushed to the local registry, found where they are, named
// by the cluster's choice of registry, and checked against the nodes before a deploy.
import assert from 'node:assert/strict'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {type CliResult, runCli, tempDir} from '../helpers/cli.js'
import {admin, createNamespace, deleteNamespace, kubectl} from '../helpers/kube.js'
import {describeOrSkip} from '../helpers/mocha.js'
import {requireTestbed, testDockerHost, testKubeconfig, uniqueNamespace} from '../helpers/testbed.js'

const skip = requireTestbed('cluster') || requireTestbed('docker')
const KC = testKubeconfig() ?? ''
const REGISTRY = process.env.KAOS_TESTBED_REGISTRY ?? 'localhost:5001'
const KIND_NAME = process.env.KAOS_TESTBED_KIND_NAME ?? 'kaos-testbed'
const VERSION = JSON.parse((await import('node:fs')).readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string

function kaos(args: string[], opts: {env?: Record<string, string | undefined>; timeoutMs?: number} = {}): Promise<CliResult> {
  return runCli([...args, '--kubeconfig', KC], {env: {DOCKER_HOST: testDockerHost(), ...opts.env}, timeoutMs: opts.timeoutMs ?? 600_000})
}
const json = (r: CliResult) => {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`)
  return JSON.parse(r.stdout)
}

describeOrSkip("kaos's own images", skip, function () {
  this.timeout(900_000)
  const ns = uniqueNamespace('images')
  before(async () => createNamespace(ns))
  after(async () => deleteNamespace(ns))

  it('builds rawpython for real and pushes it to a registry; list finds it locally and in the registry', async () => {
    const built = json(await kaos(['system', 'images', 'build', 'rawpython', '--push', '--image-registry', REGISTRY, '--json']))
    assert.deepEqual(built.images.map((i: any) => i.ref), [`${REGISTRY}/kaos-rawpython:${VERSION}`])
    assert.equal(built.images[0].pushed.registry, REGISTRY)
    const listed = json(await kaos(['system', 'images', 'list', '--image-registry', REGISTRY, '--json']))
    const raw = listed.images.find((i: any) => i.name === 'rawpython')
    assert.equal(raw.ref, `${REGISTRY}/kaos-rawpython:${VERSION}`)
    assert.match(raw.local.id, /^sha256:/)
    assert.equal(raw.registry, true)
    // Not pushed (only rawpython was): the registry says so.
    assert.equal(listed.images.find((i: any) => i.name === 'stdio-adapter').registry, false)
  })

  it('install --image-registry makes every deploy of the cluster name kaos images there', async () => {
    const sys = `sys-${ns}`.slice(0, 60)
    try {
      json(await kaos(['system', 'install', '--system-namespace', sys, '--image-registry', REGISTRY, '--json']))
      const cm = kubectl('get', 'configmap', 'kaos-mcp-runtimes', '-n', sys, '-o', 'jsonpath={.data.runtimes\\.yaml}')
      assert.match(cm, new RegExp(`imageRegistry: ${REGISTRY}`))
      assert.match(cm, /kaosImage: rawpython/, 'the ConfigMap keeps the image symbolic')
      const r = json(await kaos(['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', 'def one() -> int:\n    return 1', '-n', ns, '--system-namespace', sys, '--dry-run=server', '--json']))
      const dep = r.objects.find((o: any) => o.kind === 'Deployment')
      assert.equal(dep.spec.template.spec.containers[0].image, `${REGISTRY}/kaos-rawpython:${VERSION}`)
    } finally {
      await kaos(['system', 'uninstall', '--system-namespace', sys])
    }
  })

  it('--kind-load without --kind-cluster loads into the kube context\'s kind cluster and says which (the bed\'s context is not named kind-…; kind has one cluster)', async () => {
    const r = await kaos(['system', 'images', 'build', 'rawpython', '--kind-load'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, new RegExp(`kind cluster "${KIND_NAME}" \\(from the only kind cluster\\)`))
    assert.match(r.stdout, new RegExp(`rawpython .* ${KIND_NAME}\\s*$`, 'm'))
  })

  it('bad input: an unknown image has a did-you-mean (2); --push needs a registry (2); --kind-load without kind says so (9)', async () => {
    const unknown = await kaos(['system', 'images', 'build', 'rawpyton'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.error ?? '', /^kaos has no image "rawpyton"\. Did you mean "rawpython"\?$/)
    const push = await kaos(['system', 'images', 'build', 'rawpython', '--push'])
    assert.equal(push.code, 2)
    assert.match(push.error ?? '', /^--push needs an image registry/)
    const noKind = await kaos(['system', 'images', 'build', 'rawpython', '--kind-load'], {env: {PATH: '/usr/bin:/bin'}})
    assert.equal(noKind.code, 9, noKind.stderr)
    assert.match(noKind.error ?? '', /^kind is not installed \(no `kind` on PATH\)/)
  })
})

describeOrSkip('image preflight before applying', requireTestbed('cluster'), function () {
  this.timeout(120_000)
  const ns = uniqueNamespace('preflight')
  const node = `kind-${ns}`.slice(0, 60)
  const setImages = async (images: string[]) =>
    admin().request('PATCH', `/api/v1/nodes/${node}/status`, {body: {status: {images: images.map((n) => ({names: [n], sizeBytes: 1000}))}}, contentType: 'application/merge-patch+json'})
  // Earlier suites load kaos's images into the bed's own nodes (as a developer would): hide them
  // here, so "on no node" is true whatever ran before, and give them back afterwards.
  const hidden: {name: string; images: unknown[]}[] = []
  before(async () => {
    await createNamespace(ns)
    const nodes = (await admin().request('GET', '/api/v1/nodes')) as {items: {metadata: {name: string}; status?: {images?: {names?: string[]}[]}}[]}
    for (const n of nodes.items) {
      const images = n.status?.images ?? []
      const kept = images.filter((i) => !(i.names ?? []).some((name) => name.includes('/kaos-rawpython:')))
      if (kept.length === images.length) continue
      hidden.push({name: n.metadata.name, images})
      await admin().request('PATCH', `/api/v1/nodes/${n.metadata.name}/status`, {body: {status: {images: kept}}, contentType: 'application/merge-patch+json'})
    }
    // A kind node (by its providerID) that runs nothing here: what a kind cluster reports.
    await admin().request('POST', '/api/v1/nodes', {
      body: {apiVersion: 'v1', kind: 'Node', metadata: {name: node, labels: {'kaos.tools/test': 'preflight'}}, spec: {providerID: `kind://docker/dev/${node}`, unschedulable: true, taints: [{key: 'kaos.tools/test', effect: 'NoSchedule'}]}},
    })
    await setImages(['docker.io/library/busybox:1'])
  })
  after(async () => {
    for (const h of hidden) await admin().request('PATCH', `/api/v1/nodes/${h.name}/status`, {body: {status: {images: h.images}}, contentType: 'application/merge-patch+json'})
    await admin().request('DELETE', `/api/v1/nodes/${node}`, {allow404: true})
    await deleteNamespace(ns)
  })

  const deploy = (...extra: string[]) => kaos(['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', 'def one() -> int:\n    return 1', '-n', ns, ...extra])

  it('stops a deploy whose kaos.local image is on no node with exit 5 (IMAGE_NOT_AVAILABLE), naming the command that builds that image; nothing is applied', async () => {
    const r = await deploy()
    assert.equal(r.code, 5, r.stderr)
    assert.match(r.error ?? '', new RegExp(`^image kaos\\.local/kaos-rawpython:${VERSION.replace(/\./g, '\\.')} \\(mcpserver-calc/mcp-server\\) is on no node of the cluster, and no registry serves kaos\\.local`))
    assert.match(r.stderr, /Run `kaos system images build rawpython --kind-load --kind-cluster dev`\./)
    assert.equal(kubectl('get', 'deploy', '-n', ns, '-o', 'name').trim(), '')
    const j = await deploy('--json')
    assert.equal(j.code, 5)
    const body = JSON.parse(j.stdout)
    assert.equal(body.error.code, 'IMAGE_NOT_AVAILABLE')
    // --skip-image-check trusts the user.
    assert.equal((await deploy('--skip-image-check', '--dry-run=server')).code, 0)
  })

  it('passes once a node holds the image', async () => {
    await setImages(['docker.io/library/busybox:1', `kaos.local/kaos-rawpython:${VERSION}`])
    const r = await deploy('--dry-run=server')
    assert.equal(r.code, 0, r.stderr)
  })

  const servers = (images: Record<string, string>) => {
    const f = join(tempDir(), 'servers.yaml')
    writeFileSync(f, Object.entries(images).map(([name, image]) => `apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: ${name}}\nspec:\n  runtime: custom\n  container: {image: "${image}"}\n`).join('---\n'))
    return f
  }
  const imageWarnings = (r: CliResult) => (json(r).warnings as string[]).filter((w) => w.startsWith('image '))

  it('images a kind node can pull (Docker Hub, ghcr.io, quay.io) are on no node: no warning, kaos\'s default agent image included', async () => {
    const f = servers({hub: 'weather:1.0.0', user: 'acme/weather:1.0.0', ghcr: 'ghcr.io/acme/weather:1.0.0', quay: 'quay.io/acme/weather:1.0.0'})
    assert.deepEqual(imageWarnings(await kaos(['apply', '-f', f, '-n', ns, '--dry-run=server', '--json'])), [])
    const agent = await kaos(['agent', 'deploy', 'solo', '--model-api', 'nowhere', '--model', 'm', '-n', ns, '--dry-run=server', '--json'])
    assert.deepEqual(imageWarnings(agent), [])
  })

  it('a local-only image on no kind node: one warning naming all its users and `kind load docker-image`, never a stop', async () => {
    const f = servers({a: 'localhost:5009/weather:1.0.0', b: 'localhost:5009/weather:1.0.0', c: 'localhost:5009/weather:1.0.0', d: 'dev.local/tools:2'})
    const r = await kaos(['apply', '-f', f, '-n', ns, '--dry-run=server', '--json'])
    assert.deepEqual(imageWarnings(r), [
      'image localhost:5009/weather:1.0.0 (mcpserver-a/mcp-server, mcpserver-b/mcp-server, mcpserver-c/mcp-server) is on no node of kind cluster "dev" and localhost:5009 is a registry only this machine can reach: unless a registry serves it, its pods will not start. Load it: `kind load docker-image localhost:5009/weather:1.0.0 --name dev`',
      'image dev.local/tools:2 (mcpserver-d/mcp-server) is on no node of kind cluster "dev" and dev.local is a registry only this machine can reach: unless a registry serves it, its pods will not start. Load it: `kind load docker-image dev.local/tools:2 --name dev`',
    ])
    // Without --json, the same one line on stderr.
    const plainRun = await kaos(['apply', '-f', f, '-n', ns, '--dry-run=server'])
    assert.equal(plainRun.code, 0, plainRun.stderr)
    assert.equal(plainRun.stderr.split('\n').filter((l) => l.includes('image localhost:5009/weather:1.0.0')).length, 1, plainRun.stderr)
  })

  it('a local host the cluster advertises (kind\'s local-registry-hosting ConfigMap) is pullable: no warning', async () => {
    const cm = '/api/v1/namespaces/kube-public/configmaps'
    await admin().request('POST', cm, {body: {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'local-registry-hosting'}, data: {'localRegistryHosting.v1': 'host: "localhost:5009"\nhelp: "https://kind.sigs.k8s.io/docs/user/local-registry/"\n'}}})
    try {
      const r = await kaos(['apply', '-f', servers({a: 'localhost:5009/weather:1.0.0', b: 'localhost:5010/weather:1.0.0'}), '-n', ns, '--dry-run=server', '--json'])
      assert.deepEqual(imageWarnings(r).map((w) => w.split(' ')[1]), ['localhost:5010/weather:1.0.0'])
    } finally {
      await admin().request('DELETE', `${cm}/local-registry-hosting`, {allow404: true})
    }
  })

  it('the image the current folder\'s `kaos mcp build` recorded and did not push: a warning whose fix is `kaos mcp build --kind-load`', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, '.kaos'))
    writeFileSync(join(dir, '.kaos', 'build.json'), JSON.stringify({version: 1, name: 'calc', image: 'calc:sha-0123456789ab', builtAt: new Date().toISOString()}))
    const r = await runCli(['mcp', 'deploy', '-n', ns, '--dry-run=server', '--json', '--kubeconfig', KC], {cwd: dir})
    assert.deepEqual(imageWarnings(r), [
      'image calc:sha-0123456789ab (mcpserver-calc/mcp-server) is on no node of kind cluster "dev" and `kaos mcp build` made it here and did not push it: unless a registry serves it, its pods will not start. Load it: `kaos mcp build --kind-load --kind-cluster dev`',
    ])
  })
})
