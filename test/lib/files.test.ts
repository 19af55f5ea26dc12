// Bounded reads and careful writes (src/lib/files.ts), on real files, FIFOs, devices and links,
// and the namespace an offline render uses (src/lib/cluster/context.ts).
import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {hasKubeconfig, offlineNamespace} from '../../src/lib/cluster/context.js'
import {MAX_INPUT_BYTES, checkTargetDir, documentFilesIn, readInputFile, writeFiles} from '../../src/lib/files.js'
import {readDocumentFiles} from '../../src/lib/inputs.js'
import {invalidInput} from '../helpers/assert.js'
import {ROOT, tempDir} from '../helpers/cli.js'

const dir = tempDir('kaos-files-')
after(() => rmSync(dir, {recursive: true, force: true}))

describe('reading inputs', () => {
  it('reads a regular file; refuses devices, FIFOs, folders and files above the limit', () => {
    const f = join(dir, 'a.yaml')
    writeFileSync(f, 'x: 1\n')
    assert.equal(readInputFile(f, '-f'), 'x: 1\n')
    invalidInput(() => readInputFile('/dev/zero', '-f'), /^-f \/dev\/zero is a character device, not a regular file$/)
    const fifo = join(dir, 'pipe')
    execFileSync('mkfifo', [fifo])
    invalidInput(() => readInputFile(fifo, '-f'), /is a FIFO \(named pipe\), not a regular file$/)
    invalidInput(() => readInputFile(dir, '--registry'), /^--registry .* is a directory, not a regular file$/)
    invalidInput(() => readInputFile(join(dir, 'missing'), '-f'), /^-f .*missing does not exist$/)
    invalidInput(() => readInputFile(join(f, 'below'), '-f'), /does not exist \(a part of the path is not a directory\)$/)
    const big = join(dir, 'big')
    writeFileSync(big, Buffer.alloc(MAX_INPUT_BYTES + 1, 'x'))
    invalidInput(() => readInputFile(big, '-f'), /is larger than 4 MiB/)
    assert.equal(readInputFile(big, '-f', MAX_INPUT_BYTES + 1).length, MAX_INPUT_BYTES + 1)
  })
  it('stdin is read with the same bound, from a real pipe', () => {
    const script = `import {readStdin} from ${JSON.stringify(join(ROOT, 'src/lib/files.ts'))}; try { console.log(readStdin(1000).length) } catch (e) { console.log(e.message) }`
    const run = (input: string) => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {input, cwd: ROOT, encoding: 'utf8'}).stdout.trim()
    assert.equal(run('x'.repeat(999)), '999')
    assert.match(run('x'.repeat(5000)), /^standard input is larger than 4 MiB/)
  })
  it('-f FOLDER: documents in name order, hidden entries and other files skipped, -R for subfolders', () => {
    const docs = join(dir, 'docs')
    mkdirSync(join(docs, 'sub'), {recursive: true})
    mkdirSync(join(docs, '.kaos'))
    const doc = (n: string) => `apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: ${n}}\nspec: {runtime: rawpython, params: x}\n`
    writeFileSync(join(docs, 'z.yaml'), doc('z'))
    writeFileSync(join(docs, 'a.json'), JSON.stringify({apiVersion: 'kaos.tools/v1alpha1', kind: 'MCPServer', metadata: {name: 'a'}, spec: {runtime: 'rawpython'}}))
    writeFileSync(join(docs, 'readme.md'), '#')
    writeFileSync(join(docs, '.kaos', 'x.yaml'), 'not: read')
    writeFileSync(join(docs, 'sub', 'm.yml'), doc('m'))
    symlinkSync(join(docs, 'gone.yaml'), join(docs, 'dangling.yaml'))
    assert.deepEqual(documentFilesIn(docs).map((p) => p.slice(docs.length + 1)), ['a.json', 'z.yaml'])
    assert.deepEqual(documentFilesIn(docs, true).map((p) => p.slice(docs.length + 1)), ['a.json', 'sub/m.yml', 'z.yaml'])
    assert.deepEqual(readDocumentFiles([docs], {recursive: true}).map((d) => d.metadata.name), ['a', 'm', 'z'])
    mkdirSync(join(dir, 'nodocs'))
    writeFileSync(join(dir, 'nodocs', 'readme.md'), '#')
    invalidInput(() => readDocumentFiles([join(dir, 'nodocs')]), /is a folder with no \.yaml, \.yml, \.json files \(subfolders are read with -R\)$/)
  })
})

