// kaos's config files through the built binary: defaults that every command takes (namespace,
// output, registry files, image registry, system namespace, kubeconfig and context), flags above
// them, nothing extra said without them, and `kaos config show|get|set|unset`.
import assert from 'node:assert/strict'
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {parseAllDocuments} from 'yaml'

import {ROOT, cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {describeConcurrent} from '../helpers/mocha.js'

const skip = cliUnavailable()
const base = tempDir('kaos-config-cli-')
after(() => rmSync(base, {recursive: true, force: true}))
const EXAMPLE = join(ROOT, 'examples', 'mcpserver-rawpython.yaml')
let n = 0

/** A project folder (with a sub folder to run in) and a user config home, both empty. */
function setup(project?: string, user?: string) {
  const dir = join(base, `t${n++}`)
  const cwd = join(dir, 'proj', 'sub')
  mkdirSync(cwd, {recursive: true})
  const xdg = join(dir, 'xdg')
  if (project !== undefined) writeFileSync(join(dir, 'proj', '.kaos-config.yaml'), project)
  if (user !== undefined) {
    mkdirSync(join(xdg, 'kaos'), {recursive: true})
    writeFileSync(join(xdg, 'kaos', 'config.yaml'), user)
  }
  const kaos = (args: string[], extra: Record<string, string> = {}) => runCli(args, {cwd, env: {XDG_CONFIG_HOME: xdg, ...extra}})
  return {dir, cwd, xdg, kaos, project: join(dir, 'proj', '.kaos-config.yaml'), user: join(xdg, 'kaos', 'config.yaml')}
}

const ok = (r: {code: number; stdout: string; stderr: string}) => assert.equal(r.code, 0, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
const objects = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS())

describeConcurrent('kaos config (built CLI)', skip, 6, (it) => {
  it('namespace: the default for a render; -n wins; a document\'s own namespace may differ (not an explicit -n)', async () => {
    const t = setup('namespace: team-a\n')
    const r = await t.kaos(['mcp', 'deploy', '-f', EXAMPLE, '--dry-run'])
    ok(r)
    assert.deepEqual(objects(r.stdout).map((o) => o.metadata.namespace), ['team-a', 'team-a'])
    assert.equal(r.stderr, '', 'a config file adds nothing to the output')
    const flag = await t.kaos(['mcp', 'deploy', '-f', EXAMPLE, '--dry-run', '-n', 'other'])
    assert.deepEqual(objects(flag.stdout).map((o) => o.metadata.namespace), ['other', 'other'])
    const own = join(t.dir, 'own.yaml')
    writeFileSync(own, readFileSync(EXAMPLE, 'utf8').replace('name: calc', 'name: calc\n  namespace: elsewhere'))
    const doc = await t.kaos(['mcp', 'deploy', '-f', own, '--dry-run'])
    ok(doc)
    assert.deepEqual(objects(doc.stdout).map((o) => o.metadata.namespace), ['elsewhere', 'elsewhere'])
  })

  it('output: json for commands whose -o has it; a command without it keeps its own default', async () => {
    const t = setup('output: json\n')
    const r = await t.kaos(['mcp', 'deploy', '-f', EXAMPLE, '--dry-run'])
    ok(r)
    assert.equal(JSON.parse(r.stdout).kind, 'List')
    assert.match((await t.kaos(['mcp', 'deploy', '-f', EXAMPLE, '--dry-run', '-o', 'yaml'])).stdout, /^apiVersion: apps\/v1\n/, '-o wins')
    const wide = setup('output: wide\n')
    const d = await wide.kaos(['mcp', 'deploy', '-f', EXAMPLE, '--dry-run'])
    ok(d)
    assert.match(d.stdout, /^apiVersion: apps\/v1/, 'deploy has no -o wide: YAML, its default')
  })

  it('registry files relative to the config file, the user\'s image registry under the project\'s', async () => {
    const t = setup('registry: [runtimes.yaml]\n', 'image-registry: ghcr.io/acme\n')
    writeFileSync(join(t.dir, 'proj', 'runtimes.yaml'), 'runtimes:\n  echo:\n    type: python\n    image: ghcr.io/acme/echo:1.0.0\n    transport: http\n')
    const r = await t.kaos(['system', 'runtimes', '--json', '--offline'])
    ok(r)
    const rts = JSON.parse(r.stdout).runtimes
    assert.match(rts.find((x: any) => x.name === 'echo').origin, new RegExp(`file:.*proj/runtimes\\.yaml$`))
    assert.equal(rts.find((x: any) => x.name === 'rawpython').image.split('/kaos-rawpython:')[0], 'ghcr.io/acme')
    // A missing registry file says where its name came from.
    const bad = setup('registry: nope.yaml\n')
    const b = await bad.kaos(['mcp', 'deploy', '-f', EXAMPLE, '--dry-run'])
    assert.equal(b.code, 2)
    assert.match(b.error!, new RegExp(`^registry \\(from ${bad.project.replace(/[.]/g, '\\.')}\\) .*nope\\.yaml does not exist$`))
  })

  it('system-namespace, and kubeconfig + context: the context\'s namespace when no namespace is set', async () => {
    const kc = `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts:\n- {name: one, context: {cluster: c, user: u, namespace: from-one}}\n- {name: two, context: {cluster: c, user: u, namespace: from-two}}\ncurrent-context: one\n`
    const t = setup('kubeconfig: kc.yaml\ncontext: two\nsystem-namespace: kaos-tools\n')
    writeFileSync(join(t.dir, 'proj', 'kc.yaml'), kc)
    const r = await t.kaos(['mcp', 'deploy', '-f', EXAMPLE, '--dry-run'])
    ok(r)
    assert.deepEqual(objects(r.stdout).map((o) => o.metadata.namespace), ['from-two', 'from-two'])
    const ctx = await t.kaos(['mcp', 'deploy', '-f', EXAMPLE, '--dry-run', '--context', 'one'])
    assert.deepEqual(objects(ctx.stdout).map((o) => o.metadata.namespace), ['from-one', 'from-one'])
    const install = await t.kaos(['system', 'install', '--dry-run'])
    ok(install)
    assert.deepEqual(objects(install.stdout).map((o) => o.metadata.namespace ?? o.metadata.name), ['kaos-tools', 'kaos-tools'])
  })

  it('a broken config file stops every command with one line naming it and the key (exit 2)', async () => {
    const t = setup('namspace: team-a\n')
    for (const args of [['mcp', 'deploy', '-f', EXAMPLE, '--dry-run'], ['samples', 'list'], ['config', 'show']]) {
      const r = await t.kaos(args)
      assert.equal(r.code, 2, args.join(' '))
      assert.equal(r.error, `${t.project}: unknown key "namspace"; did you mean namespace?`)
      assert.equal(r.stdout, '')
    }
    // ...but config unset can remove the typo.
    ok(await t.kaos(['config', 'unset', 'namspace']))
    ok(await t.kaos(['samples', 'list']))
  })

  it('config set/get/show/unset: the nearest file or --global; unknown keys with a did-you-mean', async () => {
    const t = setup()
    const none = await t.kaos(['config', 'show'])
    ok(none)
    assert.equal(none.stdout, '')
    assert.match(none.stderr, /^no kaos configuration: looked for \.kaos-config\.yaml from .* upwards, and .*xdg\/kaos\/config\.yaml\n$/)
    ok(await t.kaos(['config', 'set', 'namespace', 'mine']))
    assert.equal(readFileSync(t.user, 'utf8'), 'namespace: mine\n', 'no project file: the user file')
    writeFileSync(t.project, '# project\n')
    const set = await t.kaos(['config', 'set', 'namespace', 'team-a', '--json'])
    assert.deepEqual(JSON.parse(set.stdout), {file: t.project, key: 'namespace', value: 'team-a'})
    ok(await t.kaos(['config', 'set', 'image-registry', 'localhost:5001/kaos', '--global']))
    const get = await t.kaos(['config', 'get', 'namespace'])
    assert.equal(get.stdout, 'team-a\n')
    const show = JSON.parse((await t.kaos(['config', 'show', '--json'])).stdout)
    assert.deepEqual(show.values, {namespace: 'team-a', 'image-registry': 'localhost:5001/kaos'})
    assert.deepEqual(show.sources, {namespace: t.project, 'image-registry': t.user})
    const table = await t.kaos(['config', 'show'])
    assert.match(table.stdout, /^KEY\s+VALUE\s+SOURCE\n/)
    const unset = await t.kaos(['config', 'get', 'context', '--json'])
    assert.deepEqual(JSON.parse(unset.stdout), {key: 'context', value: null, source: null})
    for (const args of [['config', 'get', 'namspace'], ['config', 'set', 'imageRegistry', 'x']]) {
      const r = await t.kaos(args)
      assert.equal(r.code, 2)
      assert.match(r.error!, /unknown key "(namspace|imageRegistry)"; did you mean (namespace|image-registry)\?$/)
    }
    const before = readFileSync(t.project, 'utf8')
    assert.match(before, /^# project\n+namespace: team-a\n$/, 'the comment is kept')
    const badValue = await t.kaos(['config', 'set', 'output', 'xml'])
    assert.equal(badValue.code, 2)
    assert.equal(readFileSync(t.project, 'utf8'), before, 'a refused value leaves the file as it was')
    ok(await t.kaos(['config', 'unset', 'namespace']))
    assert.equal((await t.kaos(['config', 'get', 'namespace'])).stdout, 'mine\n', 'the user file shows through')
  })
})
