// Asking a registry whether it has an image (the Docker Registry HTTP API v2: HEAD on the
// manifest, with the token dance registries like ghcr.io and Docker Hub require). For
// `kaos system images list`; never used on a hot path.
import http from 'node:http'
import https from 'node:https'

import type {AuthConfig} from './docker.js'
import {registryHost, splitReference} from './project.js'

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ')

function request(url: URL, method: string, headers: Record<string, string>): Promise<{status: number; headers: http.IncomingHttpHeaders; body: string}> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'http:' ? http : https).request(url, {method, headers, timeout: 10_000}, (res) => {
      let body = ''
      res.on('data', (c) => (body += c))
      res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, body}))
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), {code: 'ETIMEDOUT'})))
    req.on('error', reject)
    req.end()
  })
}

/** Registries Docker talks to over plain HTTP by default. */
function plainHttp(host: string): boolean {
  return /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(host)
}

/**
 * Whether the registry serves `ref`: true, false, or a reason it could not tell (unreachable,
 * refused). `auth` as `registryAuth` finds it in the docker config.
 */
export async function registryHasImage(ref: string, auth?: AuthConfig): Promise<boolean | {unknown: string}> {
  const host = registryHost(ref)
  if (!host) return {unknown: 'no registry host in the reference'}
  const {repo, tag} = splitReference(ref)
  const path = repo.slice(host.length + 1)
  const url = new URL(`${plainHttp(host) ? 'http' : 'https'}://${host}/v2/${path}/manifests/${tag}`)
  const basic = auth?.username && auth.password ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` : undefined
  try {
    let res = await request(url, 'HEAD', {Accept: ACCEPT, ...(basic ? {Authorization: basic} : {})})
    if (res.status === 401) {
      const challenge = String(res.headers['www-authenticate'] ?? '')
      const m = /^Bearer\s+(.*)$/i.exec(challenge)
      if (m) {
        const params = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]))
        const tokenUrl = new URL(params.realm)
        if (params.service) tokenUrl.searchParams.set('service', params.service)
        tokenUrl.searchParams.set('scope', params.scope ?? `repository:${path}:pull`)
        const t = await request(tokenUrl, 'GET', basic ? {Authorization: basic} : auth?.identitytoken ? {Authorization: `Bearer ${auth.identitytoken}`} : {})
        const token = t.status === 200 ? (JSON.parse(t.body).token ?? JSON.parse(t.body).access_token) : undefined
        if (!token) return {unknown: `${host} refused a pull token (HTTP ${t.status})`}
        res = await request(url, 'HEAD', {Accept: ACCEPT, Authorization: `Bearer ${token}`})
      }
    }
    if (res.status === 200) return true
    if (res.status === 404) return false
    return {unknown: `${host} answered HTTP ${res.status}`}
  } catch (error) {
    return {unknown: `${host}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`}
  }
}
