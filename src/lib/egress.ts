// What a workload may reach, as runtimes (and MCPServer documents) declare it, and how much of
// that a NetworkPolicy can say. Pure: the schema and the address arithmetic, no I/O.
import {isIP} from 'node:net'
import {z} from 'zod'

/** A DNS name (`slack.com`), a wildcard under one (`*.slack.com`), or `*`: any public address. */
const HOST = /^(\*|(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/

export function isCidr(s: string): boolean {
  const [ip, bits, ...rest] = s.split('/')
  if (rest.length > 0 || bits === undefined || !/^\d{1,3}$/.test(bits)) return false
  const family = isIP(ip)
  return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128)
}

const host = z.string().refine((s) => HOST.test(s), 'must be a DNS name such as api.example.com, a wildcard such as *.example.com, or * (any public address)')
const cidr = z.string().refine(isCidr, 'must be a CIDR such as 10.0.0.0/8 or 203.0.113.7/32')
const port = z.number().int().min(1).max(65535)

export const EgressRulesSchema = z.strictObject({
  /** Names the server connects to. A NetworkPolicy cannot name hosts: see `publicRanges`. */
  hosts: z.array(host).default([]),
  cidrs: z.array(cidr).default([]),
  /** TCP ports for `hosts` and `cidrs`. */
  ports: z.array(port).min(1, 'needs at least one port').default([443]),
  /** The Kubernetes API server (the kubernetes runtime): its endpoints, read at deploy time. */
  apiServer: z.boolean().default(false),
})

/** `none`: DNS only. `any`: no egress restriction. Otherwise the rules. */
export const EgressSchema = z.union([z.enum(['none', 'any']), EgressRulesSchema], {
  error: () => 'must be none, any, or a mapping with hosts, cidrs, ports and apiServer',
})

export type EgressRules = z.output<typeof EgressRulesSchema>
export type Egress = z.output<typeof EgressSchema>

/**
 * Addresses that are never "the internet": private (RFC 1918, unique local), shared (carrier-grade
 * NAT), link-local (where clouds put their metadata service, 169.254.169.254), loopback. Pod and
 * Service ranges are among them in every usual cluster.
 */
export const NON_PUBLIC_V4 = ['10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16']
export const NON_PUBLIC_V6 = ['::1/128', 'fc00::/7', 'fe80::/10']

/** Every public address: what a host name that a NetworkPolicy cannot express is rendered as. */
export function publicRanges(): Array<{cidr: string; except: string[]}> {
  return [
    {cidr: '0.0.0.0/0', except: NON_PUBLIC_V4},
    {cidr: '::/0', except: NON_PUBLIC_V6},
  ]
}

/** `/32` or `/128` for one address. */
export function hostCidr(ip: string): string {
  return `${ip}/${isIP(ip) === 6 ? 128 : 32}`
}
