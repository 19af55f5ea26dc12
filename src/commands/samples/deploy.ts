import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {ApplyingCommand, type DeployResult, applyFlags} from '../../cli/apply-base.js'
import {KaosError} from '../../lib/errors.js'
import type {KubernetesObject} from '../../lib/render/common.js'

const {file: _file, recursive: _recursive, ...sampleApplyFlags} = applyFlags

export default class SamplesDeploy extends ApplyingCommand<typeof SamplesDeploy> {
  static summary = 'Deploy a sample, with overrides, as kaos apply would'
  static description = `Applies the sample's file (see \`kaos samples show NAME\`) exactly as \`kaos apply -f\` would, after the overrides: --model, --provider and --api-secret change the sample's ModelAPI and Agents, --set any field of one document. Everything is validated, then dry-run by the API server, then applied; a mistake in an override applies nothing.

What a sample needs beyond its file comes with it: the kubernetes sample's read-only Role and RoleBinding (what \`kaos system create-rbac k8s --read-only\` makes), and the slack sample's Secret from --from-literal KEY=VALUE or the environment ($SLACK_BOT_TOKEN, $SLACK_TEAM_ID); without either, the Secret already in the cluster is used. \`kaos samples delete\` removes them with the workloads.`
  static examples = [
    {description: 'The calculator, waiting until it is ready', command: '<%= config.bin %> <%= command.id %> calculator --wait'},
    {description: 'The mock agent on a real model', command: '<%= config.bin %> <%= command.id %> mock-agent --provider openai --model gpt-4o-mini --api-secret openai:api-key'},
    {description: 'Two replicas, in another namespace', command: '<%= config.bin %> <%= command.id %> calculator --set calculator.spec.replicas=2 -n demo --create-namespace'},
    {description: 'Slack, its tokens from the environment', command: 'SLACK_BOT_TOKEN=xoxb-… SLACK_TEAM_ID=T0123 <%= config.bin %> <%= command.id %> slack'},
    {description: 'What would be applied, offline', command: '<%= config.bin %> <%= command.id %> agent-network --dry-run'},
  ]
  static args = {name: Args.string({description: 'Sample name (see `kaos samples list`)', required: true})}
  static flags = {
    ...sampleApplyFlags,
    set: Flags.string({description: 'Set a field of one document: [KIND/]NAME.PATH=VALUE, VALUE read as YAML (repeatable); every part of PATH but the last must exist', multiple: true}),
    model: Flags.string({description: "The model of the sample's ModelAPI (its models) and Agents"}),
    provider: Flags.string({description: "The provider of the sample's proxy ModelAPI (openai, anthropic, …)"}),
    'api-secret': Flags.string({description: "API key of the sample's proxy ModelAPI from a Secret: NAME:KEY (drops the mock response)"}),
    'from-literal': Flags.string({description: "A key of the sample's Secret: KEY=VALUE (repeatable; a key left out is read from its environment variable)", multiple: true}),
  }

  async run(): Promise<DeployResult> {
    const {flags, args} = this
    const {findSample, sampleManifests, sampleSecret} = await import('../../lib/samples.js')
    const sample = findSample(args.name)
    const {docs, namespaces} = sampleManifests(sample, {set: flags.set, model: flags.model, provider: flags.provider, apiSecret: flags['api-secret']})
    const secret = sampleSecret(sample, flags['from-literal'])
    const plain: KubernetesObject[] = [...namespaces, ...(secret ? [secret] : [])]
    const clientDryRun = Boolean(flags['output-dir']) || flags['dry-run'] === 'client'
    let granted = false
    if (sample.readOnlyRbacFor && !clientDryRun) {
      const {sampleRbac} = await import('../../lib/sample-deploy.js')
      const rbac = await sampleRbac(await this.connect(), sample)
      this.warnAll(rbac.warnings)
      plain.push(...rbac.objects)
      granted = rbac.objects.length > 0
    } else if (sample.readOnlyRbacFor)
      this.note(`not shown: the read-only Role and RoleBinding for mcpserver-${sample.readOnlyRbacFor}, planned from the cluster's API discovery when deploying (preview: kaos system create-rbac ${sample.readOnlyRbacFor} --read-only --dry-run)`)
    try {
      return await this.applyDocuments({docs, plain}, flags, {
        missingDependencies: 'error',
        // The render's "needs RBAC" advice, for the RBAC this deploy brings.
        ignoreWarning: (w) => granted && w.includes(`kaos system create-rbac ${sample.readOnlyRbacFor} `),
      })
    } catch (error) {
      const ref = (error as KaosError).data as {kind?: string; name?: string} | undefined
      if (error instanceof KaosError && sample.secret && ref?.kind === 'Secret' && ref.name === sample.secret.name)
        throw new KaosError(error.message, {
          exit: error.exit,
          code: error.code,
          data: error.data,
          suggestions: [`Pass its keys: ${sample.secret.keys.map((k) => `--from-literal ${k.key}=… (or $${k.env})`).join(' ')}`],
        })
      throw error
    }
  }
}
