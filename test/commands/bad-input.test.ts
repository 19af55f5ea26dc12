// Invalid input at the CLI level: each case must exit 2 with one clear line on stderr, print no
// YAML on stdout and write nothing (no --output-dir directory, no --create-yaml file).
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {cliUnavailable, runCli, tempDir} from '../helpers/cli.js'
import {describeConcurrent, describeOrSkip} from '../helpers/mocha.js'

const skip = cliUnavailable()
const dir = tempDir('kaos-bad-input-')
after(() => rmSync(dir, {recursive: true, force: true}))

const MCP = (name: string, spec: string, extra = '') => `apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata:\n  name: ${name}\n${extra}spec:\n${spec}`

/** Files the cases read, written once. */
const files: Record<string, string> = {
  'unknown-spec-field.yaml': MCP('calc', '  runtime: rawpython\n  replica: 2\n'),
  'unknown-container-field.yaml': MCP('calc', '  runtime: rawpython\n  container:\n    imagePullPolice: Always\n'),
  'unknown-top-field.yaml': MCP('calc', '  runtime: rawpython\n') + 'status:\n  ready: true\n',
  'wrong-api-version.yaml': MCP('calc', '  runtime: rawpython\n').replace('kaos.tools/v1alpha1', 'kaos.tools/v1'),
  'unknown-kind.yaml': MCP('calc', '  runtime: rawpython\n').replace('kind: MCPServer', 'kind: McpServer'),
  'unknown-runtime.yaml': MCP('calc', '  runtime: rawpyton\n'),
  'custom-no-image.yaml': MCP('mine', '  runtime: custom\n'),
  'slack-no-env.yaml': MCP('slack', '  runtime: slack\n  container:\n    env:\n      - {name: SLACK_BOT_TOKEN, value: x}\n'),
  'kubernetes-params.yaml': MCP('k8s', '  runtime: kubernetes\n  params: "--read-only"\n'),
  'invalid.yaml': 'apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata:\n  name: "calc\nspec:\n  runtime: rawpython\n',
  'empty.yaml': '# nothing here\n',
  'agent.yaml': 'apiVersion: kaos.tools/v1alpha1\nkind: Agent\nmetadata:\n  name: bot\nspec:\n  modelAPI: llm\n  model: gpt-4o\n',
  'proxy-no-config.yaml': 'apiVersion: kaos.tools/v1alpha1\nkind: ModelAPI\nmetadata:\n  name: llm\nspec:\n  mode: Proxy\n',
  'duplicates.yaml': `${MCP('a', '  runtime: rawpython\n  params: y\n')}---\n${MCP('a', '  runtime: rawpython\n  params: x\n')}`,
  'other-namespace.yaml': MCP('calc', '  runtime: rawpython\n', '  namespace: other\n'),
  'ok.yaml': MCP('calc', '  runtime: rawpython\n  params: "code: pass"\n'),
  'registry-unknown-field.yaml': 'runtimes:\n  rawpython:\n    type: python\n    imagee: team/rawpython:2\n',
  'registry-wrong-type.yaml': 'runtimes:\n  fast:\n    type: python\n    image: team/fast:1\n    port: eighty\n',
  'registry-no-image.yaml': 'runtimes:\n  fast:\n    type: python\n    description: forgot the image\n',
  'bad-name.yaml': MCP('Calc_Server', '  runtime: rawpython\n'),
}
mkdirSync(dir, {recursive: true})
for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
const f = (name: string) => join(dir, name)

interface Case {
  name: string
  args: string[]
  message: RegExp
  /** Add --output-dir and --create-yaml and check neither is written (default true for deploys). */
  outputs?: boolean
  input?: string
}

