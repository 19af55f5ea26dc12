// Reading what the user points kaos at, and writing where the user asks, without surprises:
// every read is bounded, special files (FIFOs, devices, sockets) are refused instead of read
// forever, and writes never overwrite a file without --force nor follow a symlink out of the
// target. Failures are one line naming the path and the fix (exit 2), never raw errno text.
import {closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync, readdirSync, statSync, type Stats, writeSync, fchmodSync} from 'node:fs'
import {dirname, join, relative, resolve, sep} from 'node:path'

import {invalid} from './errors.js'

/** The most kaos reads from one input file or from stdin: documents and registries are small. */
export const MAX_INPUT_BYTES = 4 * 1024 * 1024
const MAX_INPUT_TEXT = '4 MiB'

/** What a non-regular file is, for messages. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory'
  if (st.isFIFO()) return 'a FIFO (named pipe)'
  if (st.isCharacterDevice()) return 'a character device'
  if (st.isBlockDevice()) return 'a block device'
  if (st.isSocket()) return 'a socket'
  if (st.isSymbolicLink()) return 'a symbolic link'
  return 'not a regular file'
}

function errnoText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  switch (code) {
    case 'ENOENT':
      return 'does not exist'
    case 'EACCES':
    case 'EPERM':
      return 'is not readable (permission denied)'
    case 'ENOTDIR':
      return 'does not exist (a part of the path is not a directory)'
    case 'ELOOP':
      return 'is a symbolic link loop'
    case 'ENAMETOOLONG':
      return 'is too long a path'
    case 'EISDIR':
      return 'is a directory'
    default:
      return `cannot be read (${code ?? (error as Error).message})`
  }
}

/** stat() that turns errors into one line; `what` names the flag, e.g. `-f`. */
export function statInput(path: string, what: string): Stats {
  try {
    return statSync(path)
  } catch (error) {
    throw invalid(`${what} ${path} ${errnoText(error)}`, [`Check the ${what} path.`])
  }
}

/** Read at most `limit` bytes from an open descriptor; more is an error naming `label`. */
function readBounded(fd: number, label: string, limit: number, fix: string): string {
  const chunks: Buffer[] = []
  let total = 0
  const buf = Buffer.allocUnsafe(64 * 1024)
  for (;;) {
    let n: number
    try {
      n = readSync(fd, buf, 0, buf.length, null)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // A non-blocking stdin pipe with no data yet: wait a little and try again.
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10)
        continue
      }
      if (code === 'EOF') break
      throw invalid(`${label} ${errnoText(error)}`)
    }
    if (n === 0) break
    total += n
    if (total > limit) throw invalid(`${label} is larger than ${MAX_INPUT_TEXT}, the most kaos reads from one input`, [fix])
    chunks.push(Buffer.from(buf.subarray(0, n)))
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * A regular file's text, bounded. A missing or unreadable path, a directory, a FIFO or a device
 * is invalid input naming `what` (the flag).
 */
export function readInputFile(path: string, what: string, limit = MAX_INPUT_BYTES): string {
  const st = statInput(path, what)
  if (!st.isFile()) throw invalid(`${what} ${path} is ${kindOf(st)}, not a regular file`, ['Give the path of a regular file.'])
  if (st.size > limit) throw invalid(`${what} ${path} is larger than ${MAX_INPUT_TEXT}, the most kaos reads from one input`, ['Split it into several files.'])
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (error) {
    throw invalid(`${what} ${path} ${errnoText(error)}`, [`Check the ${what} path.`])
  }
  try {
    // The path may have been swapped for something else since the stat: check what was opened.
    const opened = fstatSync(fd)
    if (!opened.isFile()) throw invalid(`${what} ${path} is ${kindOf(opened)}, not a regular file`)
    return readBounded(fd, `${what} ${path}`, limit, 'Split it into several files.')
  } finally {
    closeSync(fd)
  }
}

