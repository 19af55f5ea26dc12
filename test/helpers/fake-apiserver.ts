// A small stand-in for the Kubernetes API server, for tests that must run without a cluster: the
// few GETs a command makes, and the WebSocket port-forward protocol (v4/v5.channel.k8s.io) relayed
// to a local TCP port. It records every request (method, path, Authorization header, client
// certificate) so tests can check what kaos sent.
import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type {AddressInfo} from 'node:net'
import net from 'node:net'
import type {TLSSocket} from 'node:tls'
import {join} from 'node:path'

import {WebSocketServer} from 'ws'

import {tempDir} from './cli.js'

export interface SeenRequest {
  method: string
  path: string
  authorization?: string
  clientCertSubject?: string
}

export type Route = (req: http.IncomingMessage, url: URL) => {status?: number; body?: unknown; contentType?: string} | undefined

export interface FakeApiServer {
  url: string
  seen: SeenRequest[]
  /** Pod port-forwards go to this local port (set per test). */
  forwardTo: {port: number}
  /** Text to send on the error channel right after opening a port-forward, then close. */
  forwardError: {text?: string}
  close(): Promise<void>
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
export function testCertificates(): {dir: string; ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string} {
  const dir = tempDir('kaos-certs-')
  const run = (...args: string[]) => execFileSync('openssl', args, {cwd: dir, stdio: 'pipe'})
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=kaos-test-ca')
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1')
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext')
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=kaos-test-user/O=kaos-testers')
  run('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2')
  return {dir, ca: join(dir, 'ca.crt'), serverCert: join(dir, 'server.crt'), serverKey: join(dir, 'server.key'), clientCert: join(dir, 'client.crt'), clientKey: join(dir, 'client.key')}
}

const json = (body: unknown) => ({status: 200, body})

/** Routes for one MCPServer "calc" in namespace "ns": Deployment, Service, one Ready pod, no registry ConfigMap. */
export function mcpServerRoutes(): Route {
  const labels = {app: 'mcpserver', mcpserver: 'calc', 'kaos.tools/name': 'calc', 'kaos.tools/kind': 'MCPServer', 'app.kubernetes.io/managed-by': 'kaos'}
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {name: 'mcpserver-calc', namespace: 'ns', labels, annotations: {'kaos.tools/runtime': 'custom', 'kaos.tools/endpoint': 'http://mcpserver-calc.ns.svc.cluster.local:8000/mcp'}},
    spec: {replicas: 1, template: {spec: {containers: [{name: 'mcp-server', image: 'x', ports: [{name: 'http', containerPort: 8000}]}]}}},
    status: {replicas: 1, readyReplicas: 1},
  }
  const pod = {
    metadata: {name: 'mcpserver-calc-1', namespace: 'ns', labels, creationTimestamp: '2026-01-01T00:00:00Z', resourceVersion: '7'},
    spec: deployment.spec.template.spec,
    status: {phase: 'Running', conditions: [{type: 'Ready', status: 'True'}]},
  }
  return (req, url) => {
    const p = url.pathname
    if (p === '/apis/apps/v1/namespaces/ns/deployments/mcpserver-calc') return json(deployment)
    if (p === '/apis/apps/v1/namespaces/ns/deployments') return json({kind: 'DeploymentList', metadata: {resourceVersion: '1'}, items: [deployment]})
    if (p === '/api/v1/namespaces/ns/services/mcpserver-calc')
      return json({metadata: {name: 'mcpserver-calc', namespace: 'ns'}, spec: {selector: {app: 'mcpserver', mcpserver: 'calc'}, ports: [{name: 'http', port: 8000, targetPort: 'http'}]}})
    if (p === '/api/v1/namespaces/ns/pods/mcpserver-calc-1') return json(pod)
    if (p === '/api/v1/namespaces/ns/pods' && url.searchParams.get('watch')) return {status: 200, body: undefined, contentType: 'stream'}
    if (p === '/api/v1/namespaces/ns/pods') return json({kind: 'PodList', metadata: {resourceVersion: '7'}, items: [pod]})
    return undefined
  }
}

