// Checks the dockerode calls kaos relies on against the test bed's Docker API
// (DOCKER_HOST from .testbed/docker.env). Run: node test/docker/dockerode-check.cjs
// dockerode is resolved from NODE_PATH or the repo's node_modules.
'use strict';
const path = require('path');
const zlib = require('zlib');
const Docker = require(require.resolve('dockerode', {
  paths: [process.cwd(), path.join(__dirname, '..', '..'), ...(process.env.NODE_PATH || '').split(':').filter(Boolean)],
}));

const BUSYBOX = process.env.KAOS_TESTBED_BUSYBOX_IMAGE || 'localhost/kaos-test/busybox:1';
const docker = new Docker(); // honours DOCKER_HOST=unix://...
let passed = 0, failed = 0;
async function check(name, fn) {
  const t0 = Date.now();
  try { await fn(); passed++; console.log(`ok   ${name} (${Date.now() - t0} ms)`); }
  catch (e) { failed++; console.log(`FAIL ${name}: ${e && e.stack || e}`); }
}
function assert(c, msg) { if (!c) throw new Error(msg); }

// Minimal ustar writer (no extra dependency): [{name, data, mode}]
function tarBuffer(files) {
  const blocks = [];
  for (const f of files) {
    const data = Buffer.from(f.data);
    const h = Buffer.alloc(512);
    h.write(f.name, 0, 100);
    h.write(((f.mode || 0o644).toString(8)).padStart(7, '0') + '\0', 100);
    h.write('0000000\0', 108); h.write('0000000\0', 116);
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write(Math.floor(Date.now() / 1000).toString(8).padStart(11, '0') + '\0', 136);
    h.write('        ', 148); h.write('0', 156); h.write('ustar\0', 257); h.write('00', 263);
    let sum = 0; for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
function tarEntries(buf) { // name -> Buffer
  const out = {}; let off = 0;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const name = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const size = parseInt(h.toString('utf8', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
    out[name] = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
function build(tarStreamOrBuf, opts) {
  return new Promise((resolve, reject) => {
    docker.buildImage(tarStreamOrBuf, opts, (err, stream) => {
      if (err) return reject(err);
      const events = [];
      docker.modem.followProgress(stream, (err2, output) => resolve({ err: err2, output, events }), (ev) => events.push(ev));
    });
  });
}
function streamToBuffer(s) {
  return new Promise((res, rej) => { const c = []; s.on('data', (d) => c.push(d)); s.on('end', () => res(Buffer.concat(c))); s.on('error', rej); });
}

(async () => {
  await check('ping + version', async () => {
    const p = await docker.ping();
    assert(String(p) === 'OK', `ping ${p}`);
    const v = await docker.version();
    assert(v.ApiVersion === '1.41', `api ${v.ApiVersion}`);
  });

  const tag = 'localhost/kaos-test/dockerode-ok:1';
  await check('buildImage(tar buffer) + followProgress', async () => {
    const ctx = tarBuffer([
      { name: 'Dockerfile', data: `FROM ${BUSYBOX}\nCOPY hello.txt /hello.txt\nRUN echo built > /built.txt\nCMD ["cat","/hello.txt"]\n` },
      { name: 'hello.txt', data: 'hello from dockerode\n' },
    ]);
    const r = await build(ctx, { t: tag });
    assert(!r.err, `followProgress err ${r.err}`);
    const errs = r.output.filter((e) => e.error || e.errorDetail);
    assert(errs.length === 0, `error events ${JSON.stringify(errs)}`);
    const ids = r.output.filter((e) => e.aux && e.aux.ID);
    console.log(`     events: ${r.output.length}, stream lines e.g. ${JSON.stringify(r.output.find((e) => e.stream))}, aux: ${JSON.stringify(ids[0])}`);
    const info = await docker.getImage(tag).inspect();
    assert(info.RepoTags.includes(tag), `RepoTags ${info.RepoTags}`);
  });

  await check('buildImage({context, src}) form + gzip stream', async () => {
    const fs = require('fs'); const os = require('os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kaos-dctx-'));
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${BUSYBOX}\nCOPY a.txt /a.txt\n`);
    fs.writeFileSync(path.join(dir, 'a.txt'), 'a\n');
    const r = await build({ context: dir, src: ['Dockerfile', 'a.txt'] }, { t: 'localhost/kaos-test/dockerode-src:1' });
    assert(!r.err && !r.output.some((e) => e.errorDetail), JSON.stringify(r.output.slice(-3)));
    const gz = zlib.gzipSync(tarBuffer([{ name: 'Dockerfile', data: `FROM ${BUSYBOX}\nRUN true\n` }]));
    const r2 = await build(gz, { t: 'localhost/kaos-test/dockerode-gz:1' });
    assert(!r2.err && !r2.output.some((e) => e.errorDetail), 'gzip context: ' + JSON.stringify(r2.output.slice(-3)));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  await check('failing RUN step -> errorDetail event (callback err is null)', async () => {
    const ctx = tarBuffer([{ name: 'Dockerfile', data: `FROM ${BUSYBOX}\nRUN echo about to fail && exit 3\n` }]);
    const r = await build(ctx, { t: 'localhost/kaos-test/dockerode-bad:1' });
    const e = r.output.find((x) => x.errorDetail || x.error);
    assert(e, 'no error event: ' + JSON.stringify(r.output));
    console.log(`     callback err: ${r.err}; error event: ${JSON.stringify(e)}`);
    let exists = true; try { await docker.getImage('localhost/kaos-test/dockerode-bad:1').inspect(); } catch { exists = false; }
    assert(!exists, 'failed build left a tagged image');
  });

  // NB: podman resolves a short name against local images by suffix, so
  // `FROM python:3.11-slim` finds localhost/kaos-test/python:3.11-slim here.
  await check('FROM python:3.11-slim resolves to the local kaos-test base (podman short-name match)', async () => {
    const ctx = tarBuffer([{ name: 'Dockerfile', data: 'FROM python:3.11-slim\nRUN python3 -c "import mcp.server.fastmcp"\n' }]);
    const r = await build(ctx, { t: 'localhost/kaos-test/dockerode-shortname:1' });
    assert(!r.err && !r.output.some((e) => e.errorDetail), JSON.stringify(r.output.slice(-3)));
    await docker.getImage('localhost/kaos-test/dockerode-shortname:1').remove({ force: true });
  });

  await check('FROM a missing image fails fast (nothing can be pulled)', async () => {
    const ctx = tarBuffer([{ name: 'Dockerfile', data: 'FROM kaos-test-missing-base:0\nRUN true\n' }]);
    const r = await build(ctx, { t: 'localhost/kaos-test/dockerode-nobase:1' });
    const e = r.output.find((x) => x.errorDetail || x.error);
    console.log(`     callback err: ${r.err}; error event: ${JSON.stringify(e)}`);
    assert(e || r.err, 'expected an error');
  });

  await check('unqualified tag t=kaos-mcp-x:dev is stored as docker.io/library/kaos-mcp-x:dev', async () => {
    const ctx = tarBuffer([{ name: 'Dockerfile', data: `FROM ${BUSYBOX}\nRUN true\n` }]);
    const r = await build(ctx, { t: 'kaos-mcp-x:dev' });
    assert(!r.output.some((e) => e.errorDetail), JSON.stringify(r.output.slice(-2)));
    const info = await docker.getImage('kaos-mcp-x:dev').inspect();
    console.log(`     RepoTags: ${JSON.stringify(info.RepoTags)}`);
    assert(info.RepoTags.includes('docker.io/library/kaos-mcp-x:dev'), 'RepoTags ' + info.RepoTags);
    const imgs = await docker.listImages({ filters: { reference: ['kaos-mcp-x'] } });
    console.log(`     listImages(reference=kaos-mcp-x): ${JSON.stringify(imgs.map((i) => i.RepoTags))}`);
    const tar = tarEntries(await streamToBuffer(await docker.getImage('kaos-mcp-x:dev').get()));
    const mt = JSON.parse(tar['manifest.json']).map((m) => m.RepoTags);
    console.log(`     image.get() manifest RepoTags: ${JSON.stringify(mt)}`);
    assert(JSON.stringify(mt).includes('docker.io/library/kaos-mcp-x:dev'), 'manifest RepoTags');
  });

  await check('image.get() returns a docker-archive tar', async () => {
    const buf = await streamToBuffer(await docker.getImage(tag).get());
    const ent = tarEntries(buf);
    assert(ent['manifest.json'], 'no manifest.json; entries: ' + Object.keys(ent).join(','));
    const m = JSON.parse(ent['manifest.json']);
    console.log(`     ${buf.length} bytes; entries: ${Object.keys(ent).slice(0, 6).join(', ')}...; manifest: ${JSON.stringify(m.map((x) => ({ RepoTags: x.RepoTags, Layers: x.Layers.length })))}`);
    assert(m[0].RepoTags.includes(tag), 'RepoTags ' + m[0].RepoTags);
    assert(ent['repositories'] !== undefined, 'no repositories file');
  });

  await check('createContainer + start + wait + logs + remove', async () => {
    const c = await docker.createContainer({ Image: tag, name: 'kaos-dockerode-check', Env: ['X=1'], Cmd: ['sh', '-c', 'cat /hello.txt; echo X=$X; cat /built.txt'] });
    await c.start();
    const w = await c.wait();
    const logs = (await c.logs({ stdout: true, stderr: true })).toString('latin1');
    await c.remove({ force: true });
    assert(w.StatusCode === 0, 'exit ' + JSON.stringify(w));
    assert(/hello from dockerode/.test(logs) && /X=1/.test(logs) && /built/.test(logs), 'logs: ' + JSON.stringify(logs));
  });

  await check('container with published port answers on 127.0.0.1', async () => {
    const c = await docker.createContainer({
      Image: BUSYBOX, name: 'kaos-dockerode-port',
      Cmd: ['sh', '-c', 'mkdir /www && echo pong > /www/ping && exec httpd -f -p 8000 -h /www'],
      ExposedPorts: { '8000/tcp': {} },
      HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '18001' }] } },
    });
    try {
      await c.start();
      let body = '';
      for (let i = 0; i < 40 && body.trim() !== 'pong'; i++) {
        try { body = await (await fetch('http://127.0.0.1:18001/ping')).text(); } catch { await new Promise((r) => setTimeout(r, 250)); }
      }
      assert(body.trim() === 'pong', 'body ' + JSON.stringify(body));
    } finally { await c.remove({ force: true }); }
  });

  const reg = process.env.KAOS_TESTBED_REGISTRY; // localhost:5001 from docker.env
  if (reg) {
    await check(`tag + push to the local registry ${reg}`, async () => {
      await docker.getImage(tag).tag({ repo: `${reg}/kaos-test/dockerode-ok`, tag: 'push1' });
      const out = await new Promise((res, rej) => docker.getImage(`${reg}/kaos-test/dockerode-ok:push1`).push({})
        .then((s) => docker.modem.followProgress(s, (e, o) => (e ? rej(e) : res(o)))).catch(rej));
      assert(!out.some((e) => e.errorDetail), JSON.stringify(out));
      const tags = await (await fetch(`http://${reg}/v2/kaos-test/dockerode-ok/tags/list`)).json();
      assert(tags.tags && tags.tags.includes('push1'), JSON.stringify(tags));
      await docker.getImage(`${reg}/kaos-test/dockerode-ok:push1`).remove();
    });
    await check('push to an unreachable registry -> errorDetail event', async () => {
      await docker.getImage(tag).tag({ repo: 'localhost:5999/kaos-test/dockerode-ok', tag: 'x' });
      const out = await new Promise((res, rej) => docker.getImage('localhost:5999/kaos-test/dockerode-ok:x').push({})
        .then((s) => docker.modem.followProgress(s, (e, o) => (e ? rej(e) : res(o)))).catch(rej));
      const e = out.find((x) => x.errorDetail);
      console.log(`     error event: ${JSON.stringify(e && e.errorDetail)}`);
      assert(e, JSON.stringify(out));
      await docker.getImage('localhost:5999/kaos-test/dockerode-ok:x').remove();
    });
  } else console.log('skip push checks (KAOS_TESTBED_REGISTRY unset)');

  for (const t of [tag, 'localhost/kaos-test/dockerode-src:1', 'localhost/kaos-test/dockerode-gz:1', 'kaos-mcp-x:dev']) {
    try { await docker.getImage(t).remove({ force: true }); } catch { /* ignore */ }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
