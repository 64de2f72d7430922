/**
 * Live fuzz (seeded, reproducible with FUZZ_SEED): ≥ 20,000 generated and mutated frames and
 * ~1,500 HTTP requests against a real server process while two honest clients chat. Every bad
 * frame is answered with a contract error code or closed with a contract close code; nothing
 * answers `internal` or 500; the server never crashes; its RSS (from /proc) stays bounded; every
 * honest send is acked and delivered.
 */
import { HttpStatus } from '@miniim/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rssMb, spawnServer } from '../support/process.js';
import { httpJson, TestClient, tempDir } from '../support/server.js';

const SEED = Number(process.env.FUZZ_SEED ?? 1412);
const FRAMES = 20_000;
const HTTP_REQUESTS = 1500;
const WORKERS = 8;
const RSS_BOUND_MB = 400;
/** Every contract error code but `internal` and `unavailable` (nothing here may break the server or its storage). */
const ERROR_CODES = new Set(Object.keys(HttpStatus).filter((c) => c !== 'internal' && c !== 'unavailable'));
const CLOSE_CODES = new Set([1007, 1009, 1013, 4429]);
const HTTP_STATUSES = new Set([200, 201, 204, 400, 401, 403, 404, 409, 413, 415, 422, 429]);

const id = fc.oneof(fc.constantFrom('alice', 'bob', 'fuzzer', 'team', 'system', 'nobody'), fc.string({ maxLength: 70 }));
const conv = fc.oneof(fc.constantFrom('d:alice:bob', 'd:bob:fuzzer', 'g:team', 'g:nope', 'd:a:a'), fc.string());
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.string(), fc.integer(), fc.constant(null));
const frameArb = fc.record(
  {
    op: fc.oneof(fc.constantFrom('send', 'read', 'history', 'convs', 'recall', 'typing', 'presence', 'ping'), fc.string({ maxLength: 10 })),
    rid: fc.oneof(fc.string({ maxLength: 80 }), fc.integer()),
    to: fc.oneof(
      id.map((u) => `u:${u}`),
      id.map((g) => `g:${g}`),
      anyValue,
    ),
    clientMsgId: fc.oneof(fc.string({ maxLength: 80 }), anyValue),
    kind: fc.oneof(fc.constantFrom('text', 'image', 'video', 'audio', 'file', 'custom', 'system'), fc.string()),
    body: fc.oneof(
      fc.record({ text: fc.string({ maxLength: 6000 }) }, { requiredKeys: [] }),
      fc.record({ url: fc.oneof(fc.webUrl(), fc.string()), name: fc.string(), size: anyValue }, { requiredKeys: [] }),
      anyValue,
    ),
    conv,
    seq: fc.oneof(fc.integer(), fc.double(), anyValue),
    before: anyValue,
    after: anyValue,
    limit: fc.oneof(fc.integer({ min: -5, max: 500 }), anyValue),
    cursor: anyValue,
    users: fc.oneof(fc.array(id, { maxLength: 600 }), anyValue),
    watch: anyValue,
  },
  { requiredKeys: [] },
);

/** Raw text frames: JSON of a generated frame, sometimes cut, edited, deeply nested or oversized. */
const rawArb = fc.tuple(frameArb, fc.nat(100), fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([f, roll, pos, junk]) => {
  const text = JSON.stringify(f);
  if (roll < 3) return text.slice(0, pos % text.length); // cut: not JSON → 1007
  if (roll < 5) return text.slice(0, pos % text.length) + junk + text.slice(pos % text.length);
  if (roll < 7) return `${'['.repeat(2000 + (pos % 20_000))}${']'.repeat(2000 + (pos % 20_000))}`;
  if (roll < 8) return JSON.stringify({ op: 'ping', pad: 'x'.repeat(70_000) }); // over the frame limit → 1009
  if (roll < 12)
    return JSON.stringify({
      ...f,
      op: 'send',
      kind: 'custom',
      body: { d: JSON.parse(`${'{"a":'.repeat(100 + (pos % 3000))}1${'}'.repeat(100 + (pos % 3000))}`) },
    });
  return text;
});

interface Tally {
  frames: number;
  errors: Map<string, number>;
  closes: Map<number, number>;
  problems: string[];
}