/** Standard input, bounded (`-f -`). */
export function readStdin(limit = MAX_INPUT_BYTES): string {
  return readBounded(0, 'standard input', limit, 'Pass the documents as files with -f FILE instead.')
}

/** Extensions `-f DIR` reads, as kubectl does. */
export const DOCUMENT_EXTENSIONS = ['.yaml', '.yml', '.json']

/**
 * The document files in a directory given to `-f`: its .yaml, .yml and .json files in name
 * order; with `recursive`, those of its subfolders too (depth first, folders in name order).
 * Hidden entries are skipped, as kubectl skips nothing but kaos's own `.kaos/` must not be read.
 */
export function documentFilesIn(dir: string, recursive = false): string[] {
  let entries: string[]
  try {
    entries = readdirSync(dir).sort()
  } catch (error) {
    throw invalid(`-f ${dir} ${errnoText(error)}`)
  }
  const out: string[] = []
  for (const name of entries) {
    if (name.startsWith('.')) continue
    const p = join(dir, name)
    let st: Stats
    try {
      st = statSync(p)
    } catch {
      continue // a dangling symlink is not a document
    }
    if (st.isDirectory()) {
      if (recursive) out.push(...documentFilesIn(p, true))
    } else if (DOCUMENT_EXTENSIONS.some((e) => name.endsWith(e))) out.push(p)
  }
  return out
}

// ---- writing ----

export interface PlannedWrite {
  path: string
  content: string
  /** 0o600 for files that hold secrets. */
  mode?: number
}

/** The nearest existing ancestor of `path` (itself when it exists), with its stat. */
function existingAncestor(path: string): {path: string; st: Stats} {
  let p = resolve(path)
  for (;;) {
    try {
      return {path: p, st: statSync(p)}
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw invalid(`${p} ${errnoText(error)}`)
      const up = dirname(p)
      if (up === p) throw invalid(`${path} has no existing parent folder`)
      p = up
    }
  }
}

/**
 * Check that `dir` can be a folder kaos writes into: an existing directory, or a path whose
 * nearest existing ancestor is a directory. `what` names the flag (`--output-dir`).
 */
export function checkTargetDir(dir: string, what: string): void {
  const {path, st} = existingAncestor(dir)
  if (path === resolve(dir)) {
    if (!st.isDirectory()) throw invalid(`${what} ${dir} is ${st.isFile() ? 'a file' : kindOf(st)}, not a directory`, [`Give ${what} a folder (it is created when missing).`])
  } else if (!st.isDirectory()) throw invalid(`${what} ${dir}: ${path} is ${st.isFile() ? 'a file' : kindOf(st)}, not a directory`)
}

/**
 * Create `dir` one level at a time. (A recursive mkdir under /proc can loop forever; one level
 * at a time every failure is an answer.)
 */
function makeDir(dir: string, what: string): void {
  const abs = resolve(dir)
  const missing: string[] = []
  let p = abs
  for (;;) {
    try {
      const st = statSync(p)
      if (!st.isDirectory()) throw invalid(`${what} ${dir}: ${p} is ${st.isFile() ? 'a file' : kindOf(st)}, not a directory`)
      break
    } catch (error) {
      if ((error as {exit?: number}).exit) throw error
      missing.unshift(p)
      const up = dirname(p)
      if (up === p) break
      p = up
    }
  }
  for (const m of missing) {
    try {
      mkdirSync(m)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EEXIST') continue
      const why =
        code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EROFS'
            ? 'read-only file system'
            : code === 'ENOENT'
              ? 'the file system there does not allow new folders'
              : (code ?? (error as Error).message)
      throw invalid(`cannot create ${what} ${dir}: ${m}: ${why}`, ['Choose a folder on a normal, writable file system.'])
    }
  }
}

/**
 * Problems with writing `files` (absolute paths) under `root`: existing files without `force`,
 * symlinks (never followed, they may lead out of `root`), and paths that are not regular files.
 * Checked for every file before any is written, so a refusal leaves nothing behind.
 */
