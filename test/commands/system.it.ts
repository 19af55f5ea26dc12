// kaos system install / uninstall / runtimes / status / create-rbac against the real control plane
// (test/cluster). Every test uses its own system namespace and namespaces: the cluster is shared.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {type CliResult, runCli, tempDir} from '../helpers/cli.js'
import {admin, createNamespace, deleteNamespace, writeKubeconfig} from '../helpers/kube.js'
import {requireTestbed, testKubeconfig, uniqueNamespace} from '../helpers/testbed.js'
import {describeOrSkip} from '../helpers/mocha.js'
import {ensureOwnImages} from '../helpers/own-images.js'

const skip = requireTestbed('cluster')
const KC = testKubeconfig() ?? ''

function kaos(args: string[], opts: {timeoutMs?: number; kubeconfig?: string; env?: Record<string, string | undefined>} = {}): Promise<CliResult> {
  return runCli([...args, '--kubeconfig', opts.kubeconfig ?? KC], {timeoutMs: opts.timeoutMs ?? 90_000, env: opts.env})
}

function json(r: CliResult, code = 0): any {
  assert.equal(r.code, code, `exit ${r.code}: ${r.stderr}\n${r.stdout}`)
  return JSON.parse(r.stdout)
}

function file(name: string, text: string): string {
  const p = join(tempDir(), name)
  writeFileSync(p, text)
  return p
}

/** Ask the real authorizer whether the service account may do something. */
async function can(saNamespace: string, sa: string, attrs: {verb: string; resource: string; group?: string; namespace?: string; subresource?: string}): Promise<boolean> {
  const res = await admin().request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: `system:serviceaccount:${saNamespace}:${sa}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${saNamespace}`, 'system:authenticated'],
        resourceAttributes: {group: attrs.group ?? '', ...attrs},
      },
    },
  })
  return res.status.allowed === true
}

async function gone(path: string): Promise<boolean> {
  const o = await admin().get(path)
  return !o || Boolean(o.metadata?.deletionTimestamp)
}

