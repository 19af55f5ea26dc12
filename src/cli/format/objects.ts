// Rendered Kubernetes objects as text: multi-document YAML, or a List as kubectl prints it.
import {stringify} from 'yaml'

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


/** A structured result as `-o json` or `-o yaml`: the same value `--json` prints. */
export function formatValue(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? JSON.stringify(value, null, 2) : stringify(value, {lineWidth: 0}).trimEnd()
}
