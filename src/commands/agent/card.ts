import {A2ACommand, EXIT_CODES_A2A, a2aFlags} from '../../cli/a2a-command.js'

export default class AgentCard extends A2ACommand<typeof AgentCard> {
  static summary = "Show an agent's A2A agent card (name, skills, capabilities, interfaces)"
  static description = `Fetches the card from the agent's well-known URL (/.well-known/agent-card.json, else /.well-known/agent.json, where upstream KAOS's agent runtime serves it) through an in-process port-forward to a Ready pod of agent-<name>, or from --url. --json prints the card as the agent serves it.

${EXIT_CODES_A2A}`
  static examples = [
    {description: "An agent's card", command: '<%= config.bin %> <%= command.id %> helper -n agents'},
    {description: 'As JSON, for scripts', command: '<%= config.bin %> <%= command.id %> helper --json'},
  ]
  static flags = a2aFlags

  async run(): Promise<unknown> {
    const card = await this.withEndpoint(async (ep, signal) => {
      const {fetchAgentCard} = await import('../../lib/a2a.js')
      return fetchAgentCard(ep, signal)
    })
    if (!this.jsonEnabled()) {
      const {cardText} = await import('../../cli/format/a2a.js')
      this.log(cardText(card, Boolean(process.stdout.isTTY)))
    }
    return card.card
  }
}
