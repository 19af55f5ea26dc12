// What an offline render writes, and where, through the built binary: the namespace a deploy would
// use (the kubeconfig context's), no minted or placeholder bearer token, literal keys kept out of
// ConfigMaps and annotations, file modes, --force, -f FOLDER (-R), and `mcp build
// --create-dockerfile` stopping before any build.
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {parseAllDocuments} from 'yaml'

import {cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {validateK8sObject} from '../helpers/k8s-schema.js'
import {describeConcurrent} from '../helpers/mocha.js'

const skip = cliUnavailable()
const dir = tempDir('kaos-dry-files-')
after(() => rmSync(dir, {recursive: true, force: true}))

const yamlObjects = (text: string) => parseAllDocuments(text).map((d) => d.toJS())
const ok = (r: {code: number; stdout: string; stderr: string}) => assert.equal(r.code, 0, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
const CALC = 'apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: calc}\nspec: {runtime: rawpython, params: "code: pass"}\n'

/** A kubeconfig whose current context has a namespace; the server is never contacted. */
function kubeconfig(namespace: string): string {
  const path = join(dir, `kubeconfig-${namespace}`)
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: u, user: {token: t}}]',
      `contexts: [{name: team, context: {cluster: c, user: u, namespace: ${namespace}}}, {name: plain, context: {cluster: c, user: u}}]`,
      'current-context: team',
      '',
    ].join('\n'),
  )
  return path
}

