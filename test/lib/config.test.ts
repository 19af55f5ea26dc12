// kaos's config files: where they are found, how they merge, what is refused, and how `config set`
// writes them (comments kept, paths stored relative to the file).
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import {join} from 'node:path'

import {configTarget, findProjectConfig, loadConfig, writeConfigValue} from '../../src/lib/config.js'

const root = mkdtempSync(join(tmpdir(), 'kaos-config-'))
after(() => rmSync(root, {recursive: true, force: true}))

/** A fresh tree: <dir>/proj/sub/deeper and an XDG config home. */
function tree() {
  const dir = mkdtempSync(join(root, 't-'))
  const deeper = join(dir, 'proj', 'sub', 'deeper')
  mkdirSync(deeper, {recursive: true})
  const env = {XDG_CONFIG_HOME: join(dir, 'xdg')}
  const global = join(dir, 'xdg', 'kaos', 'config.yaml')
  return {dir, proj: join(dir, 'proj'), deeper, env, global}
}

async function rejects(p: Promise<unknown>, re: RegExp) {
  await assert.rejects(p, (e: any) => {
    assert.equal(e.exit, 2)
    assert.match(e.message, re)
    return true
  })
}

describe('kaos config files', () => {
  it('none anywhere: undefined (the common, cheap case)', async () => {
    const t = tree()
    assert.equal(await loadConfig(t.deeper, t.env), undefined)
    assert.equal(findProjectConfig(t.deeper), undefined)
  })

  it('the nearest .kaos-config.yaml upwards wins over the user file, key by key; paths are relative to their file', async () => {
    const t = tree()
    mkdirSync(join(t.dir, 'xdg', 'kaos'), {recursive: true})
    writeFileSync(t.global, 'namespace: mine\noutput: json\nimage-registry: ghcr.io/me\n')
    writeFileSync(join(t.proj, '.kaos-config.yaml'), '# team defaults\nnamespace: team-a\nkubeconfig: ./kc.yaml\nregistry: [a.yaml, ~/b.yaml]\n')
    const cfg = (await loadConfig(t.deeper, t.env))!
    assert.deepEqual(cfg.values, {
      namespace: 'team-a',
      output: 'json',
      'image-registry': 'ghcr.io/me',
      kubeconfig: join(t.proj, 'kc.yaml'),
      registry: [join(t.proj, 'a.yaml'), join(homedir(), 'b.yaml')],
    })
    assert.equal(cfg.sources.namespace, join(t.proj, '.kaos-config.yaml'))
    assert.equal(cfg.sources.output, t.global)
    assert.deepEqual(
      cfg.files.map((f) => f.scope),
      ['global', 'project'],
    )
  })

  it('unknown keys (with a did-you-mean), bad values and bad YAML are one line naming the file (exit 2)', async () => {
    const t = tree()
    const f = join(t.proj, '.kaos-config.yaml')
    writeFileSync(f, 'namspace: x\n')
    await rejects(loadConfig(t.deeper, t.env), new RegExp(`^${f}: unknown key "namspace"; did you mean namespace\\?$`))
    writeFileSync(f, 'namespace: Team_A\n')
    await rejects(loadConfig(t.deeper, t.env), /: namespace "Team_A" must be a DNS-1123 label/)
    writeFileSync(f, 'output: wiide\n')
    await rejects(loadConfig(t.deeper, t.env), /: output "wiide" must be one of table, wide, json, yaml, name$/)
    writeFileSync(f, 'image-registry: https://ghcr.io/x\n')
    await rejects(loadConfig(t.deeper, t.env), /image-registry "https:\/\/ghcr\.io\/x" must be a registry host/)
    writeFileSync(f, 'namespace: [a\n')
    await rejects(loadConfig(t.deeper, t.env), /: invalid YAML: /)
    writeFileSync(f, '- a\n- b\n')
    await rejects(loadConfig(t.deeper, t.env), /: expected a mapping of settings/)
    writeFileSync(f, 'context: 3\n')
    await rejects(loadConfig(t.deeper, t.env), /: context must be a non-empty string \(got 3\)$/)
    writeFileSync(f, '')
    assert.deepEqual((await loadConfig(t.deeper, t.env))!.values, {}, 'an empty file is an empty config')
  })

  it('config set: the nearest project file, else the user file; comments and order kept; relative paths stored relative to the file', async () => {
    const t = tree()
    assert.equal(configTarget(t.deeper, false, t.env), t.global, 'no project file: the user file')
    await writeConfigValue(t.global, 'namespace', 'mine', t.deeper)
    assert.equal(readFileSync(t.global, 'utf8'), 'namespace: mine\n')
    const f = join(t.proj, '.kaos-config.yaml')
    writeFileSync(f, '# team defaults\noutput: yaml # for CI\n')
    assert.equal(configTarget(t.deeper, false, t.env), f)
    assert.equal(configTarget(t.deeper, true, t.env), t.global)
    await writeConfigValue(f, 'kubeconfig', '../kc.yaml', t.deeper)
    await writeConfigValue(f, 'registry', 'r1.yaml,/abs/r2.yaml', t.deeper)
    assert.equal(readFileSync(f, 'utf8'), '# team defaults\noutput: yaml # for CI\nkubeconfig: sub/kc.yaml\nregistry:\n  - sub/deeper/r1.yaml\n  - /abs/r2.yaml\n')
    assert.equal((await loadConfig(t.deeper, t.env))!.values.kubeconfig, join(t.proj, 'sub', 'kc.yaml'))
    await writeConfigValue(f, 'output', undefined, t.deeper)
    assert.doesNotMatch(readFileSync(f, 'utf8'), /output/)
  })

  it('config set refuses unknown keys and bad values, leaving the file as it was; unset removes a typo the file has', async () => {
    const t = tree()
    const f = join(t.proj, '.kaos-config.yaml')
    writeFileSync(f, 'namespace: a\n')
    await rejects(writeConfigValue(f, 'namspace', 'b', t.deeper), /^kaos config: unknown key "namspace"; did you mean namespace\?$/)
    await rejects(writeConfigValue(f, 'system-namespace', 'Bad', t.deeper), /system-namespace "Bad" must be a DNS-1123 label/)
    assert.equal(readFileSync(f, 'utf8'), 'namespace: a\n')
    writeFileSync(f, 'namespace: a\nfoo: 1\n')
    await writeConfigValue(f, 'foo', undefined, t.deeper)
    assert.equal(readFileSync(f, 'utf8'), 'namespace: a\n')
    await rejects(writeConfigValue(f, 'bar', undefined, t.deeper), /unknown key "bar"/)
  })
})
