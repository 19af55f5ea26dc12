/**
 * One port-forward stream to a pod through the API server: the WebSocket form of
 * `kubectl port-forward` (subprotocols v5/v4.channel.k8s.io). Each binary frame starts with its
 * channel: 0 carries the port's data, 1 its errors; the first frame of each channel is the port
 * number (2 bytes, little-endian), which is not data. v5 adds a close-stream frame (255) so the
 * client can half-close.
 */
import type net from 'node:net'

import WebSocket from 'ws'

import type {Cluster} from './client.js'
import {objectPath} from './paths.js'

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io']
const DATA = 0
const ERROR = 1
const CLOSE_STREAM = 255
/** Stop reading the local socket while this much is queued for the WebSocket. */
const HIGH_WATER = 1 << 20

export interface ForwardStream {
  ws: WebSocket
  /** Text the API server or kubelet sent on the error channel (e.g. "connection refused"). */
  errorText(): string
}

export interface ForwardEvents {
  /** The stream ended (also when it ends right after opening): its close code and error-channel text. */
  onClose: (code: number, errorText: string) => void
  onError: (error: Error) => void
}

/**
 * Open the stream and pipe `socket` through it; resolves once the WebSocket is open. Handlers are
 * attached before the handshake completes: a server may send and close in the same breath.
 */
export async function forwardSocket(cluster: Cluster, namespace: string, pod: string, port: number, socket: net.Socket, events: ForwardEvents): Promise<ForwardStream> {
  const s = await cluster.connectionSettings()
  const url = cluster.url(objectPath('Pod', pod, namespace, 'portforward'), {ports: port})
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  const ws = new WebSocket(url, PROTOCOLS, {
    headers: s.headers,
    ...(s.secureContext ? {secureContext: s.secureContext} : {ca: s.ca, cert: s.cert, key: s.key}),
    rejectUnauthorized: s.rejectUnauthorized,
    // tls-server-name: ws passes unknown options on to tls.connect.
    ...(s.servername ? ({servername: s.servername} as object) : {}),
    agent: cluster.httpAgent,
    handshakeTimeout: 15_000,
    perMessageDeflate: false,
  })
  const errors: Buffer[] = []
  const portRead = [false, false]
  const errorText = () => Buffer.concat(errors).toString('utf8')
  let opened = false
  ws.on('close', (code: number) => {
    if (opened) events.onClose(code, errorText())
  })
  ws.on('error', (e: Error) => {
    if (opened) events.onError(e)
  })
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || data.length === 0) return
    const channel = data[0]
    let payload = data.subarray(1)
    if (channel === CLOSE_STREAM) return
    if (channel === DATA || channel === ERROR) {
      if (!portRead[channel]) {
        portRead[channel] = true
        payload = payload.subarray(2)
      }
      if (payload.length === 0) return
      if (channel === DATA) socket.write(payload)
      else errors.push(Buffer.from(payload))
    }
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => {
      opened = true
      resolve()
    })
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c))
      res.on('end', () => {
        let message = body
        try {
          message = JSON.parse(body).message ?? body
        } catch {}
        reject(Object.assign(new Error(`the API server refused the port-forward (HTTP ${res.statusCode}): ${message.trim().slice(0, 300)}`), {status: res.statusCode}))
      })
    })
  })
  // Closed while we were still resolving (it sent its error and left): report it now.
  if (ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) queueMicrotask(() => events.onClose(1006, errorText()))
  socket.on('data', (chunk: Buffer) => {
    if (ws.readyState !== WebSocket.OPEN) return
    ws.send(Buffer.concat([Buffer.from([DATA]), chunk]))
    if (ws.bufferedAmount > HIGH_WATER) {
      socket.pause()
      const drain = setInterval(() => {
        if (ws.bufferedAmount <= HIGH_WATER / 2 || ws.readyState !== WebSocket.OPEN) {
          clearInterval(drain)
          socket.resume()
        }
      }, 5)
    }
  })
  socket.on('end', () => {
    // Only v5 can say "no more input" without ending the answer too.
    if (ws.protocol === 'v5.channel.k8s.io' && ws.readyState === WebSocket.OPEN) ws.send(Buffer.from([CLOSE_STREAM, DATA]))
  })
  return {ws, errorText}
}
