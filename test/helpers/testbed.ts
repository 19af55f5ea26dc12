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

/** What the test bed's pod runner says of Service networking (<state dir>/runner/svcnet.json). */
export interface ServiceNetworking {
  /** 127.B.0.0/16: ClusterIP a.b.X.Y is served on 127.B.X.Y. */
  loopback: string
  hostsFile: string
  /** `<svc>.<ns>.svc.cluster.local` and `<svc>.<ns>.svc` resolve on this machine. */
  names: boolean
  problem: string
}

export function serviceNetworking(): ServiceNetworking | undefined {
  try {
    return JSON.parse(readFileSync(join(TESTBED, 'runner', 'svcnet.json'), 'utf8')) as ServiceNetworking
  } catch {
    return undefined
  }
}

/**
 * `skip` option for tests whose pods (or the test itself) call Services by name, as pods do on a
 * real cluster: a reason when the pod runner cannot make the names resolve (it writes them into
 * /etc/hosts, which needs root), false when they work. In CI the reason throws, as for a missing
 * test bed: a run that cannot test this must not look green.
 */
export function requireServiceNames(): string | false {
  const s = serviceNetworking()
  let why: string | undefined
  if (!s) why = `the test bed's pod runner serves no Service network (${join(TESTBED, 'runner', 'svcnet.json')} is missing: an older runner? test/cluster/runner-up --restart)`
  else if (!s.names) why = s.problem
  if (!why) return false
  if (process.env.CI) throw new Error(`CI: ${why}`)
  process.stderr.write(`\n!!! SKIPPING tests that need Service names: ${why} !!!\n\n`)
  return why
}

/** The loopback address the test bed serves a ClusterIP on. */
export function serviceAddress(clusterIP: string): string {
  const s = serviceNetworking()
  if (!s) throw new Error('the test bed serves no Service network')
  const octet = s.loopback.split('.')[1]
  const [, , x, y] = clusterIP.split('.')
  return `127.${octet}.${x}.${y}`
}

/** The test HTTP service (test/cluster/testdata/http-service.mjs) the pod runner runs as a pod. */
export const HTTP_SERVICE = join(ROOT, 'test', 'cluster', 'testdata', 'http-service.mjs')

/**
 * A Deployment of the test HTTP service and its Service (container port 8080 named `http`).
 * `targetPort` is what the Service points at (`http` by name, or 8080).
 */
export function httpServiceManifest(name: string, opts: {replicas?: number; port?: number; targetPort?: string | number} = {}): string {
  const argv = JSON.stringify(['node', HTTP_SERVICE, '--port', '$(KAOS_TEST_PORT_8080)'])
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${opts.replicas ?? 1}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata:
      labels: {app: ${name}}
      annotations:
        kaos.tools/test-command: '${argv}'
    spec:
      containers:
      - name: main
        image: registry.example/http-service:1
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 2}
---
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: {app: ${name}}
  ports: [{name: web, port: ${opts.port ?? 8080}, targetPort: ${opts.targetPort ?? 'http'}}]
`
}
