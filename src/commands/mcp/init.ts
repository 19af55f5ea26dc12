import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {join, relative, resolve} from 'node:path'

import {KaosCommand} from '../../cli/base-command.js'
import {TEMPLATES} from '../../lib/image/templates.js'
import {type ProjectType, toResourceName} from '../../lib/image/project.js'
import {MAX_NAME_LENGTH} from '../../lib/kinds.js'
import {invalid} from '../../lib/errors.js'
import {checkTargetDir, checkWrites, writeFiles} from '../../lib/files.js'

/** What `kaos mcp init` returns (and prints with --json). */
export interface McpInitResult {
  name: string
  template: ProjectType
  /** Absolute path of the project folder. */
  dir: string
  /** Files written, relative to dir. */
  files: string[]
  /** The image `kaos mcp build` will produce (no registry prefix). */
  image: string
  /** Commands to run next. */
  next: string[]
}

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

export default class McpInit extends KaosCommand<typeof McpInit> {
  static summary = 'Create an MCP server project (Python FastMCP or TypeScript SDK)'
  static description = `Writes a ready-to-run MCP server project: two example tools served over streamable HTTP at /mcp on port $PORT (default 8000), a /healthz route, a .dockerignore, and optionally a Dockerfile and an mcp.yaml MCPServer document for \`kaos mcp deploy -f\`.

Missing answers (NAME, --template, --create-yaml) are asked interactively only on a terminal; in CI (CI set) or with stdin not a terminal the defaults are used. Existing files are never overwritten without --force.`
  static examples = [
    {description: 'A Python (FastMCP) project in ./calc', command: '<%= config.bin %> <%= command.id %> calc'},
    {description: 'TypeScript, with Dockerfile and mcp.yaml, in a chosen folder', command: '<%= config.bin %> <%= command.id %> calc --template typescript --dir services/calc --create-dockerfile --create-yaml'},
    {description: 'Then build and deploy it', command: 'cd calc && <%= config.bin %> mcp build --kind-load && <%= config.bin %> mcp deploy --wait'},
  ]
  static args = {name: Args.string({description: 'Project and MCPServer name (DNS-1123: lowercase letters, digits, "-")'})}
  static flags = {
    template: Flags.string({char: 't', description: 'Project template', options: TEMPLATES}),
    dir: Flags.string({char: 'd', description: 'Folder to create the project in (default: ./NAME)'}),
    force: Flags.boolean({description: 'Overwrite files that already exist'}),
    'create-dockerfile': Flags.boolean({description: 'Also write the Dockerfile `kaos mcp build` would generate'}),
    'create-yaml': Flags.boolean({description: 'Also write mcp.yaml, an MCPServer document for `kaos mcp deploy -f`', allowNo: true}),
  }

  async run(): Promise<McpInitResult> {
    const {flags, args} = this
    const interactive = Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY) && !process.env.CI && !this.jsonEnabled()
    const prompts = interactive ? await import('@inquirer/prompts') : undefined

    let name = args.name
    if (!name) {
      if (!prompts) throw invalid('NAME is required (there is no terminal to ask on)', ['kaos mcp init my-server'])
      name = await prompts.input({
        message: 'Server name',
        default: toResourceName(flags.dir ? resolve(flags.dir).split('/').pop() : undefined) ?? 'my-mcp-server',
        validate: (v) => (DNS1123.test(v) && v.length <= MAX_NAME_LENGTH) || 'lowercase letters, digits and "-", starting and ending with a letter or digit',
      })
    }
    if (!DNS1123.test(name) || name.length > MAX_NAME_LENGTH)
      throw invalid(`NAME "${name}" must be a DNS-1123 label (lowercase letters, digits, "-"; at most ${MAX_NAME_LENGTH} characters): it becomes Kubernetes names`, [
        `For example: kaos mcp init ${toResourceName(name) ?? 'my-server'}`,
      ])

    const template = (flags.template ??
      (prompts
        ? await prompts.select({
            message: 'Template',
            choices: [
              {name: 'Python (FastMCP, official MCP SDK)', value: 'python'},
              {name: 'TypeScript (official MCP SDK)', value: 'typescript'},
            ],
          })
        : 'python')) as ProjectType
    const createYaml = flags['create-yaml'] ?? (prompts ? await prompts.confirm({message: 'Write mcp.yaml for kaos mcp deploy -f?', default: true}) : false)

    const dir = resolve(flags.dir ?? name)
    const what = flags.dir ? '--dir' : 'the project folder'
    checkTargetDir(flags.dir ?? name, what)
    const {planInit} = await import('../../lib/image/init.js')
    const plan = planInit({name, template, createDockerfile: flags['create-dockerfile'], createYaml})
    // Every file is checked before any is written: no overwrite without --force, never through a
    // symlink (it could lead out of the project), never into a FIFO or device.
    const files = plan.files.map((f) => ({path: join(dir, f.path), content: f.content}))
    try {
      checkWrites(files, {force: flags.force, root: dir, what})
    } catch (error) {
      const msg = (error as Error).message
      if (msg.startsWith('refusing to overwrite'))
        throw invalid(`${msg.replace(` in ${dir}`, ` in ${relative(process.cwd(), dir) || '.'}`)}`, ['Pass --force to overwrite them, or choose another folder with --dir.'])
      throw error
    }
    writeFiles(files, {force: flags.force, root: dir, what})
    const cd = relative(process.cwd(), dir)
    const next = [
      ...(cd ? [`cd ${cd.includes(' ') ? JSON.stringify(cd) : cd}`] : []),
      'kaos mcp build --kind-load      # or: --image-registry HOST --push',
      createYaml ? 'kaos mcp deploy -f mcp.yaml --wait' : 'kaos mcp deploy --wait',
    ]
    const result: McpInitResult = {name, template, dir, files: plan.files.map((f) => f.path), image: plan.image, next}
    if (!this.jsonEnabled()) {
      this.log(`created ${template} MCP server "${name}" in ${cd || '.'} (${result.files.join(', ')})`)
      this.log(`next:\n${next.map((n) => `  ${n}`).join('\n')}`)
    }
    return result
  }
}
