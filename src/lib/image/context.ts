// The build context: the project's files minus what `.dockerignore` excludes (matched by
// @balena/dockerignore, a port of Docker's own matcher), packed as a tar stream in path order.
// Loaded only by build commands (it bundles tar-stream).
import ignore from '@balena/dockerignore'
import {createReadStream, existsSync, lstatSync, readFileSync, readdirSync, readlinkSync} from 'node:fs'
import {join} from 'node:path'
import {type Readable, Transform} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import tar from 'tar-stream'

import {KAOS_DIR, hashContext} from './project.js'

export interface ContextEntry {
  /** Path inside the context, `/`-separated, no leading `./`. */
  path: string
  type: 'file' | 'directory' | 'symlink'
  mode: number
  size: number
  mtime: Date
  linkname?: string
}

export interface ContextListing {
  dir: string
  entries: ContextEntry[]
  /** Whether a .dockerignore was applied. */
  dockerignore: boolean
  files: number
  /** Sum of file sizes (the tar adds 512-byte headers and padding). */
  bytes: number
}

/** A file kaos adds to the context that is not in the project (the generated Dockerfile). */
export interface ExtraFile {
  path: string
  content: string | Buffer
  mode?: number
}

/** The .dockerignore matcher of `dir` (plus kaos's own `.kaos/` state folder, always excluded). */
export function contextMatcher(dir: string): {ignores: (path: string) => boolean; hasExceptions: boolean; dockerignore: boolean} {
  const file = join(dir, '.dockerignore')
  const text = existsSync(file) ? readFileSync(file, 'utf8') : ''
  // The package is CommonJS with `factory.default = factory`, so `.default` is the factory under any interop.
  const ig = ignore.default({ignorecase: false}).add(text).add(KAOS_DIR)
  const hasExceptions = text.split(/\r?\n/).some((l) => l.trim().startsWith('!'))
  return {ignores: (p) => ig.ignores(p), hasExceptions, dockerignore: text !== ''}
}

/**
 * The files of the context, as Docker's CLI chooses them: a path that .dockerignore matches is
 * left out; an excluded directory is only descended into when `!` exceptions could re-include
 * something below it.
 */
export function listContext(dir: string): ContextListing {
  const matcher = contextMatcher(dir)
  const entries: ContextEntry[] = []
  const walk = (rel: string) => {
    const names = readdirSync(join(dir, rel)).sort()
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name
      const abs = join(dir, path)
      const st = lstatSync(abs)
      const ignored = matcher.ignores(path)
      if (st.isDirectory()) {
        if (!ignored) entries.push({path, type: 'directory', mode: st.mode & 0o7777, size: 0, mtime: st.mtime})
        if (!ignored || matcher.hasExceptions) walk(path)
      } else if (!ignored) {
        if (st.isSymbolicLink()) entries.push({path, type: 'symlink', mode: st.mode & 0o7777, size: 0, mtime: st.mtime, linkname: readlinkSync(abs)})
        else if (st.isFile()) entries.push({path, type: 'file', mode: st.mode & 0o7777, size: st.size, mtime: st.mtime})
        // Sockets, FIFOs and devices have no place in an image build; Docker skips them too.
      }
    }
  }
  walk('')
  const files = entries.filter((e) => e.type === 'file')
  return {dir, entries, dockerignore: matcher.dockerignore, files: files.length, bytes: files.reduce((n, e) => n + e.size, 0)}
}

/** sha256 of the listed files' paths, modes and contents (plus extra files): the tag when the project has no version. */
export function contextHash(listing: ContextListing, extra: ExtraFile[] = []): string {
  return hashContext([
    ...listing.entries.filter((e) => e.type !== 'directory').map((e) => ({path: e.path, mode: e.mode, content: e.type === 'symlink' ? `-> ${e.linkname}` : readFileSync(join(listing.dir, e.path))})),
    ...extra.map((f) => ({path: f.path, mode: f.mode ?? 0o644, content: f.content})),
  ])
}

export interface PackedContext {
  stream: Readable
  /** Resolves when the tar is fully written, with its size in bytes. */
  done: Promise<{bytes: number}>
}

/** Pack the listing (files streamed from disk) and the extra files into an uncompressed tar stream. */
export function packContext(listing: ContextListing, extra: ExtraFile[] = []): PackedContext {
  const pack = tar.pack()
  let bytes = 0
  const counted = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length
      cb(null, chunk)
    },
  })
  const done = new Promise<{bytes: number}>((resolve, reject) => {
    counted.on('end', () => resolve({bytes}))
    counted.on('error', reject)
    pack.on('error', (error: Error) => {
      counted.destroy(error)
      reject(error)
    })
  })
  done.catch(() => {})
  pack.pipe(counted)
  const add = async () => {
    const base = {uid: 0, gid: 0, uname: '', gname: ''}
    for (const e of listing.entries) {
      if (e.type === 'directory') await entry(pack, {...base, name: e.path, type: 'directory', mode: e.mode, mtime: e.mtime})
      else if (e.type === 'symlink') await entry(pack, {...base, name: e.path, type: 'symlink', linkname: e.linkname ?? '', mode: e.mode, mtime: e.mtime})
      else {
        const abs = join(listing.dir, e.path)
        const size = lstatSync(abs).size
        await new Promise<void>((resolve, reject) => {
          const sink = pack.entry({...base, name: e.path, type: 'file', size, mode: e.mode, mtime: e.mtime}, (err) => (err ? reject(err) : resolve()))
          pipeline(createReadStream(abs), sink).catch(reject)
        })
      }
    }
    for (const f of extra) await entry(pack, {...base, name: f.path, type: 'file', mode: f.mode ?? 0o644, mtime: new Date(0)}, Buffer.from(f.content))
    pack.finalize()
  }
  add().catch((error: Error) => pack.destroy(error))
  return {stream: counted, done}
}

function entry(pack: tar.Pack, header: Partial<tar.Header> & {name: string}, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header as tar.Header, body ?? '', (err) => (err ? reject(err) : resolve()))
  })
}

/** The names of the files (not directories) inside a tar, for tests and the benchmark. */
export async function tarNames(stream: Readable): Promise<string[]> {
  const extract = tar.extract()
  const names: string[] = []
  extract.on('entry', (header, body, next) => {
    if (header.type !== 'directory') names.push(header.name)
    body.on('end', next)
    body.resume()
  })
  await pipeline(stream, extract)
  return names
}