async function fuzzWorker(wsUrl: string, frames: string[], t: Tally): Promise<void> {
  let client = await TestClient.connect(wsUrl);
  let n = 0;
  for (const raw of frames) {
    const rid = `fz${++n}`;
    const start = client.frames.length;
    client.sendRaw(raw);
    client.send({ op: 'ping', rid });
    const outcome = await Promise.race([
      client.waitFor((f) => f.rid === rid && f.op === 'pong', 10_000).then(() => 'pong' as const),
      client.waitClose(10_000).then((code) => code),
    ]).catch((e: Error) => `timeout: ${e.message.slice(0, 200)}`);
    t.frames++;
    for (const f of client.frames.slice(start)) {
      if (f.op !== 'error') continue;
      t.errors.set(f.code, (t.errors.get(f.code) ?? 0) + 1);
      if (!ERROR_CODES.has(f.code)) t.problems.push(`error ${f.code} for ${raw.slice(0, 200)}`);
    }
    if (typeof outcome === 'string' && outcome !== 'pong') {
      t.problems.push(`${outcome} after ${raw.slice(0, 200)}`);
      return;
    }
    if (typeof outcome === 'number') {
      t.closes.set(outcome, (t.closes.get(outcome) ?? 0) + 1);
      if (!CLOSE_CODES.has(outcome)) t.problems.push(`close ${outcome} after ${raw.slice(0, 200)}`);
      client = await TestClient.connect(wsUrl);
    }
    // Keep the received-frame log small.
    if (client.frames.length > 2000) client.frames.splice(0, client.frames.length);
  }
  client.close();
}

const routes: Array<[string, string]> = [
  ['POST', '/api/auth/dev'],
  ['GET', '/api/me'],
  ['PATCH', '/api/me'],
  ['GET', '/api/users/{id}'],
  ['GET', '/api/users?ids={id},{id}'],
  ['GET', '/api/conversations?limit={n}&cursor={s}'],
  ['GET', '/api/conversations/{conv}/messages?before={n}&limit={n}'],
  ['GET', '/api/conversations/{conv}/peer-read'],
  ['POST', '/api/conversations/{conv}/read'],
  ['POST', '/api/messages'],
  ['POST', '/api/groups'],
  ['GET', '/api/groups/{id}'],
  ['PATCH', '/api/groups/{id}'],
  ['GET', '/api/groups/{id}/members?limit={n}&cursor={s}'],
  ['POST', '/api/groups/{id}/members'],
  ['DELETE', '/api/groups/{id}/members/{id}'],
  ['GET', '/api/groups/{id}/reads?seq={n}'],
  ['POST', '/api/groups/{id}/transfer'],
  ['GET', '/api/presence?users={id},{id}'],
  ['POST', '/api/media'],
  ['GET', '/media/{s}'],
  ['POST', '/api/auth/wechat'],
];
const httpArb = fc.record({
  route: fc.constantFrom(...routes),
  ids: fc.array(id, { minLength: 3, maxLength: 3 }),
  conv,
  n: fc.oneof(fc.integer(), fc.string({ maxLength: 5 })),
  s: fc.string({ maxLength: 30 }),
  body: fc.oneof(frameArb, anyValue, fc.constant(undefined)),
  withToken: fc.boolean(),
  raw: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 200 })),
});

