// The preflight's rule: which images on no node stop a deploy, which cost a warning, which nothing,
// and the command each one's message names.
import assert from 'node:assert/strict'

import {fixFor, groupImages, mergeOwnFixes, isLocalOnlyHost, judgeImage, ownImageName} from '../../src/lib/image-preflight.js'

const kind = {kindCluster: 'dev'}
const action = (image: string, facts: Parameters<typeof judgeImage>[1] = kind, pullPolicy = 'IfNotPresent') => judgeImage({image, pullPolicy}, facts).action

describe('image preflight rule', () => {
  it('public images are pulled by kind nodes like any others: no warning', () => {
    for (const image of ['axsauze/kaos-agent:0.8.4', 'ollama/ollama:0.6.2', 'busybox:1', 'ghcr.io/acme/srv:1', 'quay.io/x/y:2', 'registry.example.com:5000/a:1', 'python@sha256:abc'])
      assert.equal(action(image), 'none', image)
    // Single-label hosts with a port resolve through the nodes' own DNS (kind's registry recipe).
    assert.equal(action('kind-registry:5000/srv:1'), 'none')
  })

  it('kaos.local and imagePullPolicy Never stop the deploy, on any cluster', () => {
    assert.equal(action('kaos.local/kaos-rawpython:0.1.0'), 'stop')
    assert.equal(action('kaos.local/kaos-rawpython:0.1.0', {}), 'stop')
    assert.equal(action('kaos.local/anything:1', {}), 'stop')
    assert.equal(action('busybox:1', {}, 'Never'), 'stop')
    assert.equal(action('ghcr.io/acme/srv:1', kind, 'Never'), 'stop')
  })

  it('on kind, local-only registry hosts warn unless the cluster advertises them', () => {
    for (const image of ['localhost/srv:1', 'localhost:5001/srv:1', '127.0.0.1:5000/srv:1', '[::1]:5000/srv:1', 'dev.local/srv:1', 'registry.local:5000/a/b:1', 'kaos.localhost/srv:1'])
      assert.equal(action(image), 'warn', image)
    assert.equal(action('localhost:5001/srv:1', {...kind, servedLocalHosts: ['localhost:5001']}), 'none')
    assert.equal(action('localhost:5002/srv:1', {...kind, servedLocalHosts: ['localhost:5001']}), 'warn')
    // Off kind only the kubelet knows (microk8s serves localhost:32000 on every node).
    assert.equal(action('localhost:32000/srv:1', {}), 'none')
  })

  it('on kind, the image the current folder built and never pushed warns; once pushed, nothing', () => {
    assert.equal(action('calc:sha-0123456789ab', {...kind, record: {image: 'calc:sha-0123456789ab'}}), 'warn')
    assert.equal(action('calc:sha-0123456789ab', {...kind, record: {image: 'calc:sha-0123456789ab', digest: 'sha256:1'}}), 'none')
    assert.equal(action('other:1', {...kind, record: {image: 'calc:sha-0123456789ab'}}), 'none')
    assert.equal(action('calc:sha-0123456789ab', {record: {image: 'calc:sha-0123456789ab'}}), 'none')
  })

  it('isLocalOnlyHost', () => {
    assert.equal(isLocalOnlyHost(undefined), false)
    assert.equal(isLocalOnlyHost('localhost'), true)
    assert.equal(isLocalOnlyHost('127.0.0.1:5000'), true)
    assert.equal(isLocalOnlyHost('kaos.local'), true)
    assert.equal(isLocalOnlyHost('localhost.example.com'), false)
    assert.equal(isLocalOnlyHost('local'), false)
  })

  it('names the fix for what the image is: kaos’s own, this folder’s build, anything else', () => {
    assert.equal(ownImageName('kaos.local/kaos-rawpython:0.1.0'), 'rawpython')
    assert.equal(ownImageName('kaos.local/kaos-mcp-memory:0.1.0-2026.8.31'), 'mcp-memory')
    assert.equal(ownImageName('localhost:5001/kaos-gateway:0.1.0', 'localhost:5001'), 'gateway')
    assert.equal(ownImageName('localhost:5001/kaos-gateway:0.1.0'), undefined)
    assert.equal(ownImageName('axsauze/kaos-agent:0.8.4'), undefined)
    assert.equal(fixFor({image: 'kaos.local/kaos-rawpython:0.1.0'}, kind), 'kaos system images build rawpython --kind-load --kind-cluster dev')
    assert.match(fixFor({image: 'kaos.local/kaos-rawpython:0.1.0'}, {}), /^kaos system images build rawpython --push --image-registry REGISTRY && kaos system install --image-registry REGISTRY$/)
    assert.equal(fixFor({image: 'calc:1'}, {...kind, record: {image: 'calc:1'}}), 'kaos mcp build --kind-load --kind-cluster dev')
    assert.equal(fixFor({image: 'localhost:5001/calc:1'}, kind), 'kind load docker-image localhost:5001/calc:1 --name dev')
  })

  it('several of kaos’s images missing: one build command for all of them', () => {
    assert.deepEqual(
      mergeOwnFixes([
        'kaos system images build rawpython --kind-load --kind-cluster dev',
        'kind load docker-image localhost/x:1 --name dev',
        'kaos system images build gateway --kind-load --kind-cluster dev',
      ]),
      ['kaos system images build rawpython gateway --kind-load --kind-cluster dev', 'kind load docker-image localhost/x:1 --name dev'],
    )
    assert.deepEqual(mergeOwnFixes(['kaos system images build rawpython --kind-load --kind-cluster dev']), ['kaos system images build rawpython --kind-load --kind-cluster dev'])
  })

  it('one entry per image with all its users; Never wins; Always users pull anyway', () => {
    const g = groupImages([
      {image: 'ollama/ollama:0.6.2', pullPolicy: 'IfNotPresent', usedBy: 'modelapi-o/pull'},
      {image: 'ollama/ollama:0.6.2', pullPolicy: 'IfNotPresent', usedBy: 'modelapi-o/model-api'},
      {image: 'x:1', pullPolicy: 'IfNotPresent', usedBy: 'a/c'},
      {image: 'x:1', pullPolicy: 'Never', usedBy: 'b/c'},
      {image: 'y', pullPolicy: 'Always', usedBy: 'c/c'},
    ])
    assert.deepEqual(g, [
      {image: 'ollama/ollama:0.6.2', pullPolicy: 'IfNotPresent', usedBy: ['modelapi-o/pull', 'modelapi-o/model-api']},
      {image: 'x:1', pullPolicy: 'Never', usedBy: ['a/c', 'b/c']},
    ])
  })
})