describe('writing outputs', () => {
  it('writes files with their modes, creating folders; refuses to overwrite without force', () => {
    const root = join(dir, 'out', 'deep')
    const files = [
      {path: join(root, 'a.yaml'), content: 'a'},
      {path: join(root, 'secret.yaml'), content: 's', mode: 0o600},
    ]
    writeFiles(files, {root, what: '--output-dir'})
    assert.equal(readFileSync(join(root, 'a.yaml'), 'utf8'), 'a')
    assert.equal(statSync(join(root, 'secret.yaml')).mode & 0o777, 0o600)
    invalidInput(() => writeFiles(files, {root, what: '--output-dir'}), /^refusing to overwrite a\.yaml, secret\.yaml in /)
    // An existing file written with force gets the mode too, not only new ones.
    writeFileSync(join(root, 'secret.yaml'), 'old', {mode: 0o644})
    writeFiles(files, {root, what: '--output-dir', force: true})
    assert.equal(statSync(join(root, 'secret.yaml')).mode & 0o777, 0o600)
    assert.equal(readFileSync(join(root, 'secret.yaml'), 'utf8'), 's')
  })
  it('never writes through a symlink, even with force, and checks every file before writing any', () => {
    const root = join(dir, 'linked')
    mkdirSync(root)
    writeFileSync(join(dir, 'outside.txt'), 'keep')
    symlinkSync(join(dir, 'outside.txt'), join(root, 'b.yaml'))
    const files = [
      {path: join(root, 'a.yaml'), content: 'a'},
      {path: join(root, 'b.yaml'), content: 'b'},
    ]
    invalidInput(() => writeFiles(files, {root, what: '--output-dir', force: true}), /^refusing to write .*b\.yaml: it is a symbolic link/)
    assert.equal(readFileSync(join(dir, 'outside.txt'), 'utf8'), 'keep')
    assert.deepEqual(readdirSync(root), ['b.yaml'], 'a.yaml was not written either')
    // A linked folder on the way is refused too.
    mkdirSync(join(dir, 'elsewhere'))
    symlinkSync(join(dir, 'elsewhere'), join(root, 'sub'))
    invalidInput(() => writeFiles([{path: join(root, 'sub', 'x.yaml'), content: 'x'}], {root, what: '--dir'}), /^refusing to write .*x\.yaml: .*sub is a symbolic link/)
    assert.deepEqual(readdirSync(join(dir, 'elsewhere')), [])
  })
  it('refuses FIFOs and devices as targets, files as folders, and folders it cannot create', () => {
    const root = join(dir, 'fifo-out')
    mkdirSync(root)
    execFileSync('mkfifo', [join(root, 'kustomization.yaml')])
    invalidInput(() => writeFiles([{path: join(root, 'kustomization.yaml'), content: 'x'}], {root, what: '--output-dir', force: true}), /is a FIFO \(named pipe\), not a regular file$/)
    writeFileSync(join(dir, 'plain'), '')
    invalidInput(() => checkTargetDir(join(dir, 'plain'), '--output-dir'), /^--output-dir .*plain is a file, not a directory$/)
    invalidInput(() => checkTargetDir(join(dir, 'plain', 'below'), '--output-dir'), /plain is a file, not a directory$/)
    invalidInput(() => writeFiles([{path: '/proc/self/kaos-test/a', content: 'x'}], {root: '/proc/self/kaos-test', what: '--output-dir'}), /^cannot create --output-dir \/proc\/self\/kaos-test: /)
    invalidInput(() => writeFiles([{path: join(dir, 'no', 'such', 'f.yaml'), content: 'x'}], {what: '--create-yaml'}), /^--create-yaml .*f\.yaml: the folder .* does not exist$/)
    invalidInput(() => writeFiles([{path: '/dev/null', content: 'x'}], {what: '--create-yaml', force: true}), /^refusing to write \/dev\/null: it is a character device/)
  })
})

describe('the namespace of an offline render', () => {
  const kc = (ns?: string) => {
    const p = join(dir, `kc-${ns ?? 'none'}`)
    writeFileSync(p, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u${ns ? `, namespace: ${ns}` : ''}}}]\ncurrent-context: x\n`)
    return p
  }
  it('-n, else the context namespace, else default; no kubeconfig is default', () => {
    assert.deepEqual(offlineNamespace({namespace: 'tools', kubeconfig: kc('team')}), {namespace: 'tools', namespaceExplicit: true})
    assert.deepEqual(offlineNamespace({kubeconfig: kc('team')}), {namespace: 'team', namespaceExplicit: false})
    assert.deepEqual(offlineNamespace({kubeconfig: kc()}), {namespace: 'default', namespaceExplicit: false})
    invalidInput(() => offlineNamespace({namespace: '../x'}), /^namespace "\.\.\/x" is not a valid namespace name/)
  })
  it('finds kubeconfigs the way a deploy does', () => {
    assert.equal(hasKubeconfig({}, {HOME: dir}), false)
    assert.equal(hasKubeconfig({}, {HOME: dir, KUBECONFIG: `${join(dir, 'nope')}:${kc('team')}`}), true)
    assert.equal(hasKubeconfig({}, {HOME: dir, KUBECONFIG: join(dir, 'nope')}), false)
    assert.equal(hasKubeconfig({context: 'x'}, {HOME: dir}), true)
  })
})
