// Pure RBAC planning for `kaos system create-rbac`: what objects and rules a request turns into.
import assert from 'node:assert/strict'

import type {ApiResource, ResolvedResource} from '../../src/lib/cluster/discovery.js'
import {resolveResource} from '../../src/lib/cluster/discovery.js'
import {KaosError} from '../../src/lib/errors.js'
import {LABEL_RBAC_FOR, LABEL_RBAC_NAMESPACE} from '../../src/lib/names.js'
import {planRbac, roleName, splitList, validateVerbs} from '../../src/lib/system/rbac-plan.js'

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']

/** A small discovery result, shaped like a real API server's. */
export const DISCOVERY: ApiResource[] = [
  {name: 'pods', group: '', version: 'v1', kind: 'Pod', namespaced: true, verbs: RW, singularName: 'pod', shortNames: ['po']},
  {name: 'pods/log', group: '', version: 'v1', kind: 'Pod', namespaced: true, verbs: ['get']},
  {name: 'pods/exec', group: '', version: 'v1', kind: 'PodExecOptions', namespaced: true, verbs: ['create', 'get']},
  {name: 'services', group: '', version: 'v1', kind: 'Service', namespaced: true, verbs: RW, singularName: 'service', shortNames: ['svc']},
  {name: 'secrets', group: '', version: 'v1', kind: 'Secret', namespaced: true, verbs: RW, singularName: 'secret'},
  {name: 'events', group: '', version: 'v1', kind: 'Event', namespaced: true, verbs: RW, singularName: 'event', shortNames: ['ev']},
  {name: 'nodes', group: '', version: 'v1', kind: 'Node', namespaced: false, verbs: RW, singularName: 'node', shortNames: ['no']},
  {name: 'namespaces', group: '', version: 'v1', kind: 'Namespace', namespaced: false, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], singularName: 'namespace', shortNames: ['ns']},
  {name: 'deployments', group: 'apps', version: 'v1', kind: 'Deployment', namespaced: true, verbs: RW, singularName: 'deployment', shortNames: ['deploy']},
  {name: 'deployments/scale', group: 'apps', version: 'v1', kind: 'Scale', namespaced: true, verbs: ['get', 'patch', 'update']},
  {name: 'replicasets', group: 'apps', version: 'v1', kind: 'ReplicaSet', namespaced: true, verbs: RW, singularName: 'replicaset', shortNames: ['rs']},
  {name: 'events', group: 'events.k8s.io', version: 'v1', kind: 'Event', namespaced: true, verbs: RW, singularName: 'event', shortNames: ['ev']},
  {name: 'cronjobs', group: 'batch', version: 'v1', kind: 'CronJob', namespaced: true, verbs: RW, singularName: 'cronjob', shortNames: ['cj']},
  {name: 'jobs', group: 'batch', version: 'v1', kind: 'Job', namespaced: true, verbs: RW, singularName: 'job'},
  {name: 'widgets', group: 'example.com', version: 'v1', kind: 'Widget', namespaced: true, verbs: RW, singularName: 'widget', shortNames: ['wd']},
]

const r = (name: string): ResolvedResource => resolveResource(DISCOVERY, name)

function invalid(fn: () => unknown, re: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KaosError, `not a KaosError: ${e}`)
    assert.equal(e.exit, 2)
    assert.match(e.message, re)
    return true
  })
}