describeConcurrent('a client dry run renders exactly what a deploy applies', skip, 6, (it) => {
  it("uses the kubeconfig context's namespace, as a deploy does", async () => {
    const env = {KUBECONFIG: kubeconfig('team-a')}
    const r = await runCli(['mcp', 'deploy', '-f', 'examples/mcpserver-rawpython.yaml', '--dry-run', '-o', 'json'], {env})
    ok(r)
    const items = JSON.parse(r.stdout).items
    assert.deepEqual(items.map((o: any) => o.metadata.namespace), ['team-a', 'team-a'])
    assert.match(items[0].metadata.annotations['kaos.tools/endpoint'], /\.team-a\.svc\.cluster\.local:/)
    // -n wins; a context without a namespace means default; an unknown --context fails as a deploy would.
    const n = await runCli(['mcp', 'deploy', '-f', 'examples/mcpserver-rawpython.yaml', '--dry-run', '-o', 'json', '-n', 'other'], {env})
    assert.deepEqual(JSON.parse(n.stdout).items.map((o: any) => o.metadata.namespace), ['other', 'other'])
    const plain = await runCli(['mcp', 'deploy', '-f', 'examples/mcpserver-rawpython.yaml', '--dry-run', '-o', 'json', '--context', 'plain'], {env})
    assert.deepEqual(JSON.parse(plain.stdout).items.map((o: any) => o.metadata.namespace), ['default', 'default'])
    const bad = await runCli(['mcp', 'deploy', '-f', 'examples/mcpserver-rawpython.yaml', '--dry-run', '--context', 'nope'], {env})
    assert.equal(bad.code, 2, bad.stderr)
    assert.match(bad.error ?? '', /context "nope" is not in the kubeconfig/)
  })

  it('without any kubeconfig, the namespace is default', async () => {
    const r = await runCli(['mcp', 'deploy', '-f', 'examples/mcpserver-rawpython.yaml', '--dry-run', '-o', 'json'])
    ok(r)
    assert.deepEqual(JSON.parse(r.stdout).items.map((o: any) => o.metadata.namespace), ['default', 'default'])
  })

  it('a runtime with a generated bearer token (slack): no Secret, no placeholder, and how to create it', async () => {
    const out = join(dir, 'slack-out')
    const r = await runCli(['mcp', 'deploy', '-f', 'examples/mcpserver-slack.yaml', '--output-dir', out], {env: {KUBECONFIG: kubeconfig('chat')}})
    ok(r)
    assert.deepEqual(readdirSync(out).sort(), ['deployment-mcpserver-slack.yaml', 'kustomization.yaml', 'service-mcpserver-slack.yaml'])
    const all = readdirSync(out).map((f) => readFileSync(join(out, f), 'utf8')).join('\n')
    assert.doesNotMatch(all, /generated at deploy|<.*>/)
    const dep = yamlObjects(readFileSync(join(out, 'deployment-mcpserver-slack.yaml'), 'utf8'))[0]
    const env = dep.spec.template.spec.containers[0].env
    assert.deepEqual(env.find((e: any) => e.name === 'AUTH_TOKEN').valueFrom, {secretKeyRef: {name: 'mcpserver-slack-auth', key: 'token'}})
    assert.match(r.stderr, /Warning: MCPServer "slack": no Secret mcpserver-slack-auth rendered .*kubectl create secret generic mcpserver-slack-auth -n chat --from-literal=token=/)
  })

  it('literal key-like litellmParams go to the Secret, never the ConfigMap or the source annotation', async () => {
    const file = join(dir, 'llm.yaml')
    writeFileSync(
      file,
      [
        'apiVersion: kaos.tools/v1alpha1',
        'kind: ModelAPI',
        'metadata: {name: llm}',
        'spec:',
        '  mode: Proxy',
        '  proxyConfig:',
        '    models: [gpt-4o]',
        '    provider: openai',
        '    apiKey: {value: sk-literal-main}',
        '    litellmParams:',
        '      api_key: sk-literal-param',
        '      aws_secret_access_key: aws-literal',
        '      vertex_token: {valueFrom: {secretKeyRef: {name: vertex, key: token}}}',
        '      max_tokens: 100',
        '      timeout: 30',
        '',
      ].join('\n'),
    )
    const out = join(dir, 'llm-out')
    const r = await runCli(['modelapi', 'deploy', '-f', file, '--output-dir', out])
    ok(r)
    const read = (f: string) => yamlObjects(readFileSync(join(out, f), 'utf8'))[0]
    const cm = read('configmap-modelapi-llm-config.yaml')
    const config = cm.data['config.yaml'] as string
    assert.doesNotMatch(config, /literal/)
    assert.match(config, /api_key: os\.environ\/LITELLM_PARAM_API_KEY/)
    assert.match(config, /aws_secret_access_key: os\.environ\/LITELLM_PARAM_AWS_SECRET_ACCESS_KEY/)
    assert.match(config, /vertex_token: os\.environ\/LITELLM_PARAM_VERTEX_TOKEN/)
    assert.match(config, /max_tokens: 100/)
    const secret = read('secret-modelapi-llm-api-key.yaml')
    assert.deepEqual(secret.stringData, {'api-key': 'sk-literal-main', 'litellm-api_key': 'sk-literal-param', 'litellm-aws_secret_access_key': 'aws-literal'})
    const dep = read('deployment-modelapi-llm.yaml')
    assert.doesNotMatch(JSON.stringify(dep), /literal/)
    const env = Object.fromEntries(dep.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.valueFrom.secretKeyRef]))
    assert.deepEqual(env.LITELLM_PARAM_API_KEY, {name: 'modelapi-llm-api-key', key: 'litellm-api_key'})
    assert.deepEqual(env.LITELLM_PARAM_VERTEX_TOKEN, {name: 'vertex', key: 'token'})
    for (const f of readdirSync(out).filter((n) => n !== 'kustomization.yaml')) validateK8sObject(read(f))
    // Secrets on disk are private; everything else is not.
    assert.equal(statSync(join(out, 'secret-modelapi-llm-api-key.yaml')).mode & 0o777, 0o600)
    assert.notEqual(statSync(join(out, 'configmap-modelapi-llm-config.yaml')).mode & 0o777, 0o600)
  })

  it('--create-yaml of a document with a literal key is mode 0600', async () => {
    const saved = join(dir, 'llm-saved.yaml')
    const r = await runCli(['modelapi', 'deploy', 'llm', '--mode', 'Proxy', '--model', 'gpt-4o', '--dry-run', '--create-yaml', saved])
    ok(r)
    assert.notEqual(statSync(saved).mode & 0o777, 0o600, 'no secret, ordinary mode')
    const file = join(dir, 'keyed.yaml')
    writeFileSync(file, 'apiVersion: kaos.tools/v1alpha1\nkind: ModelAPI\nmetadata: {name: llm}\nspec: {mode: Proxy, proxyConfig: {models: [m], apiKey: {value: sk-x}}}\n')
    const keyed = join(dir, 'keyed-saved.yaml')
    ok(await runCli(['modelapi', 'deploy', '-f', file, '--dry-run', '--create-yaml', keyed]))
    assert.match(readFileSync(keyed, 'utf8'), /sk-x/)
    assert.equal(statSync(keyed).mode & 0o777, 0o600)
  })

  it('--force lets --output-dir and --create-yaml overwrite', async () => {
    const work = tempDir('kaos-force-')
    try {
      const out = join(work, 'out')
      mkdirSync(out)
      writeFileSync(join(out, 'kustomization.yaml'), 'old')
      writeFileSync(join(work, 'calc.yaml'), 'old')
      const args = ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', 'x', '--output-dir', out, '--create-yaml', join(work, 'calc.yaml')]
      const refused = await runCli(args)
      assert.equal(refused.code, 2)
      assert.equal(readFileSync(join(work, 'calc.yaml'), 'utf8'), 'old')
      ok(await runCli([...args, '--force']))
      assert.match(readFileSync(join(out, 'kustomization.yaml'), 'utf8'), /deployment-mcpserver-calc\.yaml/)
      assert.match(readFileSync(join(work, 'calc.yaml'), 'utf8'), /kind: MCPServer/)
    } finally {
      rmSync(work, {recursive: true, force: true})
    }
  })

  it('-f FOLDER reads its .yaml/.yml/.json files in name order; -R adds subfolders', async () => {
    const docs = join(dir, 'docs')
    mkdirSync(join(docs, 'sub'), {recursive: true})
    writeFileSync(join(docs, 'b.yaml'), CALC.replace('calc', 'b'))
    writeFileSync(join(docs, 'a.yml'), CALC.replace('calc', 'a'))
    writeFileSync(join(docs, 'c.json'), JSON.stringify({apiVersion: 'kaos.tools/v1alpha1', kind: 'MCPServer', metadata: {name: 'c'}, spec: {runtime: 'rawpython', params: 'x'}}))
    writeFileSync(join(docs, 'notes.txt'), 'ignored')
    writeFileSync(join(docs, 'sub', 'd.yaml'), CALC.replace('calc', 'd'))
    const flat = await runCli(['mcp', 'deploy', '-f', docs, '--dry-run', '--json'])
    ok(flat)
    assert.deepEqual(JSON.parse(flat.stdout).documents.map((d: any) => d.metadata.name), ['a', 'b', 'c'])
    const deep = await runCli(['mcp', 'deploy', '-R', '-f', docs, '--dry-run', '--json'])
    ok(deep)
    assert.deepEqual(JSON.parse(deep.stdout).documents.map((d: any) => d.metadata.name), ['a', 'b', 'c', 'd'])
  })

  it('mcp build --create-dockerfile writes the Dockerfile and stops (no engine contacted)', async () => {
    const work = tempDir('kaos-dockerfile-')
    try {
      writeFileSync(join(work, 'pyproject.toml'), '[project]\nname = "calc"\nversion = "0.1.0"\n')
      writeFileSync(join(work, 'server.py'), 'from mcp.server.fastmcp import FastMCP\nmcp = FastMCP("calc")\n')
      const r = await runCli(['mcp', 'build', '--path', work, '--create-dockerfile', '--base-image', 'python:3.13-slim-bookworm'], {env: {DOCKER_HOST: 'unix:///nonexistent/docker.sock'}})
      ok(r)
      assert.match(r.stderr, /wrote .*Dockerfile; edit it if you like, then build with: kaos mcp build/)
      assert.match(readFileSync(join(work, 'Dockerfile'), 'utf8'), /^FROM python:3\.13-slim-bookworm/m)
      assert.equal(existsSync(join(work, '.kaos')), false, 'no build was recorded')
      const again = await runCli(['mcp', 'build', '--path', work, '--create-dockerfile'])
      assert.equal(again.code, 2)
      assert.match(again.error ?? '', /^refusing to overwrite .*Dockerfile with --create-dockerfile$/)
    } finally {
      rmSync(work, {recursive: true, force: true})
    }
  })
})
