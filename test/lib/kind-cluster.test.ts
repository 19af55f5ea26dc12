// The default for --kind-cluster, with a real `kind` executable on PATH (a script that lists the
// clusters this test names) run through kaos's own runner.
import assert from 'node:assert/strict'
import {chmodSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {chooseKindCluster} from '../../src/lib/image/kind-cluster.js'

describe('chooseKindCluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kaos-kind-choice-'))
  const savedPath = process.env.PATH
  const kubeconfig = join(dir, 'kubeconfig')
  const kindLists = (...clusters: string[]) => {
    writeFileSync(join(dir, 'kind'), `#!/bin/sh\n[ "$1 $2" = "get clusters" ] && printf '${clusters.map((c) => `${c}\\n`).join('')}'\n`)
    chmodSync(join(dir, 'kind'), 0o755)
  }
  const context = (name: string) => writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\ncurrent-context: ${name}\n`)
  before(() => {
    process.env.PATH = `${dir}:${savedPath}`
  })
  after(() => {
    process.env.PATH = savedPath
    rmSync(dir, {recursive: true, force: true})
  })

  it('--kind-cluster, then a kind-NAME context (--context before the current one)', async () => {
    kindLists('a', 'b')
    context('kind-b')
    assert.deepEqual(await chooseKindCluster({flag: 'x', kubeconfig}), {cluster: 'x', from: '--kind-cluster'})
    assert.deepEqual(await chooseKindCluster({kubeconfig}), {cluster: 'b', from: 'the current kube context kind-b'})
    assert.deepEqual(await chooseKindCluster({kubeconfig, context: 'kind-a'}), {cluster: 'a', from: '--context kind-a'})
  })

  it('a context not named kind-…: the only kind cluster; with several, the one the nodes name; else "kind"', async () => {
    context('kaos-testbed')
    kindLists('kaos-testbed')
    assert.deepEqual(await chooseKindCluster({kubeconfig}), {cluster: 'kaos-testbed', from: 'the only kind cluster'})
    kindLists('a', 'b')
    assert.deepEqual(await chooseKindCluster({kubeconfig, nodesCluster: async () => 'b'}), {cluster: 'b', from: "the kube context's nodes"})
    assert.equal((await chooseKindCluster({kubeconfig, nodesCluster: async () => 'elsewhere'})).cluster, 'kind')
    // The kubeconfig's server does not exist: no hint, kind's default.
    assert.equal((await chooseKindCluster({kubeconfig})).cluster, 'kind')
    kindLists()
    assert.deepEqual(await chooseKindCluster({kubeconfig}), {cluster: 'kind', from: "kind's default"})
  })
})
