// Skipping with a reason, the way node:test's `{skip: reason}` did: a string skips (mocha lists the
// tests as pending, with the reason in the title), false runs. Used for tests that need a test bed
// or a built CLI: locally they skip loudly; under CI the reason functions throw instead.

/** `describe`, or `describe.skip` with the reason in the title when `skip` is a string. */
export function describeOrSkip(title: string, skip: string | false | undefined, fn: (this: Mocha.Suite) => void): void {
  if (skip) describe.skip(`${title} [skipped: ${skip}]`, fn)
  else describe(title, fn)
}

/** `it`, or `it.skip` with the reason in the title when `skip` is a string. */
export function itOrSkip(title: string, skip: string | false | undefined, fn: Mocha.Func | Mocha.AsyncFunc): void {
  if (skip) it.skip(`${title} [skipped: ${skip}]`, fn)
  else it(title, fn)
}

type Body = () => Promise<void> | void

/**
 * A suite whose tests run concurrently, at most `limit` at a time (mocha runs tests one by one):
 * for suites of independent CLI runs, where waiting for each process in turn would be most of the
 * time. `fn` registers tests with the `it` it is given; they all start in one `before` hook, and
 * each test then reports its own outcome.
 */
export function describeConcurrent(title: string, skip: string | false | undefined, limit: number, fn: (it: (name: string, body: Body) => void) => void): void {
  describeOrSkip(title, skip, function () {
    const bodies: Array<[string, Body]> = []
    fn((name, body) => bodies.push([name, body]))
    const outcomes = new Map<string, Promise<unknown>>()
    before(async function () {
      this.timeout(0)
      let next = 0
      const settled: Array<Promise<unknown>> = []
      const worker = async () => {
        while (next < bodies.length) {
          const [name, body] = bodies[next++]
          const p = (async () => body())()
          outcomes.set(name, p)
          settled.push(p.catch(() => {}))
          await p.catch(() => {})
        }
      }
      await Promise.all(Array.from({length: Math.min(limit, bodies.length)}, worker))
      await Promise.all(settled)
    })
    for (const [name] of bodies) it(name, () => outcomes.get(name))
  })
}
