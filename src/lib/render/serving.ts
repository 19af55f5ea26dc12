// How every kaos workload is served: shutdown without dropped calls, replicas that survive a
// rollout or a node drain. Pure: pod spec and object fragments, no I/O.
import type {Kind} from '../kinds.js'
import {objectName, selectorLabels} from '../names.js'
import type {KubernetesObject} from './common.js'

type Obj = Record<string, any>

/**
 * Seconds a terminating pod keeps serving before it gets SIGTERM. Kubernetes removes the pod from
 * its Service's endpoints at the same moment it starts the pod's shutdown; kube-proxy, ingress
 * controllers and gateways learn that a little later and keep sending new connections meanwhile.
 */
export const PRESTOP_PAUSE_SECONDS = 5

/**
 * The pause, then up to 20 s for calls in flight to finish (rawpython's SHUTDOWN_TIMEOUT; the
 * stdio adapter needs less), then 5 s of margin before SIGKILL.
 */
export const TERMINATION_GRACE_SECONDS = 30

/**
 * preStop `sleep` (the kubelet's own handler: Kubernetes 1.30 and later, no shell or binary in the
 * image needed, so distroless and scratch images get it too) on the main container, and the grace
 * period that covers it. A document's podSpec, merged after this, can change either.
 */
export function withGracefulShutdown(podSpec: Obj, container: string): Obj {
  return {
    ...podSpec,
    terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
    containers: (podSpec.containers ?? []).map((c: Obj) => (c.name === container ? {...c, lifecycle: {...c.lifecycle, preStop: {sleep: {seconds: PRESTOP_PAUSE_SECONDS}}}} : c)),
  }
}

/**
 * Replicas on different nodes when the cluster has them (ScheduleAnyway: never leaves a pod
 * pending for it), counted per ReplicaSet (`pod-template-hash`) so a rollout spreads the new
 * pods too. Rendered for one replica as well: it changes nothing there, and adding it when a
 * workload is scaled up would change the pod template and roll every pod.
 */
export function spreadAcrossNodes(kind: Kind, name: string): Obj[] {
  return [
    {
      maxSkew: 1,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: {matchLabels: selectorLabels(kind, name)},
      matchLabelKeys: ['pod-template-hash'],
    },
  ]
}

/** A rollout starts a new pod and waits for it to be Ready before it stops an old one. */
export const ROLLING_UPDATE = {type: 'RollingUpdate', rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}

/**
 * A drain or other eviction takes at most one pod at a time. Pods that are not Ready may always be
 * evicted, so a crash-looping replica never blocks a node drain.
 */
export function podDisruptionBudget(kind: Kind, name: string, namespace: string, labels: Record<string, string>): KubernetesObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {name: objectName(kind, name), namespace, labels},
    spec: {maxUnavailable: 1, selector: {matchLabels: selectorLabels(kind, name)}, unhealthyPodEvictionPolicy: 'AlwaysAllow'},
  }
}

/** ClientIP affinity's default (and Kubernetes' maximum is a day): long enough for a session. */
export const CLIENT_IP_TIMEOUT_SECONDS = 10_800
