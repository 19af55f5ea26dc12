// One NetworkPolicy per workload (`--network-policy`): ingress only on the port it serves, egress
// only to DNS and what it needs. Pure: the API server's addresses come from the caller.
//
// What a NetworkPolicy cannot say, and what kaos renders instead:
//   - host names (slack.com): policies match addresses, and a name's addresses change (CDNs,
//     cloud load balancers; Slack publishes no fixed ranges). Resolving names at deploy time would
//     give a policy that breaks silently later. kaos allows the declared ports to every *public*
//     address instead (0.0.0.0/0 and ::/0 minus private, shared, link-local and loopback ranges),
//     so the pod never reaches the cluster's own addresses or a cloud's metadata service, and
//     records the names in the annotation kaos.tools/egress-hosts. Name-level limits need an
//     egress gateway or a CNI's own FQDN policies (Cilium toFQDNs, Calico DNS policies).
//   - the API server: the `kubernetes` Service's endpoints (its real addresses and port) and its
//     ClusterIP on 443, since CNIs differ in whether they match before or after the Service's
//     address is translated. Read at deploy time; an offline render cannot know them.
import type {AgentDoc, MCPServerDoc, ModelAPIDoc} from '../documents.js'
import {type Egress, type EgressRules, hostCidr, publicRanges} from '../egress.js'
import {objectName, selectorLabels} from '../names.js'
import type {KubernetesObject} from './common.js'

type Obj = Record<string, any>

export const ANNOTATION_EGRESS_HOSTS = 'kaos.tools/egress-hosts'

/** Where the API server is, as pods reach it: `default/kubernetes`'s ClusterIP and endpoints. */
export interface ApiServerAddresses {
  clusterIP?: string
  servicePort?: number
  endpoints: Array<{ip: string; port: number}>
  /** Why kaos could not read them (forbidden), when it could not. */
  unreadable?: string
}

export interface PolicyResult {
  policy: KubernetesObject
  warnings: string[]
}

/** kube-dns (CoreDNS carries the same label in kubeadm, kind, GKE, EKS and AKS clusters). */
const DNS_RULE: Obj = {
  to: [{namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': 'kube-system'}}, podSelector: {matchLabels: {'k8s-app': 'kube-dns'}}}],
  ports: [
    {protocol: 'UDP', port: 53},
    {protocol: 'TCP', port: 53},
  ],
}

const tcp = (ports: number[]) => [...new Set(ports)].sort((a, b) => a - b).map((port) => ({protocol: 'TCP', port}))

function policyObject(kind: 'MCPServer' | 'Agent' | 'ModelAPI', name: string, namespace: string, labels: Record<string, string>, port: number, egress: Obj[] | 'any', annotations?: Record<string, string>): KubernetesObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {name: objectName(kind, name), namespace, labels, ...(annotations ? {annotations} : {})},
    spec: {
      podSelector: {matchLabels: selectorLabels(kind, name)},
      // `any`: only Ingress is governed, so another policy's egress limits still apply.
      policyTypes: egress === 'any' ? ['Ingress'] : ['Ingress', 'Egress'],
      ingress: [{ports: tcp([port])}],
      ...(egress === 'any' ? {} : {egress}),
    },
  }
}

/** Egress rules for declared rules (beyond DNS). */
function ruleSet(rules: EgressRules, apiServer: ApiServerAddresses | undefined, what: string, warnings: string[]): Obj[] {
  const out: Obj[] = []
  if (rules.hosts.length > 0) out.push({to: publicRanges().map((ipBlock) => ({ipBlock})), ports: tcp(rules.ports)})
  if (rules.cidrs.length > 0) out.push({to: rules.cidrs.map((cidr) => ({ipBlock: {cidr}})), ports: tcp(rules.ports)})
  if (rules.apiServer) {
    if (apiServer?.endpoints.length) out.push({to: [...new Set(apiServer.endpoints.map((e) => hostCidr(e.ip)))].map((cidr) => ({ipBlock: {cidr}})), ports: tcp(apiServer.endpoints.map((e) => e.port))})
    if (apiServer?.clusterIP) out.push({to: [{ipBlock: {cidr: hostCidr(apiServer.clusterIP)}}], ports: tcp([apiServer.servicePort ?? 443])})
    if (!apiServer)
      warnings.push(`${what}: the policy allows no traffic to the Kubernetes API server: its addresses are read from the cluster when kaos deploys, and this render is offline (a deploy, or --dry-run=server, includes them)`)
    else if (apiServer.unreadable && !apiServer.endpoints.length && !apiServer.clusterIP)
      warnings.push(`${what}: the policy allows no traffic to the Kubernetes API server: kaos could not read where it is (${apiServer.unreadable}); add its addresses with spec.egress.cidrs`)
    else if (!apiServer.endpoints.length)
      warnings.push(`${what}: the kubernetes Service in namespace default lists no endpoints kaos could read, so the policy allows only its ClusterIP ${apiServer.clusterIP ?? '(unknown)'}; CNIs that match policies after translating Service addresses will block the API server`)
  }
  return out
}