const cases: Case[] = [
  {name: 'non-DNS-1123 name (flags)', args: ['mcp', 'deploy', 'Bad_Name', '--runtime', 'rawpython'], message: /^NAME "Bad_Name": MCPServer: metadata\.name "Bad_Name" must be a DNS-1123 label/},
  {name: 'non-DNS-1123 name (file)', args: ['mcp', 'deploy', '-f', f('bad-name.yaml')], message: /bad-name\.yaml: MCPServer: metadata\.name "Calc_Server" must be a DNS-1123 label/},
  {name: 'too-long name', args: ['mcp', 'deploy', 'a'.repeat(54), '--runtime', 'rawpython'], message: /metadata\.name "a{54}" must be at most 53 characters/},
  {name: 'unknown field in spec', args: ['mcp', 'deploy', '-f', f('unknown-spec-field.yaml')], message: /unknown-spec-field\.yaml: MCPServer "calc": unknown field spec\.replica; did you mean replicas\?$/},
  {name: 'unknown field nested in container', args: ['mcp', 'deploy', '-f', f('unknown-container-field.yaml')], message: /MCPServer "calc": unknown field spec\.container\.imagePullPolice; did you mean imagePullPolicy\?$/},
  {name: 'unknown top-level field', args: ['mcp', 'deploy', '-f', f('unknown-top-field.yaml')], message: /unknown-top-field\.yaml: unknown field status$/},
  {name: 'wrong apiVersion', args: ['mcp', 'deploy', '-f', f('wrong-api-version.yaml')], message: /apiVersion must be "kaos\.tools\/v1alpha1" \(got "kaos\.tools\/v1"\)/},
  {name: 'unknown kind, did you mean', args: ['mcp', 'deploy', '-f', f('unknown-kind.yaml')], message: /unknown kind "McpServer"; expected one of MCPServer, Agent, ModelAPI\. Did you mean "MCPServer"\?/},
  {name: 'unknown runtime, did you mean (file)', args: ['mcp', 'deploy', '-f', f('unknown-runtime.yaml')], message: /MCPServer "calc": spec\.runtime "rawpyton" is an unknown runtime\. Did you mean "rawpython"\? Known runtimes: rawpython, kubernetes, slack, custom/},
  {name: 'unknown runtime, did you mean (flags)', args: ['mcp', 'deploy', 'calc', '--runtime', 'slak'], message: /spec\.runtime "slak" is an unknown runtime\. Did you mean "slack"\?/},
  {name: 'custom without container.image', args: ['mcp', 'deploy', '-f', f('custom-no-image.yaml')], message: /MCPServer "mine": runtime "custom" needs spec\.container\.image/},
  {name: 'slack without SLACK_TEAM_ID', args: ['mcp', 'deploy', '-f', f('slack-no-env.yaml')], message: /MCPServer "slack": runtime "slack" requires env SLACK_TEAM_ID /},
  {name: 'slack without any env (flags)', args: ['mcp', 'deploy', 'slack', '--runtime', 'slack'], message: /runtime "slack" requires env SLACK_BOT_TOKEN, SLACK_TEAM_ID/},
  {name: 'params given to kubernetes', args: ['mcp', 'deploy', '-f', f('kubernetes-params.yaml')], message: /MCPServer "k8s": runtime "kubernetes" takes no params \(it declares no paramsEnvVar\)/},
  {name: 'bad --env syntax', args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--env', 'FOO'], message: /^--env "FOO" is not KEY=VALUE$/},
  {name: 'bad --secret-env', args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--secret-env', 'TOKEN=nokey'], message: /^--secret-env TOKEN=nokey: expected SECRET\/KEY/},
  {name: 'invalid YAML, with the line', args: ['mcp', 'deploy', '-f', f('invalid.yaml')], message: /invalid\.yaml: invalid YAML at line \d+, column \d+: Missing closing "quote/},
  {name: 'missing -f file', args: ['mcp', 'deploy', '-f', f('nope.yaml')], message: /^-f .*nope\.yaml does not exist$/},
  {name: 'empty file', args: ['mcp', 'deploy', '-f', f('empty.yaml')], message: /empty\.yaml: no documents found$/},
  {name: 'empty stdin', args: ['mcp', 'deploy', '-f', '-'], message: /^<stdin>: no documents found$/, input: ''},
  {name: 'NAME and -f together', args: ['mcp', 'deploy', 'calc', '-f', f('ok.yaml')], message: /^give either NAME with flags or -f FILE, not both$/},
  {name: 'document flags next to -f', args: ['mcp', 'deploy', '-f', f('ok.yaml'), '--image', 'x:1'], message: /^--image cannot be combined with -f: the document is the whole specification$/},
  {name: 'neither NAME nor -f', args: ['mcp', 'deploy'], message: /^a NAME or -f FILE is required$/},
  {name: '--runtime missing with NAME', args: ['mcp', 'deploy', 'calc'], message: /^--runtime is required when no -f file is given$/},
  {name: 'Agent document given to kaos mcp deploy', args: ['mcp', 'deploy', '-f', f('agent.yaml')], message: /^Agent "bot" cannot be deployed with `kaos mcp deploy`$/},
  {name: 'MCPServer document given to kaos agent deploy', args: ['agent', 'deploy', '-f', f('ok.yaml')], message: /^MCPServer "calc" cannot be deployed with `kaos agent deploy`$/},
  {name: 'ModelAPI Proxy without proxyConfig', args: ['modelapi', 'deploy', '-f', f('proxy-no-config.yaml')], message: /ModelAPI "llm": mode Proxy needs spec\.proxyConfig\.models$/},
  {name: '--mode Weird', args: ['modelapi', 'deploy', 'llm', '--mode', 'Weird', '--model', 'x'], message: /^--mode must be Proxy or Hosted \(got "Weird"\)$/},
  {name: 'Hosted with two models', args: ['modelapi', 'deploy', 'local', '--mode', 'Hosted', '--model', 'a', '--model', 'b'], message: /^mode Hosted serves one model; give --model once$/},
  {name: 'agent without --model', args: ['agent', 'deploy', 'bot', '--model-api', 'llm'], message: /^--model-api and --model are required/},
  {name: 'duplicate names in one file', args: ['mcp', 'deploy', '-f', f('duplicates.yaml')], message: /^MCPServer "a" appears twice in the input$/},
  {name: 'metadata.namespace vs -n', args: ['mcp', 'deploy', '-f', f('other-namespace.yaml'), '-n', 'kaos-test'], message: /^MCPServer "calc": metadata\.namespace "other" does not match -n kaos-test$/},
  {
    name: 'registry file with an unknown field',
    args: ['mcp', 'deploy', '-f', f('ok.yaml'), '--registry', f('registry-unknown-field.yaml')],
    message: /^registry file:.*registry-unknown-field\.yaml: runtime "rawpython": unknown field imagee; did you mean image\?$/,
  },
  {
    name: 'registry file with a wrong type',
    args: ['system', 'runtimes', '--registry', f('registry-wrong-type.yaml')],
    message: /^registry file:.*registry-wrong-type\.yaml: runtime "fast": port "eighty" must be a number$/,
    outputs: false,
  },
  {
    name: 'registry file without an image',
    args: ['system', 'runtimes', '--registry', f('registry-no-image.yaml')],
    message: /^registry file:.*registry-no-image\.yaml: runtime "fast": image is required/,
    outputs: false,
  },
  {name: '--registry path missing', args: ['system', 'runtimes', '--registry', f('no-registry.yaml')], message: /^--registry .*no-registry\.yaml does not exist$/, outputs: false},
  {name: 'unknown flag', args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--bogus'], message: /^Nonexistent flag: --bogus$/},
  {name: 'bad --dry-run value', args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--dry-run=maybe'], message: /^Expected --dry-run=maybe to be one of: none, client, server$/},
  {name: 'bad -o value', args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--dry-run', '-o', 'xml'], message: /Expected --output=xml to be one of: yaml, json/, outputs: false},
]

describeConcurrent('bad input exits 2 with one line and writes nothing', skip, 8, (it) => {
  it('has at least 20 cases', () => assert.ok(cases.length >= 20))
  for (const c of cases) {
    it(c.name, async () => {
      const work = tempDir('kaos-case-')
      try {
        const outDir = join(work, 'out')
        const saved = join(work, 'saved.yaml')
        const deploy = c.args[1] === 'deploy'
        const outputs = c.outputs ?? deploy
        const args = [...c.args, ...(outputs ? ['--output-dir', outDir, '--create-yaml', saved] : [])]
        const r = await runCli(args, {input: c.input})
        const show = `kaos ${args.join(' ')}\nexit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`
        assert.equal(r.code, 2, show)
        assert.ok(r.error, `no "Error:" line\n${show}`)
        assert.match(r.error!, c.message, show)
        assert.equal(r.stdout, '', `stdout must stay empty\n${show}`)
        const errorLines = r.stderr.split('\n').filter((l) => /Error:/.test(l))
        assert.equal(errorLines.length, 1, `one error line\n${show}`)
        assert.doesNotMatch(r.stderr, /\n\s+at .*\.js:\d+/, `no stack trace\n${show}`)
        if (outputs) {
          assert.equal(existsSync(outDir), false, `--output-dir was created\n${show}`)
          assert.equal(existsSync(saved), false, `--create-yaml was written\n${show}`)
        }
      } finally {
        rmSync(work, {recursive: true, force: true})
      }
    })
  }
})

describeConcurrent('--json errors', skip, 4, (it) => {
  const jsonCases = [
    {args: ['mcp', 'deploy', '-f', f('unknown-runtime.yaml'), '--dry-run'], message: /spec\.runtime "rawpyton" is an unknown runtime/},
    {args: ['mcp', 'deploy', 'Bad_Name', '--runtime', 'rawpython', '--dry-run'], message: /DNS-1123/},
    {args: ['modelapi', 'deploy', 'llm', '--mode', 'Weird', '--model', 'x'], message: /^--mode must be Proxy or Hosted/},
    {args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--bogus'], message: /^Nonexistent flag: --bogus$/},
    {args: ['system', 'runtimes', '--registry', f('registry-no-image.yaml')], message: /runtime "fast": image is required/},
  ]
  for (const c of jsonCases) {
    it(`kaos ${c.args.slice(0, 3).join(' ')} … --json`, async () => {
      const r = await runCli([...c.args, '--json'])
      const show = `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`
      assert.equal(r.code, 2, show)
      const out = JSON.parse(r.stdout)
      assert.deepEqual(Object.keys(out), ['error'], show)
      assert.equal(out.error.code, 'INVALID_INPUT')
      assert.equal(out.error.exit, 2)
      assert.equal(typeof out.error.message, 'string')
      assert.match(out.error.message, c.message)
      assert.ok(!out.error.message.includes('\n'), 'one-line message')
      if ('suggestions' in out.error) assert.ok(Array.isArray(out.error.suggestions))
      assert.doesNotMatch(r.stderr, /Error:/, `the error is reported once, as JSON\n${show}`)
    })
  }
})

describeOrSkip('deploy without --dry-run writes nothing on bad input', skip, () => {
  it('without --dry-run, --create-yaml is not written when the deploy fails', async () => {
    const work = tempDir('kaos-case-')
    try {
      const saved = join(work, 'saved.yaml')
      const r = await runCli(['mcp', 'deploy', 'mine', '--runtime', 'custom', '--create-yaml', saved])
      assert.notEqual(r.code, 0, r.stderr)
      assert.equal(existsSync(saved), false)
    } finally {
      rmSync(work, {recursive: true, force: true})
    }
  })
  it('oclif parse errors keep their detail on one line (--replicas -1)', async () => {
    const r = await runCli(['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--replicas', '-1', '--json'])
    assert.equal(r.code, 2)
    assert.match(JSON.parse(r.stdout).error.message, /greater than or equal to 0/)
  })
})
