// kaos samples without a cluster, through the built binary: list, show (the file as shipped, and
// applying what it prints gives what samples deploy renders), --dry-run of every sample, and the
// refusals (exit 2, nothing printed on stdout).
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {parseAllDocuments} from 'yaml'

import {ROOT, cliUnavailable, runCli} from '../helpers/cli.js'
import {describeConcurrent} from '../helpers/mocha.js'

const skip = cliUnavailable()
const SAMPLES = ['calculator', 'kubernetes', 'mock-agent', 'agent-network', 'slack']
const ok = (r: {code: number; stdout: string; stderr: string}) => assert.equal(r.code, 0, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
const objects = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS())

describeConcurrent('kaos samples (offline)', skip, 6, (it) => {
  it('list: a table, and --json with each sample\'s documents and what deploy adds', async () => {
    const r = await runCli(['samples', 'list'])
    ok(r)
    assert.match(r.stdout, /^NAME\s+DOCUMENTS\s+DESCRIPTION$/m)
    for (const s of SAMPLES) assert.match(r.stdout, new RegExp(`^${s}\\s`, 'm'))
    const j = JSON.parse((await runCli(['samples', 'list', '--json'])).stdout)
    assert.deepEqual(
      j.items.map((i: any) => i.name),
      SAMPLES,
    )
    assert.deepEqual(j.items.find((i: any) => i.name === 'agent-network').documents.map((d: any) => d.kind).sort(), ['Agent', 'Agent', 'MCPServer', 'ModelAPI'])
    assert.match(j.items.find((i: any) => i.name === 'slack').adds[0], /^Secret slack \(bot-token, team-id\)/)
    assert.match(j.items.find((i: any) => i.name === 'kubernetes').adds[0], /read-only Role and RoleBinding for mcpserver-k8s/)
  })

  for (const s of SAMPLES)
    it(`${s}: show prints the shipped file; kaos apply of it renders what samples deploy renders`, async () => {
      const shown = await runCli(['samples', 'show', s])
      ok(shown)
      assert.equal(shown.stdout, readFileSync(join(ROOT, 'samples', `${s}.yaml`), 'utf8'))
      const viaSamples = await runCli(['samples', 'deploy', s, '--dry-run', '-n', 'demo'])
      ok(viaSamples)
      const viaApply = await runCli(['apply', '-f', '-', '--dry-run', '-n', 'demo'], {input: shown.stdout})
      ok(viaApply)
      assert.deepEqual(objects(viaSamples.stdout), objects(viaApply.stdout))
      assert.ok(objects(viaSamples.stdout).every((o) => o.kind === 'Namespace' || o.metadata.namespace === 'demo'))
    })

  it('deploy --dry-run with overrides, and the slack Secret from the environment', async () => {
    const r = await runCli(['samples', 'deploy', 'mock-agent', '--dry-run', '--model', 'gpt-4o', '--provider', 'openai', '--api-secret', 'openai:api-key', '-o', 'json'])
    ok(r)
    const items = JSON.parse(r.stdout).items
    const cm = items.find((o: any) => o.kind === 'ConfigMap')
    assert.match(cm.data['config.yaml'], /model: openai\/gpt-4o\n\s+api_key: os\.environ\/MODEL_API_KEY/)
    assert.doesNotMatch(cm.data['config.yaml'], /mock_response/)
    const env = {SLACK_BOT_TOKEN: 'xoxb-from-env', SLACK_TEAM_ID: 'T42'}
    const slack = await runCli(['samples', 'deploy', 'slack', '--dry-run', '-o', 'json'], {env})
    ok(slack)
    const secret = JSON.parse(slack.stdout).items.find((o: any) => o.kind === 'Secret' && o.metadata.name === 'slack')
    assert.equal(Buffer.from(secret.data['bot-token'], 'base64').toString(), 'xoxb-from-env')
    assert.equal(secret.metadata.labels['kaos.tools/sample'], 'slack')
  })

  it('the kubernetes sample says what a client dry run cannot show (its RBAC needs the cluster\'s discovery)', async () => {
    const r = await runCli(['samples', 'deploy', 'kubernetes', '--dry-run'])
    ok(r)
    assert.match(r.stderr, /not shown: the read-only Role and RoleBinding for mcpserver-k8s/)
  })

  it('bad input: unknown sample (did-you-mean), bad --set, unknown Secret key, model flags on a sample without a model: exit 2, nothing on stdout', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['samples', 'deploy', 'calculater'], /^unknown sample "calculater"\. Did you mean "calculator"\?/],
      [['samples', 'show', 'slak'], /^unknown sample "slak"\. Did you mean "slack"\?/],
      [['samples', 'delete', 'nope'], /^unknown sample "nope"\./],
      [['samples', 'deploy', 'calculator', '--set', 'calculator.spec.contaner.image=x', '--dry-run'], /has no spec\.contaner \(spec has runtime, params\)$/],
      [['samples', 'deploy', 'slack', '--from-literal', 'token=x', '--dry-run'], /has no key "token"/],
      [['samples', 'deploy', 'calculator', '--model', 'x', '--dry-run'], /^--model: sample "calculator" has no ModelAPI or Agent/],
    ]
    for (const [args, re] of cases) {
      const r = await runCli(args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.error!, re)
      assert.equal(r.stdout, '')
    }
  })
})