function egressRules(egress: Egress, apiServer: ApiServerAddresses | undefined, what: string, warnings: string[]): Obj[] | 'any' {
  if (egress === 'any') return 'any'
  if (egress === 'none') return [DNS_RULE]
  return [DNS_RULE, ...ruleSet(egress, apiServer, what, warnings)]
}

function hostsAnnotation(egress: Egress): Record<string, string> | undefined {
  return typeof egress === 'object' && egress.hosts.length > 0 ? {[ANNOTATION_EGRESS_HOSTS]: egress.hosts.join(',')} : undefined
}

/** An MCPServer's policy: its port in, DNS and its (document's, else runtime's) egress out. */
export function mcpServerPolicy(
  doc: MCPServerDoc,
  opts: {namespace: string; labels: Record<string, string>; port: number; egress: Egress; declared: boolean; runtime: string; apiServer?: ApiServerAddresses},
): PolicyResult {
  const what = `MCPServer "${doc.metadata.name}"`
  const warnings: string[] = []
  if (!opts.declared)
    warnings.push(`${what}: runtime "${opts.runtime}" declares no egress, so its NetworkPolicy limits ingress only; say what the server connects to with spec.egress (none, or hosts, cidrs and ports)`)
  const egress = egressRules(opts.egress, opts.apiServer, what, warnings)
  return {policy: policyObject('MCPServer', doc.metadata.name, opts.namespace, opts.labels, opts.port, egress, hostsAnnotation(opts.egress)), warnings}
}

/**
 * A gateway's policy: its port in; DNS, the Services its tools and resources call and the MCP
 * servers it aggregates out, read from its rendered configuration, plus spec.egress when the
 * document adds some. An upstream MCP server is one kaos renders, so its pods and port are known;
 * another Service is allowed as its namespace, on every port, because a NetworkPolicy matches the
 * pod's port and a Service may map its port to another one that only the cluster knows. A URL to
 * an address is that address on its port; to a name outside the cluster, the public addresses on
 * its port (as runtime `hosts`).
 */