describeOrSkip('kaos system install / runtimes / uninstall', skip, function () {
  this.timeout(300_000)
  const sys = uniqueNamespace('kaos-sys')
  before(async () => ensureOwnImages(['rawpython']))
  after(async () => deleteNamespace(sys))

  it('install creates the namespace and registry ConfigMap; runtimes shows SOURCE=cluster; a second install is unchanged; uninstall leaves nothing', async () => {
    const team = file('team.yaml', 'runtimes:\n  weather:\n    type: python\n    image: example.com/weather:latest\n    description: Weather tools\n')
    const first = json(await kaos(['system', 'install', '--system-namespace', sys, '--registry', team, '--wait', '--json']))
    assert.deepEqual(first.results.map((r: any) => `${r.kind}:${r.action}`), ['Namespace:created', 'ConfigMap:created'])
    assert.deepEqual(first.runtimes, ['chroma', 'custom', 'discord', 'fetch', 'filesystem', 'gateway', 'github', 'google-cloud', 'kubernetes', 'memory', 'rawpython', 'slack', 'weather'])
    const cm = await admin().get(`/api/v1/namespaces/${sys}/configmaps/kaos-mcp-runtimes`)
    assert.equal(cm.metadata.labels['app.kubernetes.io/managed-by'], 'kaos')
    assert.equal(cm.metadata.labels['kaos.tools/component'], 'system')
    assert.match(cm.data['runtimes.yaml'], /weather:/)
    assert.ok(cm.metadata.managedFields.some((f: any) => f.manager === 'kaos' && f.operation === 'Apply'), 'written with server-side apply by kaos')

    const again = await kaos(['system', 'install', '--system-namespace', sys, '--registry', team])
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /^namespace\/.+ unchanged$/m)
    assert.match(again.stdout, /^configmap\/kaos-mcp-runtimes unchanged$/m)

    // runtimes: every entry now comes from the cluster ConfigMap, shadowing the built-in one.
    const rt = json(await kaos(['system', 'runtimes', '--system-namespace', sys, '--json']))
    const origin = `cluster:${sys}/kaos-mcp-runtimes`
    for (const r of rt.runtimes) assert.equal(r.origin, origin, r.name)
    assert.deepEqual(rt.runtimes.find((r: any) => r.name === 'rawpython').shadows, ['builtin'])
    assert.deepEqual(rt.runtimes.find((r: any) => r.name === 'weather').shadows, [])
    assert.deepEqual(rt.cluster, {configMap: `${sys}/kaos-mcp-runtimes`, present: true})
    const table = await kaos(['system', 'runtimes', '--system-namespace', sys])
    assert.match(table.stdout, new RegExp(`^rawpython\\s+python\\s+http\\s+cluster:${sys}/kaos-mcp-runtimes\\s+builtin\\s`, 'm'))
    // --offline: the cluster is not asked.
    const offline = json(await kaos(['system', 'runtimes', '--system-namespace', sys, '--offline', '--json']))
    assert.equal(offline.runtimes.find((r: any) => r.name === 'rawpython').origin, 'builtin')
    assert.equal(offline.runtimes.find((r: any) => r.name === 'weather'), undefined)

    // status sees the registry, what it adds, and warns about the unpinned image.
    const st = json(await kaos(['system', 'status', '--system-namespace', sys, '-n', sys, '--json']))
    assert.equal(st.registry.present, true)
    assert.deepEqual(st.registry.added, ['weather'])
    assert.deepEqual(st.registry.sameAsBuiltin, ['chroma', 'custom', 'discord', 'fetch', 'filesystem', 'gateway', 'github', 'google-cloud', 'kubernetes', 'memory', 'rawpython', 'slack'])
    assert.ok(st.warnings.some((w: string) => /runtime "weather" .* uses image "example.com\/weather:latest" without a pinned tag/.test(w)), st.warnings.join('\n'))

    // uninstall --all-workloads: lists them, and in CI refuses without --yes, before deleting anything …
    const wl = uniqueNamespace('sys-wl')
    await createNamespace(wl)
    try {
      const d = await kaos(['mcp', 'deploy', 'keep', '--runtime', 'rawpython', '--params', 'def f() -> int:\n    return 1\n', '-n', wl])
      assert.equal(d.code, 0, d.stderr)
      const refused = await kaos(['system', 'uninstall', '--system-namespace', sys, '--all-workloads'], {env: {CI: 'true'}})
      assert.equal(refused.code, 2, refused.stderr)
      assert.match(refused.error ?? '', /--all-workloads would delete \d+ kaos workloads? in all namespaces; refusing to ask without a terminal \(CI is set\): pass --yes to confirm/)
      assert.match(refused.stderr, new RegExp(`MCPServer +${wl} +keep`))
      assert.ok(await admin().get(`/api/v1/namespaces/${sys}/configmaps/kaos-mcp-runtimes`), 'nothing deleted after a refusal')
      const dry = json(await kaos(['system', 'uninstall', '--system-namespace', sys, '--all-workloads', '--dry-run', '--json']))
      assert.ok(dry.workloads.some((w: any) => w.namespace === wl && w.name === 'keep'))
      assert.ok(await admin().get(`/apis/apps/v1/namespaces/${wl}/deployments/mcpserver-keep`), 'dry run deletes no workload')
      // … and plain uninstall removes what install created, leaving workloads running (with a warning).
      const un = json(await kaos(['system', 'uninstall', '--system-namespace', sys, '--wait', '--json']))
      assert.deepEqual(un.results.map((r: any) => `${r.kind}:${r.action}`), ['ConfigMap:deleted', 'Namespace:deleted'])
      assert.match(un.warnings.join('\n'), /kaos workloads? keeps? running .*pass --all-workloads/)
      assert.ok(await admin().get(`/apis/apps/v1/namespaces/${wl}/deployments/mcpserver-keep`))
    } finally {
      await deleteNamespace(wl)
    }
    assert.equal(await admin().get(`/api/v1/namespaces/${sys}`), undefined, 'namespace gone after --wait')
    const rt2 = json(await kaos(['system', 'runtimes', '--system-namespace', sys, '--json']))
    assert.ok(rt2.runtimes.every((r: any) => r.origin === 'builtin'))
    const un2 = json(await kaos(['system', 'uninstall', '--system-namespace', sys, '--json']))
    assert.deepEqual(un2.results.map((r: any) => `${r.kind}:${r.action}`), ['ConfigMap:absent', 'Namespace:absent'])
  })

  it('never relabels or deletes a namespace kaos did not create', async () => {
    const ns = uniqueNamespace('foreign')
    await createNamespace(ns)
    try {
      const r = json(await kaos(['system', 'install', '--system-namespace', ns, '--json']))
      assert.equal(r.results[0].action, 'unchanged')
      assert.match(r.results[0].note, /not managed by kaos/)
      assert.equal((await admin().get(`/api/v1/namespaces/${ns}`)).metadata.labels?.['app.kubernetes.io/managed-by'], undefined)
      const un = json(await kaos(['system', 'uninstall', '--system-namespace', ns, '--json']))
      assert.deepEqual(un.results.map((x: any) => `${x.kind}:${x.action}`), ['ConfigMap:deleted', 'Namespace:kept'])
      assert.ok(!(await gone(`/api/v1/namespaces/${ns}`)))
    } finally {
      await deleteNamespace(ns)
    }
  })

  it('--dry-run: client prints the objects offline, server changes nothing', async () => {
    const sys2 = uniqueNamespace('kaos-sys-dry')
    const client = await runCli(['system', 'install', '--system-namespace', sys2, '--dry-run'])
    assert.equal(client.code, 0, client.stderr)
    assert.match(client.stdout, /kind: Namespace[\s\S]*---\n[\s\S]*kind: ConfigMap/)
    const server = json(await kaos(['system', 'install', '--system-namespace', sys2, '--dry-run=server', '--json']))
    assert.deepEqual(server.results.map((r: any) => `${r.kind}:${r.action}`), ['Namespace:created', 'ConfigMap:created'])
    assert.equal(await admin().get(`/api/v1/namespaces/${sys2}`), undefined)
  })

  it('runtimes with an unreachable cluster warns and still lists local runtimes', async () => {
    const r = await kaos(['system', 'runtimes', '--json'], {kubeconfig: writeKubeconfig('https://127.0.0.1:1')})
    const out = json(r)
    assert.ok(out.runtimes.every((x: any) => x.origin === 'builtin'))
    assert.match(out.warnings.join('\n'), /cluster registry kaos-system\/kaos-mcp-runtimes not used: cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:1/)
  })
})

