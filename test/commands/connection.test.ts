// How kaos reaches a cluster, end to end through the built CLI (dist/) with no cluster: kubeconfig
// files merged as kubectl merges them, every kind of credential (token, client certificate over
// TLS, exec plugin), the WebSocket port-forward, and servers that hang or are not the API server.
import assert from 'node:assert/strict'
import {chmodSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import {delimiter, join} from 'node:path'

import {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js'
import {StreamableHTTPServerTransport} from '@modelcontextprotocol/sdk/server/streamableHttp.js'

import {cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {type FakeApiServer, kubeconfigFor, mcpServerRoutes, startFakeApiServer, testCertificates} from '../helpers/fake-apiserver.js'
import {describeOrSkip} from '../helpers/mocha.js'

const skip = cliUnavailable()

/** `kaos ARGS` with exactly this KUBECONFIG (or none). */
function kaos(args: string[], kubeconfig: string | undefined, env: Record<string, string | undefined> = {}, timeoutMs = 30_000) {
  return runCli(args, {env: {KUBECONFIG: kubeconfig, ...env}, timeoutMs})
}

/** A stateless MCP server on 127.0.0.1 (the official SDK), with one tool `add`. */
async function startMcp(): Promise<{port: number; close: () => Promise<void>}> {
  const server = http.createServer(async (req, res) => {
    const mcp = new McpServer({name: 'fake-calc', version: '1.0.0'})
    mcp.registerTool('add', {description: 'Add two numbers', inputSchema: {}}, async () => ({content: [{type: 'text', text: '3'}]}))
    const transport = new StreamableHTTPServerTransport({sessionIdGenerator: undefined, enableJsonResponse: true})
    res.on('close', () => void transport.close())
    await mcp.connect(transport)
    let body = ''
    for await (const c of req) body += c
    await transport.handleRequest(req, res, body ? JSON.parse(body) : undefined)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

describeOrSkip('connecting: kubeconfig, credentials, port-forward, unhealthy servers', skip, () => {
  let fake: FakeApiServer
  before(async () => {
    fake = await startFakeApiServer(mcpServerRoutes())
  })
  after(async () => fake?.close())

  it('a bearer token reaches the API server; an http:// server works (kubectl proxy)', async () => {
    const r = await kaos(['mcp', 'list', '-n', 'ns', '--json'], kubeconfigFor(fake.url, {token: 'tok-123'}))
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout).items[0].name, 'calc')
    assert.equal(fake.seen.at(-1)!.authorization, 'Bearer tok-123')
  })

  it('the context namespace applies without -n; a context namespace that is not a DNS label is exit 2, and nothing is sent', async () => {
    const r = await kaos(['mcp', 'list', '--json'], kubeconfigFor(fake.url, {token: 't'}, {namespace: 'ns'}))
    assert.equal(r.code, 0, r.stderr)
    const before = fake.seen.length
    const bad = await kaos(['mcp', 'list'], kubeconfigFor(fake.url, {token: 't'}, {namespace: '../kube-system'}))
    assert.equal(bad.code, 2)
    assert.match(bad.error ?? '', /the namespace of context "fake" "\.\.\/kube-system" is not a valid namespace name/)
    assert.equal(fake.seen.length, before)
  })

  it('-n with a path in it is exit 2 and never reaches the API server', async () => {
    const before = fake.seen.length
    const r = await kaos(['mcp', 'list', '-n', '../../../../api/v1/namespaces/kube-system/secrets#'], kubeconfigFor(fake.url, {token: 't'}))
    assert.equal(r.code, 2)
    assert.match(r.error ?? '', /^namespace "\.\.\/\.\.\/.*" is not a valid namespace name/)
    assert.equal(fake.seen.length, before)
  })

  it('$KUBECONFIG with several files: missing ones are skipped; the first file to name a cluster wins', async () => {
    const good = kubeconfigFor(fake.url, {token: 'first'})
    // Same cluster, user and context names, pointing nowhere: must lose to the first file.
    const shadowed = kubeconfigFor('http://127.0.0.1:1', {token: 'second'})
    const missing = join(tempDir(), 'nope')
    const r = await kaos(['mcp', 'list', '-n', 'ns', '--json'], [missing, good, shadowed].join(delimiter))
    assert.equal(r.code, 0, r.stderr)
    assert.equal(fake.seen.at(-1)!.authorization, 'Bearer first')
  })

  it('no kubeconfig at all names where it looked (exit 3)', async () => {
    const home = tempDir('kaos-home-')
    const r = await kaos(['mcp', 'list'], undefined, {HOME: home})
    assert.equal(r.code, 3)
    assert.equal(r.error, `no kubeconfig found (looked in ${join(home, '.kube', 'config')})`)
    const listed = await kaos(['mcp', 'list'], join(home, 'a') + delimiter + join(home, 'b'))
    assert.equal(listed.code, 3)
    assert.match(listed.error ?? '', /^no kubeconfig found \(looked in \$KUBECONFIG \(/)
  })

  it('an exec credential plugin supplies the token (and gets KUBERNETES_EXEC_INFO and its env)', async () => {
    const dir = tempDir('kaos-exec-')
    const plugin = join(dir, 'cred-plugin')
    writeFileSync(
      plugin,
      `#!${process.execPath}
const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO)
process.stdout.write(JSON.stringify({apiVersion: info.apiVersion, kind: 'ExecCredential', status: {token: 'exec-' + process.env.TEAM + '-' + info.kind}}))
`,
    )
    chmodSync(plugin, 0o755)
    const kc = kubeconfigFor(fake.url, {exec: {apiVersion: 'client.authentication.k8s.io/v1', command: './cred-plugin', env: [{name: 'TEAM', value: 'blue'}], interactiveMode: 'Never'}})
    // A relative command is relative to the kubeconfig file: put the kubeconfig beside the plugin.
    const kcHere = join(dir, 'config')
    writeFileSync(kcHere, (await import('node:fs')).readFileSync(kc, 'utf8'))
    const r = await kaos(['mcp', 'list', '-n', 'ns'], kcHere)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(fake.seen.at(-1)!.authorization, 'Bearer exec-blue-ExecCredential')
  })

  it('a missing exec plugin is named, with its install hint (exit 3)', async () => {
    const kc = kubeconfigFor(fake.url, {exec: {apiVersion: 'client.authentication.k8s.io/v1', command: 'gke-gcloud-auth-plugin-missing', installHint: 'Install it with gcloud components install gke-gcloud-auth-plugin'}})
    const r = await kaos(['mcp', 'list', '-n', 'ns'], kc)
    assert.equal(r.code, 3)
    assert.match(r.error ?? '', /needs the exec credential plugin "gke-gcloud-auth-plugin-missing", which is not installed/)
    assert.deepEqual(r.suggestions, ['Install it with gcloud components install gke-gcloud-auth-plugin'])
  })

  it('the port-forward is a WebSocket through the API server: an MCP call reaches the pod', async () => {
    const mcp = await startMcp()
    fake.forwardTo.port = mcp.port
    try {
      const r = await kaos(['mcp', 'invoke', 'calc', '-n', 'ns', '--tool', 'add', '--json'], kubeconfigFor(fake.url, {token: 'pf'}))
      assert.equal(r.code, 0, r.stderr)
      assert.deepEqual(JSON.parse(r.stdout).content, [{type: 'text', text: '3'}])
      const upgrade = fake.seen.find((s) => s.method === 'UPGRADE')!
      assert.equal(upgrade.path, '/api/v1/namespaces/ns/pods/mcpserver-calc-1/portforward?ports=8000')
      assert.equal(upgrade.authorization, 'Bearer pf')
    } finally {
      await mcp.close()
    }
  })

  it('what the pod side says on the error channel is the error (exit 5)', async () => {
    fake.forwardError.text = 'error forwarding port 8000 to pod 1234: connection refused'
    try {
      const r = await kaos(['mcp', 'invoke', 'calc', '-n', 'ns'], kubeconfigFor(fake.url, {token: 'pf'}))
      assert.equal(r.code, 5, r.stderr)
      assert.match(r.error ?? '', /the port-forward to pod mcpserver-calc-1 \(MCPServer "calc"\) failed: error forwarding port 8000 to pod 1234: connection refused/)
    } finally {
      fake.forwardError.text = undefined
    }
  })
})

describeOrSkip('TLS: client certificates and the cluster CA', skip, () => {
  let fake: FakeApiServer
  let certs: ReturnType<typeof testCertificates>
  before(async () => {
    certs = testCertificates()
    fake = await startFakeApiServer(mcpServerRoutes(), {tls: certs})
  })
  after(async () => fake?.close())

  it('presents the client certificate (files relative to the kubeconfig) and trusts the CA', async () => {
    const kc = join(certs.dir, 'config')
    writeFileSync(
      kc,
      `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${fake.url}", certificate-authority: ca.crt}}]
users: [{name: u, user: {client-certificate: client.crt, client-key: client.key}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    )
    const r = await kaos(['mcp', 'list', '-n', 'ns', '--json'], kc)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(fake.seen.at(-1)!.clientCertSubject, 'kaos-test-user')
  })

  it('a server the CA did not sign fails TLS verification (exit 3)', async () => {
    const r = await kaos(['mcp', 'list', '-n', 'ns'], kubeconfigFor(fake.url, {token: 't'}))
    assert.equal(r.code, 3)
    assert.match(r.error ?? '', /^TLS verification failed talking to https:\/\/127\.0\.0\.1:\d+ \(context "fake"\)/)
  })
})

describeOrSkip('servers that hang or are not the API server', skip, () => {
  it('a listener that accepts and never answers: --request-timeout bounds each request (exit 3)', async () => {
    const silent = net.createServer(() => {}).listen(0, '127.0.0.1')
    await new Promise((r) => silent.once('listening', r))
    try {
      const url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`
      const t0 = Date.now()
      const r = await kaos(['mcp', 'list', '-n', 'ns', '--request-timeout', '1s'], kubeconfigFor(url, {token: 't'}))
      assert.equal(r.code, 3, r.stderr)
      assert.match(r.error ?? '', /did not answer list deployments\.apps within 1s \(--request-timeout\)/)
      assert.ok(Date.now() - t0 < 8000, `took ${Date.now() - t0} ms`)
      // --timeout bounds a whole deploy even when each request could wait 30 s.
      const t1 = Date.now()
      const d = await kaos(['mcp', 'deploy', 'calc', '--runtime', 'custom', '--image', 'x:1', '-n', 'ns', '--wait', '--timeout', '2s'], kubeconfigFor(url, {token: 't'}))
      assert.equal(d.code, 3, d.stderr)
      assert.match(d.error ?? '', /timed out \(--timeout\) waiting for the API server at http:\/\/127\.0\.0\.1:\d+ to answer/)
      assert.ok(Date.now() - t1 < 9000, `took ${Date.now() - t1} ms`)
    } finally {
      silent.close()
    }
  })

  it('an HTML page where the API should be (a proxy, a wrong URL) is exit 3 naming the URL', async () => {
    const html = await startFakeApiServer(() => ({status: 200, body: '<html><body><h1>Sign in to Corp Proxy</h1></body></html>', contentType: 'text/html'}))
    try {
      const r = await kaos(['mcp', 'list', '-n', 'ns'], kubeconfigFor(html.url, {token: 't'}))
      assert.equal(r.code, 3)
      assert.match(r.error ?? '', /^http:\/\/127\.0\.0\.1:\d+\/apis\/apps\/v1\/namespaces\/ns\/deployments answered GET with HTTP 200 and text\/html, not the Kubernetes API's JSON: "Sign in to Corp Proxy"$/)
    } finally {
      await html.close()
    }
  })
})
