// Integration tests run against the repo's real test bed (test/cluster/up, test/docker/up).
// Locally, a missing test bed skips them with a loud message; in CI it fails them.
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {ROOT} from './cli.js'

const TESTBED = process.env.KAOS_TESTBED_DIR ?? join(ROOT, '.testbed')

/** The cluster test bed's state dir ($KAOS_TESTBED_DIR, else .testbed): what its kind stand-in reads. */
export function testbedDir(): string {
  return TESTBED
}

/** The test cluster's kubeconfig path, from $KUBECONFIG or .testbed/kubeconfig. */
export function testKubeconfig(): string | undefined {
  const fromEnv = process.env.KAOS_TEST_KUBECONFIG ?? process.env.KUBECONFIG
  if (fromEnv && existsSync(fromEnv)) return fromEnv
  const p = join(TESTBED, 'kubeconfig')
  return existsSync(p) ? p : undefined
}

/** DOCKER_HOST of the podman test bed, from the env or .testbed/docker.env. */
export function testDockerHost(): string | undefined {
  if (process.env.DOCKER_HOST) return process.env.DOCKER_HOST
  const envFile = join(TESTBED, 'docker.env')
  if (!existsSync(envFile)) return undefined
  return /DOCKER_HOST=["']?([^"'\n]+)/.exec(readFileSync(envFile, 'utf8'))?.[1]
}

/**
 * `skip` option for node:test: a reason string locally when the test bed is missing, false when
 * it is there. In CI a missing test bed throws, so the run fails instead of passing empty.
 */
export function requireTestbed(what: 'cluster' | 'docker'): string | false {
  const ok = what === 'cluster' ? testKubeconfig() : testDockerHost()
  if (ok) return false
  const msg = `${what} test bed not running (start it with test/${what}/up)`
  if (process.env.CI) throw new Error(`CI: ${msg}`)
  process.stderr.write(`\n!!! SKIPPING ${what} integration tests: ${msg} !!!\n\n`)
  return msg
}

let counter = 0
/** A fresh namespace name per test, so tests do not see each other's objects. */
export function uniqueNamespace(prefix = 'it'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`
}
