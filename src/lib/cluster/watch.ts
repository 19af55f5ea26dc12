import {setTimeout as sleep} from 'node:timers/promises'

import {ApiError, type Cluster, backoff, isTransientNetworkError} from './client.js'

/** How long one watch request lasts before the server ends it and kaos resumes. */
const WATCH_SECONDS = 300

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'
  object: T
}

export interface WatchOptions<T> {
  /** Collection path, e.g. `/apis/apps/v1/namespaces/ns/deployments`. */
  path: string
  labelSelector?: string
  fieldSelector?: string
  signal: AbortSignal
  /** Called with the full list first (on start and after every re-list), then with each event. */
  onList: (items: T[]) => void
  onEvent: (e: WatchEvent<T>) => void
  /** Called when the stream dropped and is being resumed (for progress output). */
  onReconnect?: (reason: string) => void
}

/**
 * List then watch a collection until `signal` aborts. Dropped streams resume from the last
 * resourceVersion; 410 Gone (expired version) re-lists; connection failures (e.g. an API server
 * restart) are retried with backoff. Only the signal ends it.
 */
export async function listAndWatch<T extends {metadata: {resourceVersion?: string}}>(cluster: Cluster, o: WatchOptions<T>): Promise<void> {
  let rv: string | undefined
  let failures = 0
  const query = {labelSelector: o.labelSelector, fieldSelector: o.fieldSelector}
  while (!o.signal.aborted) {
    try {
      if (rv === undefined) {
        const list = await cluster.request<{metadata: {resourceVersion: string}; items: T[]}>('GET', o.path, {query, signal: o.signal})
        rv = list.metadata.resourceVersion
        o.onList(list.items)
      }
      const res = await cluster.open('GET', o.path, {
        query: {...query, watch: 1, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: WATCH_SECONDS},
        signal: o.signal,
        // The server ends the watch after WATCH_SECONDS; silence well past that means it is gone.
        idleTimeoutMs: (WATCH_SECONDS + 30) * 1000,
      })
      if (res.statusCode === 410) {
        res.resume()
        rv = undefined
        continue
      }
      if (res.statusCode !== 200) {
        const text = await new Promise<string>((resolve) => {
          let b = ''
          res.on('data', (c) => (b += c))
          res.on('end', () => resolve(b))
        })
        let body = {}
        try {
          body = JSON.parse(text)
        } catch {}
        const err = cluster.apiError(new ApiError(res.statusCode ?? 0, body, 'GET', o.path), {watch: 1})
        if ((res.statusCode ?? 0) >= 500 || res.statusCode === 429) throw Object.assign(new Error(`HTTP ${res.statusCode}`), {code: 'ECONNRESET'})
        throw err
      }
      failures = 0
      let buf = ''
      for await (const chunk of res) {
        buf += chunk
        let nl: number
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim()
          buf = buf.slice(nl + 1)
          if (!line) continue
          const ev = JSON.parse(line) as {type: string; object: any}
          if (ev.type === 'ERROR') {
            // 410 Gone inside the stream: our resourceVersion is too old; start over with a list.
            if (ev.object?.code === 410) rv = undefined
            res.destroy()
            break
          }
          if (ev.object?.metadata?.resourceVersion) rv = ev.object.metadata.resourceVersion
          if (ev.type !== 'BOOKMARK') o.onEvent(ev as WatchEvent<T>)
        }
        if (rv === undefined) break
      }
      if (!o.signal.aborted) o.onReconnect?.(rv === undefined ? 'resource version expired, re-listing' : 'watch closed, resuming')
    } catch (error) {
      const e = error as NodeJS.ErrnoException & {exit?: number}
      if (o.signal.aborted || e.name === 'AbortError') return
      // KaosErrors from request() on unreachable servers carry code UNREACHABLE: keep trying, the
      // caller's deadline decides when to give up.
      const transient = isTransientNetworkError(e) || (e as {code?: string}).code === 'UNREACHABLE' || e.message === 'aborted'
      if (!transient) throw error
      o.onReconnect?.(`connection lost (${e.code ?? e.message}), retrying`)
      await sleep(backoff(Math.min(failures++, 4)), undefined, {signal: o.signal}).catch(() => {})
    }
  }
}