describe('resolveResource (discovery)', () => {
  it('maps names to their API groups', () => {
    assert.deepEqual([r('deployments'), r('cronjobs'), r('pods'), r('widgets')].map((x) => [x.name, x.group]), [
      ['deployments', 'apps'],
      ['cronjobs', 'batch'],
      ['pods', ''],
      ['widgets', 'example.com'],
    ])
  })
  it('accepts singular, kind, short names and NAME.GROUP', () => {
    for (const n of ['deployment', 'Deployment', 'deploy', 'deployments.apps', 'DEPLOYMENTS']) assert.equal(r(n).group, 'apps', n)
    assert.equal(r('cj').name, 'cronjobs')
    assert.equal(r('widgets.example.com').group, 'example.com')
    assert.equal(r('wd').name, 'widgets')
  })
  it('resolves an ambiguous name to the first group, as kubectl does, unless qualified', () => {
    assert.equal(r('events').group, '')
    assert.equal(r('events.events.k8s.io').group, 'events.k8s.io')
  })
  it('resolves subresources and keeps the parent scope', () => {
    const log = r('pods/log')
    assert.equal(log.name, 'pods/log')
    assert.deepEqual(log.verbs, ['get'])
    assert.equal(r('deploy/scale').name, 'deployments/scale')
  })
  it('rejects unknown names with a did-you-mean', () => {
    invalid(() => r('deploymnets'), /unknown resource "deploymnets".*Did you mean "deployments"\?/)
    invalid(() => r('widget.example.org'), /no API group "example.org"/)
    invalid(() => r('pods/logs'), /unknown subresource "pods\/logs".*Did you mean "pods\/log"\?/)
    invalid(() => r('*'), /wildcards are not granted/)
    invalid(() => r('zzzzqqq'), /^unknown resource "zzzzqqq": the cluster's API has no such resource\.$/)
  })
})

describe('planRbac', () => {
  it('namespace-scoped default: ServiceAccount, Role, RoleBinding in its own namespace, get/list/watch', () => {
    const plan = planRbac({name: 'k8s', namespace: 'tools', resources: [r('pods'), r('deployments')]})
    assert.equal(plan.serviceAccountName, 'mcpserver-k8s')
    assert.equal(plan.scope, 'namespaces')
    assert.deepEqual(plan.namespaces, ['tools'])
    assert.deepEqual(plan.objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`), [
      'ServiceAccount/tools/mcpserver-k8s',
      'Role/tools/mcpserver-k8s',
      'RoleBinding/tools/mcpserver-k8s',
    ])
    assert.deepEqual(plan.rules, [
      {apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch']},
      {apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch']},
    ])
    const binding = plan.objects[2] as any
    assert.deepEqual(binding.roleRef, {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'mcpserver-k8s'})
    assert.deepEqual(binding.subjects, [{kind: 'ServiceAccount', name: 'mcpserver-k8s', namespace: 'tools'}])
    for (const o of plan.objects) {
      assert.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'kaos')
      assert.equal(o.metadata.labels?.[LABEL_RBAC_FOR], 'mcpserver-k8s')
      assert.equal(o.metadata.labels?.[LABEL_RBAC_NAMESPACE], 'tools')
    }
  })

  it('merges resources of one group with the same verbs into one rule, sorted', () => {
    const plan = planRbac({name: 'x', namespace: 'ns', resources: [r('services'), r('pods'), r('replicasets'), r('deploy')]})
    assert.deepEqual(plan.rules, [
      {apiGroups: [''], resources: ['pods', 'services'], verbs: ['get', 'list', 'watch']},
      {apiGroups: ['apps'], resources: ['deployments', 'replicasets'], verbs: ['get', 'list', 'watch']},
    ])
  })

  it('--read-only adds get on pods/log only', () => {
    const plan = planRbac({name: 'x', namespace: 'ns', resources: [r('pods')], readOnly: true, podsLog: r('pods/log')})
    assert.deepEqual(plan.rules, [
      {apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch']},
      {apiGroups: [''], resources: ['pods/log'], verbs: ['get']},
    ])
    assert.deepEqual(plan.warnings, [])
  })

  it('--read-only refuses write verbs; wildcard and unknown verbs are errors', () => {
    invalid(() => planRbac({name: 'x', namespace: 'ns', resources: [r('pods')], readOnly: true, verbs: ['get', 'delete']}), /--read-only .* cannot be combined with --verbs delete/)
    invalid(() => planRbac({name: 'x', namespace: 'ns', resources: [r('pods')], verbs: ['*']}), /wildcards are not granted/)
    invalid(() => planRbac({name: 'x', namespace: 'ns', resources: [r('pods')], verbs: ['lsit']}), /unknown verb "lsit". Did you mean "list"\?/)
  })

  it('grants only the verbs a resource supports, with a warning', () => {
    const plan = planRbac({name: 'x', namespace: 'ns', resources: [r('pods'), r('pods/log')], verbs: ['get', 'list']})
    assert.deepEqual(plan.rules, [
      {apiGroups: [''], resources: ['pods'], verbs: ['get', 'list']},
      {apiGroups: [''], resources: ['pods/log'], verbs: ['get']},
    ])
    assert.match(plan.warnings.join('\n'), /"pods\/log" does not support list; granting only get/)
    invalid(() => planRbac({name: 'x', namespace: 'ns', resources: [r('pods/log')], verbs: ['delete']}), /supports none of the verbs asked \(delete\); it supports get/)
  })

  it('explicit verbs are kept in kubectl order and de-duplicated', () => {
    const plan = planRbac({name: 'x', namespace: 'ns', resources: [r('deployments')], verbs: ['patch', 'get', 'list', 'get']})
    assert.deepEqual(plan.rules[0].verbs, ['get', 'list', 'patch'])
  })

  it('the same resource named twice is one entry', () => {
    const plan = planRbac({name: 'x', namespace: 'ns', resources: [r('deploy'), r('deployments.apps'), r('Deployment')]})
    assert.deepEqual(plan.rules, [{apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch']}])
  })

  it('--namespaces: one Role and RoleBinding per namespace, subject in the service account namespace', () => {
    const plan = planRbac({name: 'k8s', namespace: 'tools', namespaces: ['staging', 'dev', 'tools'], resources: [r('pods')]})
    assert.deepEqual(plan.namespaces, ['dev', 'staging', 'tools'])
    assert.deepEqual(plan.objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`), [
      'ServiceAccount/tools/mcpserver-k8s',
      'Role/dev/kaos:tools:mcpserver-k8s',
      'RoleBinding/dev/kaos:tools:mcpserver-k8s',
      'Role/staging/kaos:tools:mcpserver-k8s',
      'RoleBinding/staging/kaos:tools:mcpserver-k8s',
      'Role/tools/mcpserver-k8s',
      'RoleBinding/tools/mcpserver-k8s',
    ])
    for (const o of plan.objects.filter((x) => x.kind === 'RoleBinding')) assert.deepEqual((o as any).subjects, [{kind: 'ServiceAccount', name: 'mcpserver-k8s', namespace: 'tools'}])
  })

  it('--cluster-wide: ClusterRole and ClusterRoleBinding named after the service account namespace', () => {
    const plan = planRbac({name: 'k8s', namespace: 'tools', clusterWide: true, resources: [r('pods'), r('nodes')]})
    assert.equal(plan.scope, 'cluster')
    assert.deepEqual(plan.namespaces, [])
    assert.deepEqual(plan.objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`), [
      'ServiceAccount/tools/mcpserver-k8s',
      'ClusterRole//kaos:tools:mcpserver-k8s',
      'ClusterRoleBinding//kaos:tools:mcpserver-k8s',
    ])
    assert.equal(roleName('k8s', 'tools'), 'kaos:tools:mcpserver-k8s')
    assert.deepEqual(plan.rules, [{apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['get', 'list', 'watch']}])
  })

  it('cluster-scoped resources need --cluster-wide; --cluster-wide and --namespaces conflict', () => {
    invalid(() => planRbac({name: 'x', namespace: 'ns', resources: [r('nodes')]}), /"nodes" \(nodes\) is cluster-scoped: a namespace Role cannot grant it/)
    invalid(() => planRbac({name: 'x', namespace: 'ns', clusterWide: true, namespaces: ['a'], resources: [r('pods')]}), /--cluster-wide and --namespaces cannot be combined/)
  })

  it('validates names and requires resources', () => {
    invalid(() => planRbac({name: 'Bad_Name', namespace: 'ns', resources: [r('pods')]}), /MCPServer name "Bad_Name" is not a valid name/)
    invalid(() => planRbac({name: 'x', namespace: 'ns', namespaces: ['UPPER'], resources: [r('pods')]}), /namespace "UPPER" is not a valid name/)
    invalid(() => planRbac({name: 'x', namespace: 'ns', resources: []}), /no resources to grant/)
  })

  it('is deterministic', () => {
    const req = {name: 'x', namespace: 'ns', namespaces: ['b', 'a'], resources: [r('jobs'), r('pods'), r('cj'), r('svc')], verbs: ['watch', 'get']}
    assert.deepEqual(planRbac(req), planRbac({...req, resources: [...req.resources].reverse(), namespaces: ['a', 'b']}))
  })
})

describe('helpers', () => {
  it('splitList splits, trims and de-duplicates repeated comma lists', () => {
    assert.deepEqual(splitList(['pods, services', 'pods', 'deploy']), ['pods', 'services', 'deploy'])
    assert.deepEqual(splitList(undefined), [])
  })
  it('validateVerbs accepts special verbs a resource supports', () => {
    const res = [{...r('pods'), verbs: [...RW, 'use']}]
    assert.deepEqual(validateVerbs(['use', 'get'], res, false), ['get', 'use'])
  })
})
