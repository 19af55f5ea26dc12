/** Levenshtein distance; small inputs only (names, flags). */
export function distance(a: string, b: string): number {
  const prev = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = tmp
    }
  }
  return prev[b.length]
}

/**
 * The closest candidate to `input`, if it is close enough to be a plausible typo
 * (distance at most a third of the longer name, minimum 2), or a prefix match.
 */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestD = Infinity
  for (const c of candidates) {
    // A prefix is a likely guess, but a near-identical name is a better one (imagePullPolice →
    // imagePullPolicy, not image).
    const real = distance(input.toLowerCase(), c.toLowerCase())
    const d = c.startsWith(input) || input.startsWith(c) ? Math.min(real, 1.5) : real
    if (d < bestD) {
      best = c
      bestD = d
    }
  }
  if (best === undefined) return undefined
  return bestD <= Math.max(2, Math.floor(Math.max(input.length, best.length) / 3)) ? best : undefined
}

/** ` Did you mean "x"?` or the empty string. */
export function didYouMeanText(input: string, candidates: Iterable<string>): string {
  const s = didYouMean(input, candidates)
  return s ? ` Did you mean "${s}"?` : ''
}
