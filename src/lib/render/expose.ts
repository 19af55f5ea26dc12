// A way in from outside the cluster (`--expose ingress|httproute --host H`): an Ingress or a
// Gateway API HTTPRoute to the workload's Service. Pure.
import type {Expose} from '../documents.js'
import type {Kind} from '../kinds.js'
import {objectName} from '../names.js'
import type {KubernetesObject} from './common.js'

/** Annotations that keep ingress-nginx from buffering streamed answers (SSE) or cutting long calls. */
const NGINX_STREAMING = {
  'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
  'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
  'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
}

/**
 * The Ingress or HTTPRoute `<prefix>-<name>`, routing `host` + `path` (an MCP server's /mcp; `/`
 * for an agent, which serves several paths) to the Service's port. `timeout` (upstream KAOS's
 * spec.gatewayRoute.timeout) bounds a request through an HTTPRoute.
 */
export function exposeObject(kind: Kind, name: string, namespace: string, labels: Record<string, string>, expose: Expose, port: number, path: string, timeout?: string): KubernetesObject {
  const service = objectName(kind, name)
  if (expose.type === 'ingress')
    return {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {name: service, namespace, labels, annotations: NGINX_STREAMING},
      spec: {
        ...(expose.ingressClassName ? {ingressClassName: expose.ingressClassName} : {}),
        ...(expose.tlsSecret ? {tls: [{hosts: [expose.host], secretName: expose.tlsSecret}]} : {}),
        rules: [{host: expose.host, http: {paths: [{path, pathType: 'Prefix', backend: {service: {name: service, port: {number: port}}}}]}}],
      },
    }
  const gw = expose.gateway!
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: {name: service, namespace, labels},
    spec: {
      parentRefs: [{group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gw.name, ...(gw.namespace && gw.namespace !== namespace ? {namespace: gw.namespace} : {})}],
      hostnames: [expose.host],
      rules: [{matches: [{path: {type: 'PathPrefix', value: path}}], backendRefs: [{name: service, port}], ...(timeout ? {timeouts: {request: timeout}} : {})}],
    },
  }
}
