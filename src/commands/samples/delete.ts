import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {KaosCommand} from '../../cli/base-command.js'
import {Progress} from '../../cli/progress.js'
import type {DeleteSampleOutcome} from '../../lib/sample-deploy.js'

export default class SamplesDelete extends KaosCommand<typeof SamplesDelete> {
  static summary = 'Delete a deployed sample, agents first, with the Secret and RBAC samples deploy added'
  static examples = ['<%= config.bin %> <%= command.id %> calculator --wait', '<%= config.bin %> <%= command.id %> agent-network -n demo --ignore-not-found']
  static args = {name: Args.string({description: 'Sample name (see `kaos samples list`)', required: true})}
  static flags = {
    set: Flags.string({description: 'The --set overrides it was deployed with, when they renamed a document (repeatable)', multiple: true}),
    wait: Flags.boolean({description: 'Wait until the Deployments and their pods are gone'}),
    timeout: Flags.string({description: 'How long the whole delete may take, --wait included', default: '2m'}),
    'ignore-not-found': Flags.boolean({description: 'Succeed when a workload of the sample does not exist'}),
  }

  async run(): Promise<DeleteSampleOutcome> {
    const {flags} = this
    const [{findSample, sampleManifests}, {deleteSample}] = await Promise.all([import('../../lib/samples.js'), import('../../lib/sample-deploy.js')])
    const sample = findSample(this.args.name)
    const manifests = sampleManifests(sample, {set: flags.set})
    const outcome = await new Progress(this.jsonEnabled()).during((progress) =>
      deleteSample(sample, manifests, {
        ...this.connectOptions(),
        wait: flags.wait,
        timeout: flags.timeout,
        ignoreNotFound: flags['ignore-not-found'],
        onProgress: progress,
      }),
    )
    if (!this.jsonEnabled()) {
      for (const o of [...outcome.deleted, ...outcome.extras]) this.log(`${o.kind.toLowerCase()}/${o.name} deleted`)
      for (const w of outcome.notFound) this.log(`${w.kind} ${w.name} was not there`)
    }
    return outcome
  }
}
