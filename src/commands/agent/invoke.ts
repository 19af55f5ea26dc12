import {ChatCommand, chatFlags} from '../../cli/chat-command.js'

export default class AgentInvoke extends ChatCommand {
  static summary = "Send a message to an agent (its OpenAI-compatible /v1/chat/completions)"
  static description = `Connects through an in-process port-forward to a Ready pod of agent-<name> (no kubectl) and posts the message to /v1/chat/completions. --stream prints tokens as they arrive, and the steps of upstream KAOS's agent runtime (each tool call and delegation to a peer) on stderr. The model sent is the agent's name unless --model is given. An answer that is the runtime's own error report ("Sorry, I encountered an error: …", sent with HTTP 200 when its model API or an MCP server fails) exits 6.

Exit codes: 5 no Ready pod, pod lost mid-call or server unreachable; 6 the agent answered an error (also in its answer text) or timed out; 8 no such Agent.`

  static examples = [
    {description: 'Ask an agent', command: '<%= config.bin %> <%= command.id %> helper -n agents -m "What can you do?"'},
    {description: 'Stream the answer, with a system message', command: '<%= config.bin %> <%= command.id %> helper -m "Summarise the cluster" --system "Be brief" --stream'},
  ]

  static flags = chatFlags
  protected readonly kind = 'Agent' as const
  protected readonly agentRuntime = true

  protected defaultModel(name: string): string {
    return name
  }
}
