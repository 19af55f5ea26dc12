import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {KaosCommand} from './base-command.js'
import type {KaosDoc, Kind} from '../lib/documents.js'
import {parseDuration} from '../lib/duration.js'
import {invalid} from '../lib/errors.js'
import {DNS_LABEL_TEXT, isDnsLabel} from '../lib/k8s-values.js'
import {TOPIC_OF} from '../lib/kinds.js'
import {table} from './format/table.js'
import {KIND_INFO, podSelector} from '../lib/names.js'
import type {WorkloadDetail, WorkloadSummary} from '../lib/workloads.js'

const TYPE_HEADER: Record<Kind, string> = {MCPServer: 'RUNTIME', Agent: 'MODELAPI', ModelAPI: 'MODE'}

/** A workload NAME as typed: a DNS-1123 label, checked before it reaches an API path or selector. */
function checkName(kind: Kind, name: string): string {
  if (!isDnsLabel(name)) throw invalid(`NAME "${name}" ${DNS_LABEL_TEXT}`, [`List the ${kind}s with \`kaos ${TOPIC_OF[kind]} list -A\`.`])
  return name
}

/** `kaos <kind> list`: kaos workloads with readiness and in-cluster endpoint. */
export abstract class ListCommand extends KaosCommand<typeof ListCommand> {
  static flags = {
    'all-namespaces': Flags.boolean({char: 'A', description: 'List across all namespaces'}),
    selector: Flags.string({char: 'l', description: 'Label selector to filter on (added to kaos\'s own labels)'}),
    output: Flags.string({char: 'o', description: 'Output format', options: ['table', 'wide', 'json', 'yaml', 'name'], default: 'table'}),
  }

  protected abstract readonly kind: Kind

  async run(): Promise<{items: WorkloadSummary[]}> {
    const cluster = await this.connect()
    const {listWorkloads} = await import('../lib/workloads.js')
    const items = await listWorkloads(cluster, this.kind, {namespace: this.flags['all-namespaces'] ? undefined : cluster.namespace, selector: this.flags.selector})
    if (this.jsonEnabled()) return {items}
    const fmt = this.flags.output
    if (fmt === 'json' || fmt === 'yaml') await this.printStructured({items}, fmt)
    else if (fmt === 'name') for (const i of items) this.log(`${KIND_INFO[this.kind].prefix}/${i.name}`)
    else if (items.length === 0) process.stderr.write(`No ${this.kind} found${this.flags['all-namespaces'] ? '' : ` in namespace ${cluster.namespace}`}.\n`)
    else {
      const all = this.flags['all-namespaces']
      const wide = fmt === 'wide'
      const headers = [...(all ? ['NAMESPACE'] : []), 'NAME', TYPE_HEADER[this.kind], 'READY', 'AGE', 'ENDPOINT', ...(wide ? ['IMAGE', 'SERVICE-ACCOUNT'] : [])]
      const rows = items.map((i) => [...(all ? [i.namespace] : []), i.name, i.type, i.ready, i.age, i.endpoint, ...(wide ? [i.image, i.serviceAccount ?? '-'] : [])])
      this.log(table(headers, rows))
    }
    return {items}
  }
}

/** `kaos <kind> get NAME`: the stored document plus live status. */
export abstract class GetCommand extends KaosCommand<typeof GetCommand> {
  static args = {name: Args.string({description: 'Workload name', required: true})}
  static flags = {
    output: Flags.string({char: 'o', description: 'Output format', options: ['yaml', 'json'], default: 'yaml'}),
  }

  protected abstract readonly kind: Kind

  /** The stored document with live status, as `kubectl get -o yaml` shows an object. */
  async run(): Promise<Partial<KaosDoc> & {status: WorkloadDetail['status']}> {
    const name = checkName(this.kind, this.args.name)
    const cluster = await this.connect()
    const {getWorkload} = await import('../lib/workloads.js')
    const detail = await getWorkload(cluster, this.kind, name, cluster.namespace)
    const out = {...detail.document, status: detail.status}
    if (!this.jsonEnabled()) await this.printStructured(out, this.flags.output as 'json' | 'yaml')
    return out
  }
}

