import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../cli/base-command.js'
import {Progress} from '../cli/progress.js'
import type {DeleteDocumentsOutcome} from '../lib/delete.js'

export default class Delete extends KaosCommand<typeof Delete> {
  static summary = 'Delete the workloads of the documents in files, agents first'
  static description = `Deletes every object kaos made for each MCPServer, Agent and ModelAPI document of -f FILE|FOLDER|-, in reverse dependency order: agents before the model APIs and MCP servers they call. A workload that is not there stops the command before anything is deleted (exit 8), unless --ignore-not-found. --wait waits until each layer's Deployments and pods are gone before deleting the next.

Namespace documents in the input are left alone: deleting a namespace deletes everything in it, kaos's or not. Delete one with kubectl delete namespace NAME.`
  static examples = [
    {description: 'Remove what kaos apply -f applied', command: '<%= config.bin %> <%= command.id %> -f team.yaml --wait'},
    {description: 'Idempotent, for CI clean-up', command: '<%= config.bin %> <%= command.id %> -f deploy/ -R --ignore-not-found'},
  ]
  static flags = {
    file: Flags.string({char: 'f', description: 'YAML file with kaos documents, `-` for stdin, or a folder of .yaml/.yml/.json files (repeatable)', multiple: true, required: true}),
    recursive: Flags.boolean({char: 'R', description: 'With -f FOLDER, also read its subfolders'}),
    wait: Flags.boolean({description: 'Wait until the Deployments and their pods are gone'}),
    timeout: Flags.string({description: 'How long the whole delete may take, --wait included', default: '2m'}),
    'ignore-not-found': Flags.boolean({description: 'Succeed when a workload does not exist'}),
  }

  protected normalizeArgv(argv: string[]): string[] {
    // `-f -` means stdin, not a NAME.
    return argv.flatMap((a, i) => (a === '-' && (argv[i - 1] === '-f' || argv[i - 1] === '--file') ? [] : (a === '-f' || a === '--file') && argv[i + 1] === '-' ? ['--file=-'] : [a]))
  }

  async run(): Promise<DeleteDocumentsOutcome> {
    const {flags} = this
    const [{readManifestFiles}, {deleteDocuments}] = await Promise.all([import('../lib/inputs.js'), import('../lib/delete.js')])
    const {docs, namespaces, rbac, warnings} = readManifestFiles(flags.file, {recursive: flags.recursive})
    this.warnAll(warnings)
    const outcome = await new Progress(this.jsonEnabled()).during((progress) =>
      deleteDocuments(docs, namespaces, {
        ...this.connectOptions(),
        wait: flags.wait,
        timeout: flags.timeout,
        ignoreNotFound: flags['ignore-not-found'],
        rbac,
        onProgress: progress,
      }),
    )
    if (!this.jsonEnabled()) {
      for (const o of outcome.deleted) this.log(`${o.kind.toLowerCase()}/${o.name} deleted`)
      for (const w of outcome.notFound) this.log(`${w.kind} ${w.name} was not there`)
      for (const ns of outcome.keptNamespaces) this.note(`namespace/${ns} kept (kaos never deletes namespaces; kubectl delete namespace ${ns})`)
    }
    return outcome
  }
}
