// `--output-dir`: rendered objects as one YAML file each plus a kustomization.yaml.
import {join, resolve} from 'node:path'
import {stringify} from 'yaml'

import {type PlannedWrite, writeFiles} from './files.js'
import type {KubernetesObject} from './render/common.js'

/** File name of one object in an output dir: `deployment-mcpserver-x.yaml`. */
export function objectFileName(o: KubernetesObject): string {
  return `${o.kind.toLowerCase()}-${o.metadata.name}.yaml`
}

/**
 * The files of an output dir: one YAML file per object plus a `kustomization.yaml` listing them
 * in apply order, so the directory works with `kubectl apply -k DIR`. Secrets are mode 0600.
 */
export function planOutputDir(dir: string, objects: KubernetesObject[]): PlannedWrite[] {
  const root = resolve(dir)
  const names = objects.map(objectFileName)
  const files: PlannedWrite[] = objects.map((o, i) => ({path: join(root, names[i]), content: stringify(o, {lineWidth: 0}), ...(o.kind === 'Secret' ? {mode: 0o600} : {})}))
  files.push({path: join(root, 'kustomization.yaml'), content: stringify({apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: names})})
  return files
}

/**
 * Write the output dir. Existing files are overwritten only with `force`; symlinks, FIFOs and
 * devices are never written through; nothing is written unless every file can be. Returns the paths.
 */
export function writeOutputDir(dir: string, objects: KubernetesObject[], opts: {force?: boolean} = {}): string[] {
  return writeFiles(planOutputDir(dir, objects), {root: resolve(dir), force: opts.force, what: '--output-dir'})
}
