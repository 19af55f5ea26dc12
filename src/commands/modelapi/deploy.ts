import * as Flags from '@oclif/core/flags'

import {DeployCommand, deployFlags} from '../../cli/deploy-command.js'
import type {KaosDoc} from '../../lib/documents.js'
import type {ModelAPIFlags} from '../../lib/inputs.js'

export default class ModelapiDeploy extends DeployCommand {
  static summary = 'Deploy a model API: a LiteLLM proxy or an Ollama-hosted model'
  static description = 'Proxy mode renders a LiteLLM Deployment with its config.yaml in a ConfigMap (API keys only as os.environ references); Hosted mode renders Ollama on port 11434 with an init container that pulls the model.'
  static examples = [
    {description: 'Proxy OpenAI, key from a Secret', command: '<%= config.bin %> <%= command.id %> llm --mode Proxy --provider openai --model gpt-4o --api-key-secret openai/api-key'},
    {description: 'Host a small model with Ollama', command: '<%= config.bin %> <%= command.id %> local --mode Hosted --model smollm2:135m --dry-run'},
  ]
  static flags = {
    ...deployFlags,
    mode: Flags.string({description: 'Proxy (LiteLLM) or Hosted (Ollama)'}),
    // Upstream KAOS's spelling of --mode: litellm is Proxy, ollama is Hosted.
    backend: Flags.string({char: 'b', hidden: true, options: ['litellm', 'ollama'], exclusive: ['mode']}),
    // -m: upstream KAOS's short flag for --model.
    model: Flags.string({char: 'm', description: 'Model to expose (repeatable for Proxy)', multiple: true}),
    provider: Flags.string({description: 'LiteLLM provider prefix, e.g. openai, anthropic'}),
    'api-base': Flags.string({description: 'Upstream API base URL'}),
    // --api-secret NAME:KEY: upstream KAOS's spelling (kaos samples deploy takes it too).
    'api-key-secret': Flags.string({description: 'Upstream API key from a Secret: SECRET/KEY (or SECRET:KEY)', aliases: ['api-secret']}),
  }

  protected readonly kind = 'ModelAPI' as const

  protected async docFromFlags(name: string, flags: Record<string, unknown>): Promise<KaosDoc> {
    const {modelAPIFromFlags} = await import('../../lib/inputs.js')
    return modelAPIFromFlags(name, flags as ModelAPIFlags)
  }
}
