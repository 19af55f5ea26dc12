// The value formats the Kubernetes API server (and the kubelet) insist on, checked offline so a
// dry run never prints what a deploy would have refused. Pure and dependency-free: documents,
// registry files, flags and rendered objects all use these.

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** A DNS-1123 label (container names, port names' base): at most 63 characters. */
export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s)
}

/** A DNS-1123 subdomain (Secret, ConfigMap, ServiceAccount names): at most 253 characters. */
export function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s)
}

export const DNS_LABEL_TEXT = 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters'
export const DNS_SUBDOMAIN_TEXT = 'must be a DNS-1123 name: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit, at most 253 characters'

/** A key in a Secret or ConfigMap. */
export function isConfigKey(s: string): boolean {
  return s.length > 0 && s.length <= 253 && /^[-._a-zA-Z0-9]+$/.test(s)
}

/** A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain, the name ≤ 63 characters. */
export function isQualifiedName(s: string): boolean {
  const i = s.lastIndexOf('/')
  const prefix = i === -1 ? undefined : s.slice(0, i)
  const name = i === -1 ? s : s.slice(i + 1)
  if (prefix !== undefined && !isDnsSubdomain(prefix)) return false
  return name.length > 0 && name.length <= 63 && /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/.test(name)
}

/** A label value: empty, or ≤ 63 characters of alphanumerics, "-", "_", "." starting and ending alphanumeric. */
export function isLabelValue(s: string): boolean {
  return s.length <= 63 && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(s)
}

/** Kubernetes' limit on the annotations of one object, keys and values together. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024

/** Bytes the API server counts for an annotation set (keys plus values). */
export function annotationsSize(annotations: Record<string, string> | undefined): number {
  let n = 0
  for (const [k, v] of Object.entries(annotations ?? {})) n += Buffer.byteLength(k) + Buffer.byteLength(String(v))
  return n
}

// Quantities as resource.ParseQuantity reads them: a signed decimal number with an optional
// binary-SI (Ki…Ei), decimal-SI (n, u, m, k, M…E) or exponent suffix.
const QUANTITY = /^[+-]?(\d+\.?\d*|\.\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/

export function isQuantity(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v)
  return typeof v === 'string' && QUANTITY.test(v)
}

export const QUANTITY_TEXT = 'is not a Kubernetes quantity (e.g. 500m, 1, 256Mi, 1Gi)'

export const INT32_MAX = 2_147_483_647

// Image references as the container runtimes parse them (the distribution/reference grammar):
// [host[:port]/]path[:tag][@digest], path components lowercase.
const HOST_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const HOST = `(?:${HOST_COMPONENT}(?:\\.${HOST_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
const TAG = '[\\w][\\w.-]{0,127}'
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}'
const IMAGE = new RegExp(`^(?:${HOST}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`)

/**
 * Why an image reference is not one a container runtime can pull, or undefined when it is.
 * A first component with a "." or ":" (or `localhost`) is a registry host and may hold capitals.
 */
export function imageProblem(ref: string): string | undefined {
  if (ref.length === 0) return 'is empty'
  if (/\s/.test(ref)) return 'contains white space'
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(ref)) return 'contains control characters'
  if (ref.length > 4096) return 'is too long'
  if (IMAGE.test(ref)) {
    const first = ref.split('/')[0]
    const hasHost = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))
    // Without a host the first component is a path component, which must be lowercase.
    if (hasHost || first === first.toLowerCase()) return undefined
  }
  if (/[A-Z]/.test(ref.replace(/^[^/]*[.:][^/]*\//, '').split(/[:@]/)[0])) return 'has capital letters in the repository name (only the registry host may have them)'
  return 'is not a valid image reference ([registry/]name[:tag][@sha256:digest])'
}

/** A value for an error line: JSON-quoted, shortened when long. */
export function quote(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}...` : v)
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v)
  return ''
}