export function checkWrites(files: PlannedWrite[], opts: {force?: boolean; root?: string; what: string}): void {
  const existing: string[] = []
  for (const f of files) {
    // Every folder between root and the file must be a real folder inside root, not a link out.
    if (opts.root) {
      const rel = relative(opts.root, f.path)
      const parts = rel.split(sep).slice(0, -1)
      let p = opts.root
      for (const part of parts) {
        p = join(p, part)
        let st: Stats
        try {
          st = lstatSync(p)
        } catch {
          break // missing from here on: created by kaos
        }
        if (st.isSymbolicLink()) throw invalid(`refusing to write ${f.path}: ${p} is a symbolic link (kaos never writes through links)`, ['Remove the link, or choose another folder.'])
        if (!st.isDirectory()) throw invalid(`refusing to write ${f.path}: ${p} is ${kindOf(st)}, not a directory`)
      }
    }
    let st: Stats
    try {
      st = lstatSync(f.path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw invalid(`${opts.what} ${f.path} ${errnoText(error)}`)
    }
    if (st.isSymbolicLink()) throw invalid(`refusing to write ${f.path}: it is a symbolic link (kaos never writes through links)`, ['Remove the link, or choose another folder.'])
    if (st.isDirectory()) throw invalid(`${opts.what} ${f.path} is a directory`, ['Give the path of a file.'])
    if (!st.isFile()) throw invalid(`refusing to write ${f.path}: it is ${kindOf(st)}, not a regular file`)
    existing.push(f.path)
  }
  if (existing.length > 0 && !opts.force) {
    const shown = existing.map((p) => (opts.root ? relative(opts.root, p) : p))
    throw invalid(`refusing to overwrite ${shown.length > 10 ? `${shown.slice(0, 10).join(', ')} and ${shown.length - 10} more` : shown.join(', ')}${opts.root ? ` in ${opts.root}` : ''}`, [
      'Pass --force to overwrite, or choose another path.',
    ])
  }
}

/** Write one checked file: no symlink followed, no FIFO opened, mode applied even on overwrite. */
function writeOne(f: PlannedWrite): void {
  const mode = f.mode ?? 0o644
  let fd: number
  try {
    fd = openSync(f.path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0), mode)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ELOOP') throw invalid(`refusing to write ${f.path}: it is a symbolic link (kaos never writes through links)`)
    throw invalid(`cannot write ${f.path}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? (error as Error).message)}`)
  }
  try {
    const st = fstatSync(fd)
    if (!st.isFile()) throw invalid(`refusing to write ${f.path}: it is ${kindOf(st)}, not a regular file`)
    if (f.mode !== undefined) fchmodSync(fd, f.mode)
    const data = Buffer.from(f.content)
    let off = 0
    while (off < data.length) off += writeSync(fd, data, off, data.length - off)
  } finally {
    closeSync(fd)
  }
}

/**
 * Write files after checking all of them (see checkWrites). With `root`, the folder is created
 * as needed and every file must lie inside it.
 */
export function writeFiles(files: PlannedWrite[], opts: {force?: boolean; root?: string; what: string}): string[] {
  if (opts.root) checkTargetDir(opts.root, opts.what)
  else for (const f of files) checkParent(f.path, opts.what)
  checkWrites(files, opts)
  if (opts.root) makeDir(opts.root, opts.what)
  for (const f of files) {
    if (opts.root) makeDir(dirname(f.path), opts.what)
    writeOne(f)
  }
  return files.map((f) => f.path)
}

/** The folder a single output file goes into must exist (kaos does not invent folders for it). */
export function checkParent(path: string, what: string): void {
  const parent = dirname(resolve(path))
  let st: Stats
  try {
    st = statSync(parent)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw invalid(`${what} ${path}: the folder ${parent} ${code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : errnoText(error)}`, ['Create the folder first, or choose another path.'])
  }
  if (!st.isDirectory()) throw invalid(`${what} ${path}: ${parent} is not a directory`)
}