describe(`live fuzz (seed ${SEED})`, () => {
  it(`${FRAMES} frames and ${HTTP_REQUESTS} HTTP requests: contract answers only, no crash, bounded RSS, honest acks all arrive`, async () => {
    const p = await spawnServer({ MINIIM_DATA_DIR: tempDir(), MINIIM_RATE_LIMITS: 'off', MINIIM_LOG_LEVEL: 'info' });
    const pid = p.child.pid!;
    const login = async (userId: string) => (await httpJson(p.url, 'POST', '/api/auth/dev', { body: { userId } })).body.token as string;
    const ws = (token: string) => `${p.url.replace('http', 'ws')}/ws?token=${encodeURIComponent(token)}`;
    const [ta, tb, tf] = [await login('alice'), await login('bob'), await login('fuzzer')];
    expect((await httpJson(p.url, 'POST', '/api/groups', { token: ta, body: { name: 'team', members: ['bob', 'fuzzer'] } })).status).toBe(200);
    const alice = await TestClient.connect(ws(ta));
    const bob = await TestClient.connect(ws(tb));

    // Generated up front: sampling blocks this process for seconds on a loaded machine, which
    // would starve the honest client's reply timers.
    const frames = fc.sample(fc.oneof({ weight: 3, arbitrary: frameArb.map((f) => JSON.stringify(f)) }, { weight: 2, arbitrary: rawArb }), {
      seed: SEED,
      numRuns: FRAMES,
    });
    const reqs = fc.sample(httpArb, { seed: SEED + 1, numRuns: HTTP_REQUESTS });
    // Honest traffic for the whole run.
    let running = true;
    let acked = 0;
    const honest = (async () => {
      let i = 0;
      while (running) {
        // Acks must all arrive, not arrive fast: a 2-core machine running other suites beside the fuzzer can take seconds.
        const ack = await alice.request({ op: 'send', to: 'u:bob', clientMsgId: `h${i++}`, kind: 'text', body: { text: `honest ${i}` } }, 20_000);
        if (ack.op !== 'ack') throw new Error(`honest send refused: ${JSON.stringify(ack)}`);
        acked++;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    let maxRss = rssMb(pid);
    const sampler = setInterval(() => {
      maxRss = Math.max(maxRss, rssMb(pid));
    }, 100);

    const tally: Tally = { frames: 0, errors: new Map(), closes: new Map(), problems: [] };
    const per = Math.ceil(frames.length / WORKERS);
    const started = Date.now();
    const wsRun = Promise.all(Array.from({ length: WORKERS }, (_, w) => fuzzWorker(ws(tf), frames.slice(w * per, (w + 1) * per), tally))).then(
      () => Date.now() - started,
    );

    // HTTP routes, at the same time.
    const statuses = new Map<number, number>();
    const httpProblems: string[] = [];
    for (let i = 0; i < reqs.length; i += 8) {
      await Promise.all(
        reqs.slice(i, i + 8).map(async (r) => {
          let k = 0;
          const route = r.route[1].replace(/\{(id|conv|n|s)\}/g, (_m, what: string) =>
            encodeURIComponent(String(what === 'id' ? r.ids[k++ % 3] : what === 'conv' ? r.conv : what === 'n' ? r.n : r.s)),
          );
          const payload = r.route[0] === 'GET' ? {} : r.raw !== undefined ? { raw: r.raw } : r.body !== undefined ? { body: r.body } : {};
          const opts = { token: r.withToken ? tf : undefined, ...payload };
          const res = await httpJson(p.url, r.route[0], route, opts).catch((e: Error) => ({ status: -1, body: e.message }));
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const code = res.body?.error?.code;
          if (!HTTP_STATUSES.has(res.status) || (res.status >= 400 && !ERROR_CODES.has(code))) {
            httpProblems.push(`${r.route[0]} ${route} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
          }
        }),
      );
    }

    const wsMs = await wsRun;
    running = false;
    await honest;
    clearInterval(sampler);
    await new Promise((r) => setTimeout(r, 200));
    const delivered = bob.msgs('d:alice:bob').filter((m) => m.from === 'alice' && /^honest/.test(m.body.text)).length;
    console.log(
      `fuzz seed ${SEED}: ${tally.frames} frames in ${wsMs} ms, errors ${JSON.stringify(Object.fromEntries(tally.errors))}, closes ${JSON.stringify(
        Object.fromEntries(tally.closes),
      )}; HTTP ${JSON.stringify(Object.fromEntries(statuses))}; honest acked ${acked}, delivered ${delivered}; max RSS ${maxRss.toFixed(0)} MB`,
    );
    expect(tally.problems.slice(0, 5)).toEqual([]);
    expect(httpProblems.slice(0, 5)).toEqual([]);
    expect(tally.frames).toBeGreaterThanOrEqual(FRAMES);
    expect(p.child.exitCode).toBeNull();
    expect(maxRss).toBeLessThan(RSS_BOUND_MB);
    expect(acked).toBeGreaterThan(10);
    expect(delivered).toBe(acked);
    expect(p.stdout()).not.toMatch(/"level":(50|60)/);
  }, 240_000); // ~30 s on a quiet machine; the bound only catches a hang
});
