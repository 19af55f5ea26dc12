// The cluster client's fault handling, with nock standing in for the API server: retries and
// backoff (429 with Retry-After, 5xx), dropped connections, dropped and expired watches, the
// wording of 401/403, and answers that are not JSON. Fast and deterministic; the real API server
// (test/commands/*.it.ts) stays the truth for behaviour.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {join} from 'node:path'

import nock from 'nock'

import {Cluster} from '../../src/lib/cluster/client.js'
import {listObjects} from '../../src/lib/cluster/objects.js'
import {listAndWatch} from '../../src/lib/cluster/watch.js'
import {KaosError} from '../../src/lib/errors.js'
import {tempDir} from '../helpers/cli.js'

const SERVER = 'https://k8s.test:6443'
const LIST = '/apis/apps/v1/namespaces/ns/deployments'

function connect(opts: {requestTimeoutMs?: number; deadline?: AbortSignal; retries?: number; server?: string} = {}): Cluster {
  const dir = tempDir('kaos-nock-')
  const kc = join(dir, 'config')
  writeFileSync(
    kc,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${opts.server ?? SERVER}", insecure-skip-tls-verify: true}}]
users: [{name: dev, user: {token: abc}}]
contexts: [{name: test, context: {cluster: c, user: dev, namespace: ns}}]
current-context: test
`,
  )
  const {server: _s, ...rest} = opts
  return Cluster.connect({kubeconfig: kc, ...rest})
}

const api = () => nock(SERVER, {reqheaders: {authorization: 'Bearer abc'}})
const status = (code: number, reason: string, message: string) => ({kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message})

async function rejects(p: Promise<unknown>, check: (e: KaosError) => void): Promise<void> {
  try {
    await p
  } catch (error) {
    assert.ok(error instanceof KaosError, `not a KaosError: ${(error as Error).stack}`)
    check(error)
    return
  }
  assert.fail('expected an error')
}

describe('cluster client faults (nock)', () => {
  before(() => nock.disableNetConnect())
  afterEach(() => {
    const pending = nock.pendingMocks()
    nock.cleanAll()
    assert.deepEqual(pending, [], 'every expected request was made')
  })
  after(() => {
    nock.enableNetConnect()
    nock.restore()
  })

  it('429 with Retry-After waits that long, then succeeds', async () => {
    api().get(LIST).reply(429, status(429, 'TooManyRequests', 'slow down'), {'Retry-After': '1', 'Content-Type': 'application/json'})
    api().get(LIST).reply(200, {items: [{metadata: {name: 'a'}}]}, {'Content-Type': 'application/json'})
    const t0 = Date.now()
    const items = await listObjects(connect(), 'Deployment', {namespace: 'ns'})
    assert.deepEqual(items.map((i) => i.metadata.name), ['a'])
    assert.ok(Date.now() - t0 >= 950, `retried after ${Date.now() - t0} ms`)
  })

  it('5xx is retried with backoff; after the retries it is exit 3 naming the status', async () => {
    api().get(LIST).times(2).reply(503, status(503, 'ServiceUnavailable', 'etcd leader changed'), {'Content-Type': 'application/json'})
    api().get(LIST).reply(200, {items: []}, {'Content-Type': 'application/json'})
    assert.deepEqual(await listObjects(connect(), 'Deployment', {namespace: 'ns'}), [])
    api().get(LIST).times(3).reply(500, status(500, 'InternalError', 'boom'), {'Content-Type': 'application/json'})
    await rejects(listObjects(connect({retries: 2}), 'Deployment', {namespace: 'ns'}), (e) => {
      assert.equal(e.exit, 3)
      assert.equal(e.message, `the API server at ${SERVER} answered 500 InternalError to list deployments.apps after retries: boom`)
    })
  })

  it('a dropped connection is retried once the server has answered; never reached, it fails fast (exit 3)', async () => {
    // Real sockets here: nock cannot drop a connection mid-request on this Node version.
    nock.enableNetConnect('127.0.0.1')
    let n = 0
    const server = http.createServer((req, res) => {
      n++
      // The second request is cut off without an answer, as a restarting API server does.
      if (n === 2) return req.socket.destroy()
      res.writeHead(200, {'Content-Type': 'application/json'})
      res.end(JSON.stringify({items: [{metadata: {name: `n${n}`}}]}))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const c = connect({server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`})
      assert.equal((await listObjects(c, 'Deployment', {namespace: 'ns'}))[0].metadata.name, 'n1')
      assert.equal((await listObjects(c, 'Deployment', {namespace: 'ns'}))[0].metadata.name, 'n3')
      assert.equal(n, 3)
    } finally {
      server.closeAllConnections()
      server.close()
    }
    const closed = await new Promise<number>((r) => {
      const s = http.createServer().listen(0, '127.0.0.1', () => {
        const {port} = s.address() as AddressInfo
        s.close(() => r(port))
      })
    })
    const t0 = Date.now()
    await rejects(listObjects(connect({server: `http://127.0.0.1:${closed}`}), 'Deployment', {namespace: 'ns'}), (e) => {
      assert.equal(e.exit, 3)
      assert.equal(e.message, `cannot reach the Kubernetes API server at http://127.0.0.1:${closed} (context "test"): ECONNREFUSED`)
    })
    assert.ok(Date.now() - t0 < 2000, 'a server never reached is not waited for')
    nock.disableNetConnect()
  })

  it('401 and 403 say who was refused what', async () => {
    api().get(LIST).reply(401, status(401, 'Unauthorized', 'Unauthorized'), {'Content-Type': 'application/json'})
    await rejects(listObjects(connect(), 'Deployment', {namespace: 'ns'}), (e) => {
      assert.equal(e.exit, 3)
      assert.equal(e.code, 'UNAUTHORIZED')
      assert.equal(e.message, `the API server at ${SERVER} refused the credentials of user "dev" (401 Unauthorized): they are missing, expired or revoked`)
    })
    api()
      .get(LIST)
      .reply(403, status(403, 'Forbidden', 'deployments.apps is forbidden: User "system:serviceaccount:ci:deployer" cannot list resource "deployments" in API group "apps" in the namespace "ns"'), {'Content-Type': 'application/json'})
    await rejects(listObjects(connect(), 'Deployment', {namespace: 'ns'}), (e) => {
      assert.equal(e.code, 'FORBIDDEN')
      assert.equal(e.message, 'forbidden: system:serviceaccount:ci:deployer cannot list deployments.apps in namespace "ns"')
    })
    // The NamespaceLifecycle admission's 403 is not about rights: the namespace is going away.
    api()
      .patch(`${LIST}/calc`)
      .query(true)
      .reply(
        403,
        {
          ...status(403, 'Forbidden', 'deployments.apps "calc" is forbidden: unable to create new content in namespace ns because it is being terminated'),
          details: {name: 'calc', group: 'apps', kind: 'deployments', causes: [{reason: 'NamespaceTerminating', message: 'namespace ns is being terminated', field: 'metadata.namespace'}]},
        },
        {'Content-Type': 'application/json'},
      )
    await rejects(connect().request('PATCH', `${LIST}/calc`, {body: {}, contentType: 'application/apply-patch+yaml', query: {fieldManager: 'kaos'}}), (e) => {
      assert.equal(e.exit, 8)
      assert.equal(e.code, 'NAMESPACE_TERMINATING')
      assert.equal(e.message, 'namespace "ns" is being deleted: nothing can be created in it until it is gone')
      assert.match(e.suggestions[0], /kubectl wait --for=delete namespace\/ns/)
    })
  })

  it('answers that are not JSON (a proxy\'s HTML, a 502 page) are exit 3 naming the URL, never a SyntaxError', async () => {
    api().get(LIST).reply(200, '<html><title>Proxy login</title></html>', {'Content-Type': 'text/html'})
    await rejects(listObjects(connect(), 'Deployment', {namespace: 'ns'}), (e) => {
      assert.equal(e.exit, 3)
      assert.equal(e.message, `${SERVER}${LIST} answered GET with HTTP 200 and text/html, not the Kubernetes API's JSON: "Proxy login"`)
    })
    api().get(LIST).times(5).reply(502, '<html>Bad Gateway</html>', {'Content-Type': 'text/html'})
    await rejects(listObjects(connect(), 'Deployment', {namespace: 'ns'}), (e) => {
      assert.equal(e.exit, 3)
      assert.match(e.message, /answered GET with HTTP 502 and text\/html, not the Kubernetes API's JSON: "Bad Gateway"$/)
    })
    // Claimed JSON that is not: same message, not a crash.
    api().get(LIST).reply(200, '{"items": [', {'Content-Type': 'application/json'})
    await rejects(listObjects(connect(), 'Deployment', {namespace: 'ns'}), (e) => assert.equal(e.exit, 3))
  })

  it('a request that gets no answer fails after --request-timeout (exit 3); --timeout ends everything', async () => {
    api().get(LIST).delay(1500).reply(200, {items: []}, {'Content-Type': 'application/json'})
    await rejects(listObjects(connect({requestTimeoutMs: 300}), 'Deployment', {namespace: 'ns'}), (e) => {
      assert.equal(e.exit, 3)
      assert.equal(e.code, 'TIMEOUT')
      // nock's delay holds the connection itself; a real silent listener (test/commands/connection.test.ts)
      // gets the "did not answer … (--request-timeout)" wording.
      assert.match(e.message, new RegExp(`^(cannot connect to the Kubernetes API server at ${SERVER} \\(context "test"\\): no connection|the Kubernetes API server at ${SERVER} did not answer list deployments\\.apps) within 0\\.3s`))
    })
    api().get(LIST).delay(1500).reply(200, {items: []}, {'Content-Type': 'application/json'})
    await rejects(listObjects(connect({deadline: AbortSignal.timeout(200)}), 'Deployment', {namespace: 'ns'}), (e) => {
      assert.equal(e.exit, 3)
      assert.equal(e.message, `timed out (--timeout) waiting for the API server at ${SERVER} to answer list deployments.apps`)
    })
  })

  it('a dropped watch resumes from the last resourceVersion; 410 Gone lists again', async () => {
    const dep = (name: string, rv: string) => ({metadata: {name, resourceVersion: rv}})
    api().get(LIST).query(true).reply(200, {metadata: {resourceVersion: '10'}, items: [dep('a', '10')]}, {'Content-Type': 'application/json'})
    // The first watch delivers one event and drops.
    api()
      .get(LIST)
      .query((q) => q.watch === '1' && q.resourceVersion === '10')
      .reply(200, `${JSON.stringify({type: 'MODIFIED', object: dep('a', '11')})}\n`, {'Content-Type': 'application/json'})
    // The resumed watch (from 11) is told the version is too old.
    api()
      .get(LIST)
      .query((q) => q.watch === '1' && q.resourceVersion === '11')
      .reply(200, `${JSON.stringify({type: 'ERROR', object: {kind: 'Status', code: 410, reason: 'Expired'}})}\n`, {'Content-Type': 'application/json'})
    api().get(LIST).query((q) => !q.watch).reply(200, {metadata: {resourceVersion: '20'}, items: [dep('a', '20'), dep('b', '20')]}, {'Content-Type': 'application/json'})
    api()
      .get(LIST)
      .query((q) => q.watch === '1' && q.resourceVersion === '20')
      .reply(200, `${JSON.stringify({type: 'ADDED', object: dep('c', '21')})}\n`, {'Content-Type': 'application/json'})
    const ac = new AbortController()
    const seen: string[] = []
    const reconnects: string[] = []
    const done = listAndWatch<any>(connect(), {
      path: LIST,
      signal: ac.signal,
      onList: (items) => seen.push(`list ${items.map((i) => i.metadata.name).join(',')}`),
      onEvent: (e) => {
        seen.push(`${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`)
        if (e.object.metadata.name === 'c') ac.abort()
      },
      onReconnect: (why) => reconnects.push(why),
    })
    await done
    assert.deepEqual(seen, ['list a', 'MODIFIED a@11', 'list a,b', 'ADDED c@21'])
    assert.deepEqual(reconnects, ['watch closed, resuming', 'resource version expired, re-listing'])
  })
})
