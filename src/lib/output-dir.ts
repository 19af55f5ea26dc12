// `--output-dir`: rendered objects as one YAML file each plus a kustomization.yaml.
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {stringify} from 'yaml'

import type {KubernetesObject} from './render/common.js'

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