export function gatewayPolicy(
  doc: MCPServerDoc,
  opts: {namespace: string; labels: Record<string, string>; port: number; calls: {urls: string[]; upstreams: Array<{name: string; port: number}>}; extra?: Egress; apiServer?: ApiServerAddresses},
): PolicyResult {
  const what = `MCPServer "${doc.metadata.name}"`
  const warnings: string[] = []
  const namespaces = new Set<string>()
  const addresses: Obj[] = []
  const external = new Map<string, number[]>()
  for (const raw of opts.calls.urls) {
    // The host of a tool's URL is fixed (the gateway refuses templated hosts); the path may be a template.
    const u = new URL(raw.replace(/\{\{[^}]*\}\}/g, 'x'))
    const port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80)
    const host = u.hostname.replace(/^\[|\]$/g, '')
    const svc = /^[a-z0-9-]+\.([a-z0-9-]+)\.svc(\.cluster\.local)?$/.exec(host)
    if (svc) namespaces.add(svc[1])
    else if (/^[\d.]+$/.test(host) || host.includes(':')) addresses.push({to: [{ipBlock: {cidr: hostCidr(host)}}], ports: tcp([port])})
    else external.set(host, [...(external.get(host) ?? []), port])
  }
  const extra = opts.extra ?? 'none'
  if (extra === 'any') return {policy: policyObject('MCPServer', doc.metadata.name, opts.namespace, opts.labels, opts.port, 'any'), warnings}
  const rules: Obj[] = [
    DNS_RULE,
    ...opts.calls.upstreams.map((u) => ({to: [{podSelector: {matchLabels: selectorLabels('MCPServer', u.name)}}], ports: tcp([u.port])})),
    ...(namespaces.size > 0 ? [{to: [...namespaces].sort().map((ns) => ({namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': ns}}}))}] : []),
    ...addresses,
    ...(external.size > 0 ? [{to: publicRanges().map((ipBlock) => ({ipBlock})), ports: tcp([...external.values()].flat())}] : []),
    ...(typeof extra === 'object' ? ruleSet(extra, opts.apiServer, what, warnings) : []),
  ]
  const hosts = [...external.keys(), ...(typeof extra === 'object' ? extra.hosts : [])]
  const annotations = hosts.length > 0 ? {[ANNOTATION_EGRESS_HOSTS]: [...new Set(hosts)].join(',')} : undefined
  return {policy: policyObject('MCPServer', doc.metadata.name, opts.namespace, opts.labels, opts.port, rules, annotations), warnings}
}

/** An agent's policy: its port in; DNS, its model API, MCP servers and peer agents out (by their pods' labels). */
export function agentPolicy(doc: AgentDoc, opts: {namespace: string; labels: Record<string, string>; port: number; modelAPIPort: number; mcpServerPorts: Record<string, number>; peerPort: number}): PolicyResult {
  const to = (kind: 'MCPServer' | 'Agent' | 'ModelAPI', name: string, port: number): Obj => ({to: [{podSelector: {matchLabels: selectorLabels(kind, name)}}], ports: tcp([port])})
  const egress: Obj[] = [
    DNS_RULE,
    to('ModelAPI', doc.spec.modelAPI, opts.modelAPIPort),
    ...doc.spec.mcpServers.map((m) => to('MCPServer', m, opts.mcpServerPorts[m] ?? 8000)),
    ...(doc.spec.agentNetwork?.access ?? []).map((p) => to('Agent', p, opts.peerPort)),
  ]
  return {policy: policyObject('Agent', doc.metadata.name, opts.namespace, opts.labels, opts.port, egress), warnings: []}
}

/**
 * A model API's policy: its port in; DNS and its provider out. A proxy with `apiBase` reaches that
 * address (a Service name `x.ns.svc…`: any pod of that namespace, on the URL's port); without one,
 * the provider's public API on 443. Hosted (Ollama) pulls its model from the public registry.
 */
export function modelAPIPolicy(doc: ModelAPIDoc, opts: {namespace: string; labels: Record<string, string>; port: number}): PolicyResult {
  let rules: Obj[]
  let annotations: Record<string, string> | undefined
  const base = doc.spec.proxyConfig?.apiBase
  if (base) {
    const u = new URL(base)
    const port = Number(u.port) || (u.protocol === 'http:' ? 80 : 443)
    const host = u.hostname.replace(/^\[|\]$/g, '')
    const svc = /^[a-z0-9-]+\.([a-z0-9-]+)\.svc(\.cluster\.local)?$/.exec(host)
    if (/^[\d.]+$/.test(host) || host.includes(':')) rules = [{to: [{ipBlock: {cidr: hostCidr(host)}}], ports: tcp([port])}]
    else if (svc) rules = [{to: [{namespaceSelector: {matchLabels: {'kubernetes.io/metadata.name': svc[1]}}}], ports: tcp([port])}]
    else {
      rules = [{to: publicRanges().map((ipBlock) => ({ipBlock})), ports: tcp([port])}]
      annotations = {[ANNOTATION_EGRESS_HOSTS]: host}
    }
  } else rules = [{to: publicRanges().map((ipBlock) => ({ipBlock})), ports: tcp([443])}]
  return {policy: policyObject('ModelAPI', doc.metadata.name, opts.namespace, opts.labels, opts.port, [DNS_RULE, ...rules], annotations), warnings: []}
}