/**
 * Start the fake on 127.0.0.1: plain HTTP, or HTTPS with the given certificates (asking for a
 * client certificate, not requiring one). Unknown paths answer a Kubernetes 404 Status.
 */
export async function startFakeApiServer(route: Route, opts: {tls?: ReturnType<typeof testCertificates>} = {}): Promise<FakeApiServer> {
  const seen: SeenRequest[] = []
  const forwardTo = {port: 0}
  const forwardError: {text?: string} = {}
  const streams = new Set<http.ServerResponse>()
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url!, 'http://x')
    const cert = (req.socket as TLSSocket).getPeerCertificate?.()
    seen.push({method: req.method!, path: url.pathname + url.search, authorization: req.headers.authorization, clientCertSubject: cert?.subject?.CN})
    const r = route(req, url)
    if (r?.contentType === 'stream') {
      // A watch that stays open and says nothing, as a quiet real one does.
      res.writeHead(200, {'Content-Type': 'application/json'})
      res.flushHeaders()
      streams.add(res)
      res.on('close', () => streams.delete(res))
      return
    }
    const status = r?.status ?? 404
    const body = r ? r.body : {kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound', message: `${url.pathname} not found`}
    res.writeHead(status, {'Content-Type': r?.contentType ?? 'application/json'})
    res.end(typeof body === 'string' ? body : JSON.stringify(body))
  }
  const server = opts.tls
    ? https.createServer({cert: readFileSync(opts.tls.serverCert), key: readFileSync(opts.tls.serverKey), ca: readFileSync(opts.tls.ca), requestCert: true, rejectUnauthorized: false}, handler)
    : http.createServer(handler)
  const wss = new WebSocketServer({noServer: true, handleProtocols: (protocols) => (protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false)})
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url!, 'http://x')
    seen.push({method: 'UPGRADE', path: url.pathname + url.search, authorization: req.headers.authorization})
    if (!/\/pods\/[^/]+\/portforward$/.test(url.pathname)) return socket.destroy()
    wss.handleUpgrade(req, socket, head, (ws) => {
      const port = Number(url.searchParams.get('ports'))
      const portBytes = Buffer.from([port & 0xff, port >> 8])
      ws.send(Buffer.concat([Buffer.from([0]), portBytes]))
      ws.send(Buffer.concat([Buffer.from([1]), portBytes]))
      if (forwardError.text) {
        ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(forwardError.text)]))
        ws.close()
        return
      }
      const target = net.connect(forwardTo.port, '127.0.0.1')
      target.on('data', (d) => ws.send(Buffer.concat([Buffer.from([0]), d])))
      target.on('close', () => ws.close())
      target.on('error', (e) => {
        ws.send(Buffer.concat([Buffer.from([1]), Buffer.from(`error forwarding port ${port}: ${e.message}`)]))
        ws.close()
      })
      ws.on('message', (data: Buffer) => {
        if (data[0] === 0 && data.length > 1) target.write(data.subarray(1))
      })
      ws.on('close', () => target.destroy())
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const {port} = server.address() as AddressInfo
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    seen,
    forwardTo,
    forwardError,
    close: () =>
      new Promise((r) => {
        for (const s of streams) s.destroy()
        for (const c of wss.clients) c.terminate()
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

/** A kubeconfig for `server` with the given user entry (YAML lines under `user:`), written to a temp dir. */
export function kubeconfigFor(server: string, user: Record<string, unknown>, opts: {ca?: string; namespace?: string; extra?: string} = {}): string {
  const dir = tempDir('kaos-kc-')
  const p = join(dir, 'config')
  writeFileSync(
    p,
    `apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: ${server}
${opts.ca ? `    certificate-authority: ${opts.ca}\n` : ''}users:
- name: tester
  user: ${JSON.stringify(user)}
contexts:
- name: fake
  context: {cluster: fake, user: tester${opts.namespace ? `, namespace: ${opts.namespace}` : ''}}
current-context: fake
${opts.extra ?? ''}`,
  )
  return p
}
