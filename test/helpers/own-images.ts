// kaos's own images on the test bed's nodes. They are named kaos.local/kaos-<name>:<version>, which
// no registry serves: as on a kind cluster, a pod runs them only on a node they were loaded into,
// and kaos's preflight stops a deploy whose image is on no node. So suites that deploy them first
// do what a kind user does: `kaos system images build NAME… --kind-load` (the real image, built
// through the podman test bed's Docker API, loaded by the test bed's kind stand-in).
import {join} from 'node:path'

import {kindClusterOf, listNodeImages, nodeHasImage} from '../../src/lib/cluster/nodes.js'
import {builtinRegistry, mergeRegistry} from '../../src/lib/registry.js'
import {selectImages} from '../../src/lib/system/images.js'
import {ROOT, runCli} from './cli.js'
import {admin} from './kube.js'
import {testbedDir, testDockerHost} from './testbed.js'

const done = new Map<string, Promise<void>>()

/**
 * Make sure every node of the test bed holds kaos's images `names` (e.g. `['rawpython']`); builds
 * and loads only those missing, once per test process.
 */
export function ensureOwnImages(names: string[]): Promise<void> {
  const key = [...names].sort().join(',')
  let p = done.get(key)
  if (!p) {
    p = load(names)
    // a failure is not remembered: the next suite tries again and reports its own error
    p.catch(() => done.delete(key))
    done.set(key, p)
  }
  return p
}

async function load(names: string[]): Promise<void> {
  const nodes = await listNodeImages(admin())
  const cluster = kindClusterOf(nodes)
  if (!cluster) throw new Error("the test bed's nodes have no kind:// providerID (started by an older test/cluster/up?): run test/cluster/down && test/cluster/up")
  // The references the built-in registry renders (a stdio runtime's tag carries its package version).
  const refOf = (n: string) => selectImages(mergeRegistry([builtinRegistry()]), [n]).find((i) => i.name === n || i.name === `mcp-${n}`)!.ref
  const missing = names.filter((n) => !nodes.every((node) => nodeHasImage(node, refOf(n))))
  if (missing.length === 0) return
  const dockerHost = testDockerHost()
  if (!dockerHost)
    throw new Error(`kaos's images ${missing.join(', ')} are not on the test bed's nodes, and building them needs the Docker API test bed: run test/docker/up and source .testbed/docker.env (DOCKER_HOST)`)
  const r = await runCli(['system', 'images', 'build', ...missing, '--kind-load', '--kind-cluster', cluster], {
    env: {
      DOCKER_HOST: dockerHost,
      // the kind stand-in, against this test bed
      PATH: `${join(ROOT, 'test', 'cluster', 'bin')}:${process.env.PATH}`,
      KAOS_TESTBED_DIR: testbedDir(),
    },
    timeoutMs: 20 * 60_000,
  })
  if (r.code !== 0) throw new Error(`kaos system images build ${missing.join(' ')} --kind-load failed (exit ${r.code}):\n${r.stderr.split('\n').slice(-15).join('\n')}`)
  const after = await listNodeImages(admin())
  for (const n of missing) {
    const ref = refOf(n)
    const without = after.filter((node) => !nodeHasImage(node, ref)).map((node) => node.name)
    if (without.length > 0) throw new Error(`${ref} was built and loaded, yet nodes ${without.join(', ')} do not list it`)
  }
}
