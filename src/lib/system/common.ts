// What the `kaos system` operations share: the labels that mark kaos's own system objects, and the
// shape of a per-object result.
import type {ObjectRef} from '../cluster/objects.js'
import {LABEL_COMPONENT, LABEL_MANAGED_BY, MANAGED_BY, SYSTEM_COMPONENT} from '../names.js'

export const systemLabels = {[LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_COMPONENT]: SYSTEM_COMPONENT}

/** Whether `kaos system install` made this object. */
export function isSystemObject(o: {metadata?: {labels?: Record<string, string>}} | undefined): boolean {
  return o?.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY && o?.metadata?.labels?.[LABEL_COMPONENT] === SYSTEM_COMPONENT
}

export interface SystemObjectResult extends ObjectRef {
  action: 'created' | 'configured' | 'unchanged' | 'deleted' | 'absent' | 'kept'
  /** Why it was kept or left alone. */
  note?: string
}