describeOrSkip('kaos system create-rbac (checked with SubjectAccessReview)', skip, function () {
  this.timeout(300_000)
  const a = uniqueNamespace('rbac-a')
  const b = uniqueNamespace('rbac-b')
  const group = `kaos-it-${process.pid}.example.com`
  const crd = `widgets.${group}`
  const short = `wdg${process.pid}`
  before(async () => {
    await createNamespace(a)
    await createNamespace(b)
    await admin().request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: {name: crd},
        spec: {
          group,
          scope: 'Namespaced',
          names: {plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: [short]},
          versions: [{name: 'v1', served: true, storage: true, schema: {openAPIV3Schema: {type: 'object', 'x-kubernetes-preserve-unknown-fields': true}}}],
        },
      },
    })
    // Established, and served through discovery.
    for (let i = 0; i < 60; i++) {
      const c = await admin().get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd}`)
      // Until the group is served, the API server answers its path with a plain-text 404.
      const list = await admin().request<any>('GET', `/apis/${group}/v1`, {allow404: true, missingApiOk: true})
      if (c?.status?.conditions?.some((x: any) => x.type === 'Established' && x.status === 'True') && list?.resources?.length) return
      await sleep(500)
    }
    throw new Error(`CRD ${crd} did not become established`)
  })
  after(async () => {
    await deleteNamespace(a)
    await deleteNamespace(b)
    await admin().request('DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd}`, {allow404: true})
    for (const kind of ['clusterroles', 'clusterrolebindings'])
      await admin().request('DELETE', `/apis/rbac.authorization.k8s.io/v1/${kind}`, {allow404: true, query: {labelSelector: `kaos.tools/rbac-namespace=${a}`}})
  })

  it('--read-only: get/list/watch on the defaults plus pods/log, nothing else, only in its namespace', async () => {
    const r = await kaos(['system', 'create-rbac', 'ro', '-n', a, '--read-only'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^serviceAccountName: mcpserver-ro$/m)
    const sa = 'mcpserver-ro'
    assert.ok(await can(a, sa, {verb: 'get', resource: 'pods', namespace: a}))
    assert.ok(await can(a, sa, {verb: 'list', resource: 'deployments', group: 'apps', namespace: a}))
    assert.ok(await can(a, sa, {verb: 'watch', resource: 'cronjobs', group: 'batch', namespace: a}))
    assert.ok(await can(a, sa, {verb: 'get', resource: 'pods', subresource: 'log', namespace: a}))
    assert.ok(!(await can(a, sa, {verb: 'delete', resource: 'pods', namespace: a})), 'no write verbs')
    assert.ok(!(await can(a, sa, {verb: 'get', resource: 'secrets', namespace: a})), 'no secrets unless asked')
    assert.ok(!(await can(a, sa, {verb: 'create', resource: 'pods', subresource: 'exec', namespace: a})), 'no exec')
    assert.ok(!(await can(a, sa, {verb: 'get', resource: 'pods', namespace: b})), 'not in other namespaces')
    assert.ok(!(await can(a, sa, {verb: 'list', resource: 'nodes'})), 'nothing cluster-scoped')
    const again = json(await kaos(['system', 'create-rbac', 'ro', '-n', a, '--read-only', '--json']))
    assert.ok(again.results.every((x: any) => x.action === 'unchanged'), JSON.stringify(again.results))
    assert.equal(again.serviceAccountName, 'mcpserver-ro')
  })

  it('--namespaces with explicit resources and verbs grants exactly that; a re-run prunes what is no longer asked', async () => {
    const sa = 'mcpserver-ops'
    const r = json(await kaos(['system', 'create-rbac', 'ops', '-n', a, '--namespaces', `${a},${b}`, '--resources', 'deploy,cj', '--verbs', 'get,list,patch', '--json']))
    assert.deepEqual(r.rules, [
      {apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'patch']},
      {apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['get', 'list', 'patch']},
    ])
    for (const ns of [a, b]) {
      assert.ok(await can(a, sa, {verb: 'patch', resource: 'deployments', group: 'apps', namespace: ns}), ns)
      assert.ok(await can(a, sa, {verb: 'get', resource: 'cronjobs', group: 'batch', namespace: ns}), ns)
      assert.ok(!(await can(a, sa, {verb: 'watch', resource: 'deployments', group: 'apps', namespace: ns})), `no watch in ${ns}`)
      assert.ok(!(await can(a, sa, {verb: 'delete', resource: 'deployments', group: 'apps', namespace: ns})), `no delete in ${ns}`)
      assert.ok(!(await can(a, sa, {verb: 'get', resource: 'pods', namespace: ns})), `no pods in ${ns}`)
    }
    // Narrow it to namespace a: the Role and binding in b are pruned.
    const narrowed = json(await kaos(['system', 'create-rbac', 'ops', '-n', a, '--resources', 'deployments', '--verbs', 'get', '--json']))
    assert.deepEqual(narrowed.pruned.map((p: any) => `${p.kind}/${p.namespace}`).sort(), [`Role/${b}`, `RoleBinding/${b}`])
    assert.ok(await can(a, sa, {verb: 'get', resource: 'deployments', group: 'apps', namespace: a}))
    assert.ok(!(await can(a, sa, {verb: 'patch', resource: 'deployments', group: 'apps', namespace: a})))
    assert.ok(!(await can(a, sa, {verb: 'get', resource: 'deployments', group: 'apps', namespace: b})))
    assert.ok(!(await can(a, sa, {verb: 'get', resource: 'cronjobs', group: 'batch', namespace: a})))
  })

  it('--cluster-wide: a ClusterRole, also for cluster-scoped resources', async () => {
    const sa = 'mcpserver-cw'
    const r = json(await kaos(['system', 'create-rbac', 'cw', '-n', a, '--cluster-wide', '--resources', 'nodes,pods', '--json']))
    assert.equal(r.scope, 'cluster')
    assert.deepEqual(r.objects.map((o: any) => o.kind), ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding'])
    assert.ok(await can(a, sa, {verb: 'list', resource: 'nodes'}))
    assert.ok(await can(a, sa, {verb: 'get', resource: 'pods', namespace: b}))
    assert.ok(await can(a, sa, {verb: 'watch', resource: 'pods', namespace: 'kube-system'}))
    assert.ok(!(await can(a, sa, {verb: 'delete', resource: 'pods', namespace: b})))
    assert.ok(!(await can(a, sa, {verb: 'get', resource: 'pods', subresource: 'log', namespace: b})), 'logs only with --read-only or pods/log')
    // Without --cluster-wide, a cluster-scoped resource is refused.
    const refused = await kaos(['system', 'create-rbac', 'cw2', '-n', a, '--resources', 'nodes'])
    assert.equal(refused.code, 2)
    assert.match(refused.error ?? '', /"nodes" \(nodes\) is cluster-scoped/)
  })

  it('resolves a CRD through discovery, and suggests the name for a typo', async () => {
    const sa = 'mcpserver-crd'
    const r = json(await kaos(['system', 'create-rbac', 'crd', '-n', a, '--resources', `widgets.${group}`, '--verbs', 'get', '--json']))
    assert.deepEqual(r.rules, [{apiGroups: [group], resources: ['widgets'], verbs: ['get']}])
    assert.ok(await can(a, sa, {verb: 'get', resource: 'widgets', group, namespace: a}))
    assert.ok(!(await can(a, sa, {verb: 'list', resource: 'widgets', group, namespace: a})))
    const byShort = json(await kaos(['system', 'create-rbac', 'crd', '-n', a, '--resources', short, '--verbs', 'get,list', '--json']))
    assert.deepEqual(byShort.rules, [{apiGroups: [group], resources: ['widgets'], verbs: ['get', 'list']}])
    const typo = await kaos(['system', 'create-rbac', 'crd', '-n', a, '--resources', `widgetz.${group}`])
    assert.equal(typo.code, 2)
    assert.match(typo.error ?? '', /unknown resource "widgetz\..*": API group ".*" has no such resource\. Did you mean "widgets"\?/)
  })

  it('errors: unknown resource (2), missing namespace (8), --read-only with write verbs (2), dry runs write nothing', async () => {
    const unknown = await kaos(['system', 'create-rbac', 'x', '-n', a, '--resources', 'deploymnets'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.error ?? '', /unknown resource "deploymnets".*Did you mean "deployments"\?/)
    const missing = await kaos(['system', 'create-rbac', 'x', '-n', 'no-such-ns-kaos-it'])
    assert.equal(missing.code, 8)
    assert.match(missing.error ?? '', /namespace "no-such-ns-kaos-it" does not exist/)
    const ro = await kaos(['system', 'create-rbac', 'x', '-n', a, '--read-only', '--verbs', 'get,delete'])
    assert.equal(ro.code, 2)
    const client = await kaos(['system', 'create-rbac', 'dry', '-n', a, '--read-only', '--dry-run'])
    assert.equal(client.code, 0, client.stderr)
    assert.match(client.stdout, /kind: Role\n/)
    const server = json(await kaos(['system', 'create-rbac', 'dry', '-n', a, '--dry-run=server', '--json']))
    assert.ok(server.results.every((x: any) => x.action === 'created'))
    assert.equal(await admin().get(`/api/v1/namespaces/${a}/serviceaccounts/mcpserver-dry`), undefined)
    assert.equal(await admin().get(`/apis/rbac.authorization.k8s.io/v1/namespaces/${a}/roles/mcpserver-dry`), undefined)
  })
})

