// Every golden fixture is accepted by the real API server: server-side apply, dryRun=All,
// strict field validation (HTTPRoutes by the Gateway API CRDs, installed first). The offline schema check in render.test.ts is the fast first line;
// this is the authority.
import assert from 'node:assert/strict'
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {parseAllDocuments} from 'yaml'

import {applyObject} from '../../src/lib/cluster/apply.js'
import type {KubernetesObject} from '../../src/lib/render/common.js'
import {ROOT} from '../helpers/cli.js'
import {admin, createNamespace, deleteNamespace, ensureGatewayApi} from '../helpers/kube.js'
import {requireTestbed, uniqueNamespace} from '../helpers/testbed.js'
import {describeOrSkip} from '../helpers/mocha.js'

const skip = requireTestbed('cluster')
const GOLDEN = join(ROOT, 'test', 'fixtures', 'golden')

describeOrSkip('golden fixtures pass server-side dry run with strict validation', skip, function () {
  this.timeout(120_000)
  const ns = uniqueNamespace('golden')
  // HTTPRoutes are checked by the Gateway API's own schema and CEL rules, so the CRDs must be there.
  before(async () => Promise.all([createNamespace(ns), ensureGatewayApi()]))
  after(async () => deleteNamespace(ns))

  // The renders of upstream KAOS's files (golden/upstream/) too; their Namespaces are not re-homed.
  const files = [...readdirSync(GOLDEN), ...readdirSync(join(GOLDEN, 'upstream')).map((f) => join('upstream', f))].filter((f) => f.endsWith('.yaml'))
  for (const file of files) {
    it(file, async () => {
      const objects = parseAllDocuments(readFileSync(join(GOLDEN, file), 'utf8'))
        .map((d) => d.toJS() as KubernetesObject)
        .filter((o) => o.kind !== 'Namespace')
      assert.ok(objects.length > 0)
      const cluster = admin()
      for (const o of objects) {
        // Goldens are rendered into namespace kaos-test; dry-run them in a fresh one.
        const obj = {...o, metadata: {...o.metadata, namespace: ns}}
        const res = await applyObject(cluster, obj, {dryRun: true})
        assert.equal(res.kind, o.kind)
        assert.equal(res.metadata.name, o.metadata.name)
      }
    })
  }

  it('the server rejects what strict validation should reject (the check is real)', async () => {
    const bad = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'x', namespace: ns}, data: {a: 'b'}, bogus: true} as unknown as KubernetesObject
    await assert.rejects(applyObject(admin(), bad, {dryRun: true}), /bogus/)
  })
})