/** `kaos <kind> logs NAME`: every pod and container, prefixed; --follow survives rollouts. */
export abstract class LogsCommand extends KaosCommand<typeof LogsCommand> {
  static args = {name: Args.string({description: 'Workload name', required: true})}
  static flags = {
    follow: Flags.boolean({char: 'f', description: 'Stream new lines, including from pods that start later'}),
    tail: Flags.integer({description: 'Lines of recent log to show per container', min: 0}),
    since: Flags.string({description: 'Only lines newer than this duration (e.g. 10m)'}),
    container: Flags.string({char: 'c', description: 'Only this container'}),
    previous: Flags.boolean({char: 'p', description: 'The last run of each container that restarted (why a crash loop crashes)', exclusive: ['follow']}),
    prefix: Flags.boolean({description: 'Prefix each line with [pod/container]', default: true, allowNo: true}),
  }

  protected abstract readonly kind: Kind

  async run(): Promise<{lines: Array<{pod: string; container: string; line: string}>}> {
    const {flags} = this
    const sinceSeconds = flags.since ? Math.max(1, Math.round(parseDuration(flags.since, '--since') / 1000)) : undefined
    checkName(this.kind, this.args.name)
    const cluster = await this.connect()
    const {getDeployment} = await import('../lib/workloads.js')
    const {workloadLogs} = await import('../lib/cluster/logs.js')
    await getDeployment(cluster, this.kind, this.args.name, cluster.namespace)
    const ac = new AbortController()
    const stop = () => ac.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    const lines: Array<{pod: string; container: string; line: string}> = []
    try {
      await workloadLogs(cluster, {
        namespace: cluster.namespace,
        selector: podSelector(this.kind, this.args.name),
        container: flags.container,
        follow: flags.follow,
        tail: flags.tail,
        sinceSeconds,
        previous: flags.previous,
        signal: ac.signal,
        onLine: (src, line) => {
          if (this.jsonEnabled()) lines.push({...src, line})
          else this.log(flags.prefix ? `[${src.pod}/${src.container}] ${line}` : line)
        },
        onNote: (m) => this.note(m),
      })
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
    return {lines}
  }
}

/** `kaos <kind> delete NAME…`: every object of each workload, nothing orphaned. */
export abstract class DeleteCommand extends KaosCommand<typeof DeleteCommand> {
  static args = {name: Args.string({description: 'Workload name (several may be given, as with kubectl delete)', required: true})}
  // NAME…: kubectl deletes several objects in one call; oclif collects the rest into `positional`.
  static strict = false
  static flags = {
    wait: Flags.boolean({description: 'Wait until the Deployments and their pods are gone'}),
    timeout: Flags.string({description: 'How long the whole delete may take, --wait included', default: '2m'}),
    'ignore-not-found': Flags.boolean({description: 'Succeed when a workload does not exist'}),
  }

  protected abstract readonly kind: Kind

  async run(): Promise<{deleted: Array<{kind: string; name: string; namespace?: string}>}> {
    const names = [...new Set(this.positional)].map((n) => checkName(this.kind, n))
    const timeoutMs = parseDuration(this.flags.timeout)
    const cluster = await this.connect({deadline: AbortSignal.timeout(timeoutMs + 2000)})
    const {deleteWorkloads} = await import('../lib/workloads.js')
    // One layer: none of them is asked to wait for another. A missing one (without
    // --ignore-not-found) stops the command before anything is deleted.
    const {deleted, notFound} = await deleteWorkloads(cluster, [names.map((name) => ({kind: this.kind, name, namespace: cluster.namespace}))], {
      wait: this.flags.wait,
      timeoutMs,
      ignoreNotFound: this.flags['ignore-not-found'],
    })
    if (!this.jsonEnabled()) {
      for (const o of deleted) this.log(`${o.kind.toLowerCase()}/${o.name} deleted`)
      for (const w of notFound) this.log(`${this.kind} ${w.name} was not there`)
    }
    return {deleted}
  }
}
