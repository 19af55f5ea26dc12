import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse, parseAllDocuments} from 'yaml'

import {formatObjects, toJsonList, toYamlDocuments} from '../../src/cli/format/objects.js'
import {table} from '../../src/cli/format/table.js'
import {objectFileName, writeOutputDir} from '../../src/lib/output-dir.js'
import type {KubernetesObject} from '../../src/lib/render/index.js'

const objects: KubernetesObject[] = [
  {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'modelapi-x-config', namespace: 'n'}, data: {'config.yaml': 'model_list:\n  - a\n', long: 'x'.repeat(200)}},
  {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'modelapi-x', namespace: 'n'}, spec: {replicas: 1}},
  {apiVersion: 'v1', kind: 'Service', metadata: {name: 'modelapi-x', namespace: 'n'}, spec: {ports: [{port: 8000}]}},
]
const dir = mkdtempSync(join(tmpdir(), 'kaos-output-'))
after(() => rmSync(dir, {recursive: true, force: true}))

describe('output', () => {
  it('YAML: one document per object, in order, long strings unfolded', () => {
    const text = toYamlDocuments(objects)
    const docs = parseAllDocuments(text).map((d) => d.toJS())
    assert.deepEqual(docs, objects)
    assert.equal(text.split('\n---\n').length, 3)
    assert.ok(text.includes(`long: ${'x'.repeat(200)}\n`), 'no line folding')
    assert.equal(formatObjects(objects, 'yaml'), text)
  })
  it('JSON: a v1 List', () => {
    const list = JSON.parse(toJsonList(objects))
    assert.deepEqual(list, {apiVersion: 'v1', kind: 'List', items: objects})
    assert.deepEqual(JSON.parse(formatObjects(objects, 'json')), list)
  })
  it('output dir: one file per object plus a kustomization listing them in order', () => {
    const out = join(dir, 'nested', 'out')
    const written = writeOutputDir(out, objects)
    const names = ['configmap-modelapi-x-config.yaml', 'deployment-modelapi-x.yaml', 'service-modelapi-x.yaml']
    assert.deepEqual(objects.map(objectFileName), names)
    assert.deepEqual(written, [...names, 'kustomization.yaml'].map((n) => join(out, n)))
    assert.deepEqual(readdirSync(out).sort(), [...names, 'kustomization.yaml'].sort())
    names.forEach((n, i) => assert.deepEqual(parse(readFileSync(join(out, n), 'utf8')), objects[i]))
    assert.deepEqual(parse(readFileSync(join(out, 'kustomization.yaml'), 'utf8')), {apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: names})
    assert.ok(existsSync(out))
  })
  it('table: aligned columns, upper-case headers, no trailing spaces', () => {
    const t = table(['NAME', 'SOURCE', 'DESCRIPTION'], [['rawpython', 'builtin', 'Python tools'], ['x', 'file:/a.yaml', '']])
    assert.equal(t, ['NAME        SOURCE         DESCRIPTION', 'rawpython   builtin        Python tools', 'x           file:/a.yaml'].join('\n'))
  })
})