describeOrSkip('kaos system status', skip, function () {
  this.timeout(300_000)
  const ns = uniqueNamespace('status')
  before(async () => {
    await ensureOwnImages(['rawpython'])
    await createNamespace(ns)
  })
  after(async () => deleteNamespace(ns))

  const rawpy = (name: string, image?: string) =>
    file(
      `${name}.yaml`,
      `apiVersion: kaos.tools/v1alpha1\nkind: MCPServer\nmetadata: {name: ${name}}\nspec:\n  runtime: rawpython\n  params: |\n    def add(a: int, b: int) -> int:\n        return a + b\n${image ? `  container:\n    image: ${image}\n` : ''}`,
    )

  it('healthy: reachable, version, context, workloads ready (exit 0)', async () => {
    const d = await kaos(['mcp', 'deploy', '-f', rawpy('ok'), '-n', ns, '--wait', '--timeout', '90s'], {timeoutMs: 120_000})
    assert.equal(d.code, 0, d.stderr)
    const st = json(await kaos(['system', 'status', '-n', ns, '--json']))
    assert.equal(st.cluster.reachable, true)
    assert.match(st.cluster.version, /^v1\.\d+/)
    assert.equal(st.cluster.namespace, ns)
    assert.ok(st.cluster.server.startsWith('https://'))
    assert.deepEqual(st.workloads.map((w: any) => `${w.kind}/${w.name}:${w.health}`), ['MCPServer/ok:Ready'])
    assert.deepEqual(st.summary, [{kind: 'MCPServer', namespace: ns, total: 1, ready: 1, failing: 0}])
    assert.equal(st.healthy, true)
    const text = await kaos(['system', 'status', '-n', ns])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /^Cluster: +https:\/\/\S+ reachable, Kubernetes v1\./m)
    assert.match(text.stdout, new RegExp(`^MCPServer +${ns} +ok +1/1 +Ready`, 'm'))
    assert.match(text.stdout, new RegExp(`^Workloads: +MCPServer in ${ns}: 1/1 ready$`, 'm'))
  })

  it('a crash-looping workload: exit 5 with its first problem, also with --json', async () => {
    const d = await kaos(['mcp', 'deploy', '-f', rawpy('bad', 'kaos-test.invalid/crashloop:1'), '-n', ns])
    assert.equal(d.code, 0, d.stderr)
    let st: any
    for (let i = 0; i < 60; i++) {
      const r = await kaos(['system', 'status', '-n', ns, '--json'])
      if (r.code === 5) {
        st = JSON.parse(r.stdout)
        break
      }
      await sleep(1000)
    }
    assert.ok(st, 'status never reported the crash loop')
    assert.equal(st.healthy, false)
    const bad = st.workloads.find((w: any) => w.name === 'bad')
    assert.equal(bad.health, 'Failing')
    assert.match(bad.problem, /CrashLoopBackOff/)
    assert.equal(st.workloads.find((w: any) => w.name === 'ok').health, 'Ready')
    const text = await kaos(['system', 'status', '-n', ns])
    assert.equal(text.code, 5)
    assert.match(text.error ?? '', new RegExp(`1 workload is failing: MCPServer ${ns}/bad: pod \\S+ container mcp-server: CrashLoopBackOff`))
    assert.match(text.stdout, /bad +0\/1 +Failing +pod .*CrashLoopBackOff/)
  })

  it('an unreachable server: exit 3, one line naming it', async () => {
    const kc = writeKubeconfig('https://127.0.0.1:1')
    const r = await kaos(['system', 'status'], {kubeconfig: kc})
    assert.equal(r.code, 3)
    assert.match(r.error ?? '', /^cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:1 \(context "ctx"\): ECONNREFUSED$/)
    const j = await kaos(['system', 'status', '--json'], {kubeconfig: kc})
    assert.equal(j.code, 3)
    assert.equal(JSON.parse(j.stdout).error.code, 'UNREACHABLE')
  })
})
