import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {stringify} from 'yaml'

import type {KubernetesObject} from './render/common.js'

/** Multi-document YAML, one object per document, in the given order. */
export function toYamlDocuments(objects: unknown[]): string {
  return objects.map((o) => stringify(o, {lineWidth: 0})).join('---\n')
}

/** `-o json` for several objects: a Kubernetes List, as kubectl prints it. */
export function toJsonList(objects: unknown[]): string {
  return JSON.stringify({apiVersion: 'v1', kind: 'List', items: objects}, null, 2)
}

/** Format objects for `-o yaml|json`. */
export function formatObjects(objects: unknown[], format: 'yaml' | 'json'): string {
  return format === 'json' ? toJsonList(objects) : toYamlDocuments(objects)
}

/** File name of one object in an output dir: `deployment-mcpserver-x.yaml`. */
export function objectFileName(o: KubernetesObject): string {
  return `${o.kind.toLowerCase()}-${o.metadata.name}.yaml`
}

/**
 * Write one YAML file per object plus a `kustomization.yaml` listing them in apply order, so the
 * directory works with `kubectl apply -k DIR`. Returns the written paths.
 */
export function writeOutputDir(dir: string, objects: KubernetesObject[]): string[] {
  mkdirSync(dir, {recursive: true})
  const names = objects.map(objectFileName)
  const written = objects.map((o, i) => {
    const p = join(dir, names[i])
    writeFileSync(p, stringify(o, {lineWidth: 0}))
    return p
  })
  const k = join(dir, 'kustomization.yaml')
  writeFileSync(k, stringify({apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: names}))
  return [...written, k]
}

/** Print rows as an aligned table with upper-case headers, like kubectl. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('   ')
      .trimEnd()
  return [line(headers), ...rows.map(line)].join('\n')
}
