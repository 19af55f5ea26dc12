import {ChatCommand, chatFlags} from '../../cli/chat-command.js'

export default class ModelapiInvoke extends ChatCommand {
  static summary = 'Send a chat message to a model API (LiteLLM proxy or Ollama, OpenAI-compatible)'
  static description = `Connects through an in-process port-forward to a Ready pod of modelapi-<name> (no kubectl: LiteLLM on 8000, Ollama on 11434) and posts to its OpenAI-compatible /v1/chat/completions. The default model is the first of proxyConfig.models (Proxy) or hostedConfig.model (Hosted) from the deployed document. --stream prints tokens as they arrive.

Exit codes: 5 no Ready pod, pod lost mid-call or server unreachable; 6 the model API answered an error or timed out; 8 no such ModelAPI.`

  static examples = [
    {description: 'Ask the default model', command: '<%= config.bin %> <%= command.id %> llm -n models -m "Say hi"'},
    {description: 'Another model of the proxy, streamed', command: '<%= config.bin %> <%= command.id %> llm -m "Count to 5" --model gpt-4o-mini --stream'},
  ]

  static flags = chatFlags
  protected readonly kind = 'ModelAPI' as const

  protected defaultModel(_name: string, doc: any): string | undefined {
    return doc?.spec?.mode === 'Hosted' ? doc?.spec?.hostedConfig?.model : (doc?.spec?.proxyConfig?.models?.[0] ?? doc?.spec?.hostedConfig?.model)
  }
}
