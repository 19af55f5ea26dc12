// What an apply did, one line per object, as kubectl prints it: the same lines for every command
// that applies (apply, <kind> deploy, samples deploy, the catalog commands).

interface Applied {
  dryRun?: string
  applied: Array<{kind: string; name: string; action: string}>
  pruned: Array<{kind: string; name: string}>
  ready?: Array<{name: string; readyReplicas: number; replicas: number}>
}

/** `deployment/x created`, `service/y pruned` (with " (server dry run)"), `deployment/x ready (2/2)`. */
export function appliedLines(o: Applied): string[] {
  const suffix = o.dryRun ? ' (server dry run)' : ''
  return [
    ...o.applied.map((a) => `${a.kind.toLowerCase()}/${a.name} ${a.action}${suffix}`),
    ...o.pruned.map((r) => `${r.kind.toLowerCase()}/${r.name} pruned${suffix}`),
    ...(o.ready ?? []).map((r) => `deployment/${r.name} ready (${r.readyReplicas}/${r.replicas})`),
  ]
}
