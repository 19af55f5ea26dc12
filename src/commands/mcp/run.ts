import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../cli/base-command.js'
import {withHeld} from '../../cli/interrupt.js'
import {invalid} from '../../lib/errors.js'

export default class McpRun extends KaosCommand<typeof McpRun> {
  static summary = 'Serve an MCP server project (or the rawpython runtime) on this machine, no cluster needed'
  static description = `Serves a project made by \`kaos mcp init\` over streamable HTTP on http://127.0.0.1:PORT/mcp and prints that URL (for \`kaos mcp invoke --url\` and \`kaos mcp inspect --url\`):

  Python (pyproject.toml or requirements.txt): the FastMCP object of server.py, main.py or app.py (--fastmcp-path module:object), with the project's .venv (or venv) Python, else python3, else --python.
  TypeScript (package.json): \`npm run build\` when there is a build script, then \`node <main>\` (run \`npm install\` first).

--runtime rawpython --params-file tools.py runs kaos's rawpython runtime from the source kaos ships (no container engine needed), with a Python that has its pinned requirements: --python, else a virtualenv kaos makes once in ~/.cache/kaos (a pip download).

--reload restarts the server when a project file changes (the params file, for a runtime): changes are debounced, and the server, its build and every process they started are stopped as a process group before the next start. Ctrl-C stops them all the same way. On loopback the server answers only Host names of this machine (DNS-rebinding protection stays on).

Exit codes: 2 not an MCP project (what was looked for is named), missing dependencies or a busy port; 5 the server exited (without --reload).`
  static examples = [
    {description: 'The project in this folder, restarted on every change', command: '<%= config.bin %> <%= command.id %> --reload'},
    {description: 'Another folder, on another port', command: '<%= config.bin %> <%= command.id %> ./weather --port 8100'},
    {description: 'Python functions as tools, without a project', command: '<%= config.bin %> <%= command.id %> --runtime rawpython --params-file tools.py --reload'},
    {description: 'Then, in another terminal', command: '<%= config.bin %> mcp invoke --url http://127.0.0.1:8000/mcp --tool add --arg a=1 --arg b=2'},
  ]
  static args = {dir: Args.string({description: 'Project folder (default: the working directory)'})}
  static flags = {
    reload: Flags.boolean({description: 'Restart the server when a project file changes'}),
    port: Flags.integer({char: 'p', description: 'Port to serve on (0: a free one)', default: 8000, min: 0, max: 65535}),
    host: Flags.string({description: 'Address to listen on', default: '127.0.0.1'}),
    runtime: Flags.string({char: 'r', description: 'Run a registry runtime instead of a project (rawpython)'}),
    params: Flags.string({description: "The runtime's params (rawpython: Python code)"}),
    'params-file': Flags.string({description: "Read the runtime's params from this file (watched with --reload)"}),
    python: Flags.string({description: 'The Python to run a Python project or rawpython with'}),
    'fastmcp-path': Flags.string({description: 'module:object of the FastMCP server (default: server.py, main.py or app.py, object mcp)'}),
  }

  /**
   * What kaos says about the server goes to stderr, --json or not: the server's own output is
   * there too, and --json's stdout carries only the ready events.
   */
  private say(message: string): void {
    process.stderr.write(`${message}\n`)
  }

  async run(): Promise<never> {
    const {flags, args} = this
    const [plan, supervisor, {serve}] = await Promise.all([import('../../lib/run/plan.js'), import('../../lib/run/supervisor.js'), import('../../lib/run/serve.js')])
    if (flags.runtime && args.dir) throw invalid('give a project folder or --runtime, not both')
    if (!flags.runtime && (flags.params !== undefined || flags['params-file'])) throw invalid('--params and --params-file go with --runtime', ['e.g. kaos mcp run --runtime rawpython --params-file tools.py'])
    const port = flags.port === 0 ? await supervisor.freePort(flags.host) : flags.port
    // What the user typed is checked before the machine: a wrong folder is named as such even
    // while the port is busy (and the probe, which binds the port, runs only for a valid input).
    const portFree = async () => {
      if (!(await supervisor.portFree(flags.host, port))) throw invalid(`port ${port} on ${flags.host} is in use`, ['Pass another with --port (or --port 0 for a free one).'])
    }
    const opts = {host: flags.host, port, python: flags.python, fastmcpPath: flags['fastmcp-path']}
    let p: import('../../lib/run/plan.js').RunPlan
    if (flags.runtime) {
      const registry = await this.registry()
      const rt = registry.runtimes.get(flags.runtime)
      if (!rt) {
        const {didYouMeanText} = await import('../../lib/suggest.js')
        throw invalid(`unknown runtime "${flags.runtime}".${didYouMeanText(flags.runtime, registry.runtimes.keys())}`, ['List them with `kaos system runtimes`.'])
      }
      plan.checkRuntimeInput(rt, {params: flags.params, paramsFile: flags['params-file']})
      await portFree()
      const {rawpythonPython} = await import('../../lib/run/python-env.js')
      const python = rt.name === 'rawpython' || rt.kaosImage === 'rawpython' ? await rawpythonPython({given: flags.python, note: (m) => this.say(`kaos: ${m}`)}) : ''
      p = plan.planRuntime(rt, {params: flags.params, paramsFile: flags['params-file']}, {...opts, python})
    } else {
      p = plan.planProject(args.dir ?? '.', opts)
      await portFree()
    }
    this.say(`kaos: serving ${p.label} at ${p.url}`)
    return withHeld(
      async (hold) => {
        const handle = serve(p, {host: flags.host, port, reload: flags.reload}, {
          note: (m) => this.say(`kaos: ${m}`),
          ready: ({url, pid, starts}) => {
            if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({event: 'ready', url, pid, starts})}\n`)
            else if (starts === 1) {
              this.log(url)
              this.say(`kaos: try it: kaos mcp invoke --url ${url} (Ctrl-C to stop)`)
            } else this.say(`kaos: serving again at ${url}`)
          },
        })
        hold({interrupt: () => handle.stop(), closeNow: () => handle.killNow(), close: () => handle.stop()})
        return handle.done
      },
      // The server gets SIGTERM and up to 5 s to finish before the group is killed.
      {graceMs: 6000},
    )
  }
}
