// Root hooks for both suites. They start nothing: servers, clusters and nock are each set up by the
// files that need them. This only makes a promise that nobody awaited fail the run loudly, instead
// of passing a test whose work went wrong after it ended.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`\nunhandled rejection: ${(reason as Error)?.stack ?? String(reason)}\n`)
  process.exitCode = 1
})

export const mochaHooks = {}
