// The six OpenAPI formats the Kubernetes schemas of kubernetes-models use, for the bundle: the
// build (scripts/build.mjs) puts this module in place of `@kubernetes-models/validate`, whose
// index also loads every ajv format and the messages of ajv-i18n in all languages (~270 KB that
// deploy and dry run would parse for nothing). Same contract: `formats[name].validate` is a
// function or a RegExp, and `runValidateFunc` throws with ajv's `errors`.
import {isQuantity} from './k8s-values.js'

const INT32 = 2 ** 31
const DATE_TIME = /^\d{4}-[01]\d-[0-3]\dT(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)$/i
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export const formats = {
  int32: {type: 'number', validate: (v: number) => Number.isInteger(v) && v < INT32 && v >= -INT32},
  int64: {type: 'number', validate: (v: number) => Number.isInteger(v) && Number.isSafeInteger(v)},
  double: {type: 'number', validate: (v: number) => Number.isFinite(v)},
  byte: {type: 'string', validate: (v: string) => BASE64.test(v)},
  'date-time': {type: 'string', validate: (v: string) => DATE_TIME.test(v) && !Number.isNaN(Date.parse(v))},
  // The compiled validators call `.validate.test(value)` for this one.
  quantity: {type: 'string', validate: {test: (v: string) => isQuantity(v)}},
}

/** Run a compiled validator; on failure throw an error carrying ajv's `errors`. */
export function runValidateFunc(fn: ((data: unknown) => boolean) & {errors?: unknown[] | null}, data: unknown): void {
  if (!fn(data) && fn.errors) {
    const errors = fn.errors as Array<{instancePath: string; keyword: string}>
    throw Object.assign(new Error(errors.map((e) => `data${e.instancePath} ${e.keyword}`).join(', ')), {errors})
  }
}
