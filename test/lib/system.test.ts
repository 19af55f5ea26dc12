// Pure parts of `kaos system install | status`: the ConfigMap's registry text and the checks.
import assert from 'node:assert/strict'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {builtinRegistry, mergeRegistry, parseRegistryYaml} from '../../src/lib/registry.js'
import {installObjects, installRegistry, registryConfigMapYaml} from '../../src/lib/system/install.js'
import {compareWithBuiltin, unpinnedImageWarnings} from '../../src/lib/system/status.js'
import {selectImages} from '../../src/lib/system/images.js'
import {deploymentProblem} from '../../src/lib/workloads.js'
import {tempDir} from '../helpers/cli.js'

describe('install objects', () => {
  it('namespace and ConfigMap, labelled as kaos system objects', () => {
    const objs = installObjects('kaos-system', installRegistry())
    assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`), ['Namespace//kaos-system', 'ConfigMap/kaos-system/kaos-mcp-runtimes'])
    for (const o of objs) assert.deepEqual(o.metadata.labels, {'app.kubernetes.io/managed-by': 'kaos', 'kaos.tools/component': 'system'})
    assert.deepEqual(Object.keys((objs[1] as any).data), ['runtimes.yaml'])
  })

  it('the registry text parses back to the same runtimes and defaults', () => {
    const reg = installRegistry()
    const text = registryConfigMapYaml(reg)
    const back = parseRegistryYaml(text, 'cluster:x/y')
    assert.deepEqual(back.runtimes, builtinRegistry().runtimes)
    assert.deepEqual(mergeRegistry([back]).defaults, reg.defaults)
    assert.match(text, /^# kaos runtime registry, written by `kaos system install`/)
    // compact: no empty defaults spelled out
    assert.doesNotMatch(text, /requiredEnv: \[\]|env: \{\}|serviceAccount: optional|description: ""/)
  })

  it('is deterministic and merges --registry files over the built-in ones', () => {
    const dir = tempDir()
    try {
      const f = join(dir, 'team.yaml')
      writeFileSync(f, 'runtimes:\n  weather:\n    type: python\n    image: example.com/weather:1.2.3\n  slack:\n    type: nodejs\n    image: example.com/slack:latest\n')
      const a = registryConfigMapYaml(installRegistry([f]))
      assert.equal(a, registryConfigMapYaml(installRegistry([f])))
      const back = parseRegistryYaml(a, 'cluster:x/y')
      assert.deepEqual(Object.keys(back.runtimes), ['chroma', 'custom', 'discord', 'fetch', 'filesystem', 'gateway', 'github', 'google-cloud', 'kubernetes', 'memory', 'rawpython', 'slack', 'weather'])
      assert.equal(back.runtimes.slack.image, 'example.com/slack:latest')
      const cmp = compareWithBuiltin(back)
      assert.deepEqual(cmp.added, ['weather'])
      assert.deepEqual(cmp.overridesBuiltin, ['slack'])
      assert.deepEqual(cmp.sameAsBuiltin, ['chroma', 'custom', 'discord', 'fetch', 'filesystem', 'gateway', 'github', 'google-cloud', 'kubernetes', 'memory', 'rawpython'])
      const warnings = unpinnedImageWarnings(mergeRegistry([builtinRegistry(), back]))
      assert.equal(warnings.length, 1)
      assert.match(warnings[0], /runtime "slack" \(cluster:x\/y\) uses image "example.com\/slack:latest" without a pinned tag/)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('the built-in registry has no unpinned images', () => {
    assert.deepEqual(unpinnedImageWarnings(installRegistry()), [])
  })
})

describe('deploymentProblem', () => {
  it('reports ReplicaFailure and ProgressDeadlineExceeded, nothing for a healthy rollout', () => {
    assert.equal(deploymentProblem({status: {conditions: [{type: 'Available', status: 'True'}]}}), undefined)
    assert.equal(
      deploymentProblem({status: {conditions: [{type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'serviceaccount "x" not found'}]}}),
      'FailedCreate: serviceaccount "x" not found',
    )
    assert.match(deploymentProblem({status: {conditions: [{type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'took too long'}]}})!, /^ProgressDeadlineExceeded: took too long$/)
  })
})

describe('selectImages', () => {
  const registry = mergeRegistry([builtinRegistry()])
  it('takes image names and runtime names, with what each is built FROM', () => {
    assert.deepEqual(selectImages(registry, ['memory']).map((i) => i.name), ['stdio-adapter', 'mcp-memory'])
    assert.deepEqual(selectImages(registry, ['mcp-memory', 'gateway']).map((i) => i.name), ['stdio-adapter', 'gateway', 'mcp-memory'])
    assert.deepEqual(selectImages(registry, ['rawpython']).map((i) => i.name), ['rawpython'])
  })
  it('an unknown name is exit 2 with a did-you-mean', () => {
    assert.throws(() => selectImages(registry, ['gatewy']), (e: any) => e.code === 'INVALID_INPUT' && /^kaos has no image "gatewy"\. Did you mean "gateway"\?$/.test(e.message))
  })
})
