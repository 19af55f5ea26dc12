// A standard A2A agent built with the A2A JavaScript SDK's own server (DefaultRequestHandler,
// InMemoryTaskStore, its Express JSON-RPC handler and agent-card handler), in the shape of the
// SDK's sample agents: it streams its work (submitted, working with a message, an artifact,
// completed) and can be canceled. kaos's a2a commands talk to it with no dialect adapter, which
// is the path every agent other than upstream KAOS's runtime takes.
import type {AddressInfo} from 'node:net'
import type {Server} from 'node:http'

export interface SdkAgent {
  url: string
  close(): Promise<void>
}

const text = (value: string) => ({content: {$case: 'text' as const, value}, metadata: undefined, filename: '', mediaType: 'text/plain'})

/**
 * `slow …` messages work for `slowMs` before answering (long enough to get and cancel them);
 * others answer `echo: <text>` after a short pause between each event.
 */
export async function startSdkAgent(opts: {slowMs?: number} = {}): Promise<SdkAgent> {
  // express: the SDK server's own adapter needs it (installed with @modelcontextprotocol/sdk, which
  // depends on it); it has no type declarations of its own, hence the untyped import.
  const expressModule = 'express'
  const [{default: express}, server, sx] = await Promise.all([import(expressModule) as Promise<{default: any}>, import('@a2a-js/sdk/server'), import('@a2a-js/sdk/server/express')])
  const slowMs = opts.slowMs ?? 20_000
  const canceled = new Set<string>()
  const pause = (ms: number, taskId: string) =>
    new Promise<boolean>((resolve) => {
      const until = Date.now() + ms
      const tick = () => (canceled.has(taskId) ? resolve(false) : Date.now() >= until ? resolve(true) : setTimeout(tick, 50))
      tick()
    })
  const status = (taskId: string, contextId: string, state: number, message?: string) =>
    server.AgentEvent.statusUpdate({
      taskId,
      contextId,
      status: {
        state,
        timestamp: new Date().toISOString(),
        message: message ? {messageId: `${taskId}-${state}`, contextId, taskId, role: 2, parts: [text(message)], metadata: undefined, extensions: [], referenceTaskIds: []} : undefined,
      },
      metadata: undefined,
    } as never)

  const executor = {
    async execute(ctx: any, bus: any) {
      const {taskId, contextId} = ctx
      const input = ctx.userMessage.parts.map((p: any) => (p.content?.$case === 'text' ? p.content.value : '')).join('')
      bus.publish(
        server.AgentEvent.task({id: taskId, contextId, status: {state: 1, timestamp: new Date().toISOString(), message: undefined}, artifacts: [], history: [ctx.userMessage], metadata: undefined} as never),
      )
      bus.publish(status(taskId, contextId, 2, `working on: ${input}`))
      const finished = await pause(input.startsWith('slow') ? slowMs : 150, taskId)
      if (!finished) return bus.finished()
      bus.publish(
        server.AgentEvent.artifactUpdate({
          taskId,
          contextId,
          artifact: {artifactId: `${taskId}-answer`, name: 'answer', description: '', parts: [text(`echo: ${input}`)], metadata: undefined, extensions: []},
          append: false,
          lastChunk: true,
          metadata: undefined,
        } as never),
      )
      await pause(100, taskId)
      bus.publish(status(taskId, contextId, 3))
      bus.finished()
    },
    async cancelTask(taskId: string, bus: any) {
      canceled.add(taskId)
      bus.publish(status(taskId, '', 5, 'canceled on request'))
      bus.finished()
    },
  }

  const app = express()
  const http: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  const card = {
    name: 'sdk-sample',
    description: 'A sample agent made with the A2A SDK server',
    supportedInterfaces: [{url, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0'}],
    provider: undefined,
    version: '1.0.0',
    capabilities: {streaming: true, pushNotifications: false, extensions: []},
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [{id: 'echo', name: 'echo', description: 'Says the message back', tags: ['test'], examples: [], inputModes: [], outputModes: [], securityRequirements: []}],
    signatures: [],
  }
  const handler = new server.DefaultRequestHandler(card as never, new server.InMemoryTaskStore(), executor as never)
  app.use('/.well-known/agent-card.json', sx.agentCardHandler({agentCardProvider: handler}))
  app.use(express.json())
  app.use('/', sx.jsonRpcHandler({requestHandler: handler, userBuilder: sx.UserBuilder.noAuthentication}))
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections?.()
        http.close(() => resolve())
      }),
  }
}
