/**
 * The OpenAPI document (issue 17 item 5): every route the server registers appears in
 * `/api/openapi.json` with its methods, every API route is described (summary, answer),
 * nothing is described that does not exist, and each example request of docs/protocol.md
 * validates against the document — and is accepted by the running server.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { routeDoc } from '../../src/http/openapi.js';
import { startServer } from '../support/server.js';
import { startWechatServer } from '../support/wechat-server.js';

const REPO = path.resolve(import.meta.dirname, '../../../..');

type Spec = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown> } };

const toOpenApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

/** Whether a route is part of the API (and so must be described), not the web page's static files. */
const isApi = (url: string) => /^\/(api|media)\/|^\/(healthz|readyz|metrics)$/.test(url);

interface Example {
  method: string;
  path: string;
  query: URLSearchParams;
  body?: unknown;
}

/** The ```http blocks of docs/protocol.md. */
function examples(): Example[] {
  const md = readFileSync(path.join(REPO, 'docs/protocol.md'), 'utf8');
  return [...md.matchAll(/```http\n([\s\S]*?)```/g)].map((m) => {
    const [head, ...rest] = m[1]!.split('\n\n');
    const [method, target] = head!.split('\n')[0]!.split(' ') as [string, string];
    const u = new URL(target, 'http://x');
    const body = rest.join('\n\n').trim();
    return { method, path: u.pathname, query: u.searchParams, ...(body ? { body: JSON.parse(body) } : {}) };
  });
}

/** The document's path template matching a concrete path, with the path parameters. */
function match(spec: Spec, p: string): { template: string; params: Record<string, string> } | undefined {
  for (const template of Object.keys(spec.paths)) {
    const names: string[] = [];
    const re = new RegExp(
      `^${template.replace(/\{(\w+)\}/g, (_m, n: string) => {
        names.push(n);
        return '([^/]+)';
      })}$`,
    );
    const m = re.exec(p);
    if (m) return { template, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) };
  }
  return undefined;
}

/** A validator of a schema of the document (its `#/components/…` references resolved). */
function compiler(spec: Spec) {
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: true });
  ajv.addSchema({ $id: 'spec', components: spec.components });
  const local = (s: unknown) => JSON.parse(JSON.stringify(s).replaceAll('"#/components/', '"spec#/components/'));
  return (schema: unknown) => ajv.compile(local(schema));
}

describe('OpenAPI document', () => {
  it('lists every registered route with its methods, and describes every API route', async () => {
    const t = await startWechatServer();
    const r = await t.http('GET', '/api/openapi.json');
    expect(r.status).toBe(200);
    const spec = r.body as Spec & { openapi: string };
    expect(spec.openapi).toBe('3.1.0');
    const routes = t.server.routes.map((r) => {
      const [method, url] = r.split(' ') as [string, string];
      return { method, url };
    });
    expect(routes.length).toBeGreaterThan(30);
    const missing: string[] = [];
    const undescribed: string[] = [];
    for (const { method, url } of routes) {
      const op = spec.paths[toOpenApiPath(url)]?.[method.toLowerCase()];
      if (!op) {
        missing.push(`${method} ${url}`);
        continue;
      }
      if (!op.summary || (isApi(url) && !url.startsWith('/media/') && !op.responses?.['200'])) undescribed.push(`${method} ${url}`);
    }
    expect(missing).toEqual([]);
    expect(undescribed).toEqual([]);
    // Nothing described that is not registered (a renamed route leaves no stale entry behind).
    const known = new Set(routes.map((x) => `${x.method} ${x.url}`));
    for (const [p, ops] of Object.entries(spec.paths)) {
      // HEAD is what Fastify adds to a GET (a route registered for both lists it too).
      for (const m of Object.keys(ops).filter((x) => x !== 'head'))
        expect(known.has(`${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`), `${m} ${p}`).toBe(true);
    }
    // Every component is a valid schema, and the document's references resolve.
    const compile = compiler(spec);
    for (const name of Object.keys(spec.components.schemas)) compile({ $ref: `#/components/schemas/${name}` });
    for (const ops of Object.values(spec.paths)) {
      for (const op of Object.values(ops)) {
        for (const c of Object.values<any>(op.requestBody?.content ?? {})) compile(c.schema);
        for (const res of Object.values<any>(op.responses ?? {})) for (const c of Object.values<any>(res.content ?? {})) compile(c.schema);
      }
    }
  });

  it('accepts each example request of docs/protocol.md, and so does the server', async () => {
    const s = await startServer();
    const spec = (await s.http('GET', '/api/openapi.json')).body as Spec;
    const compile = compiler(spec);
    const list = examples();
    expect(list.length).toBeGreaterThanOrEqual(10);
    // The world the examples talk about.
    const tokens: Record<string, string> = {};
    for (const u of ['alice', 'bob', 'carol', 'dave']) tokens[u] = await s.login(u);
    const token = tokens.alice!;
    expect((await s.http('POST', '/api/groups', { token, body: { name: 'team', members: ['bob'] } })).status).toBe(200);
    const groupId = (await s.http('GET', '/api/conversations', { token })).body.conversations[0].conv.slice(2);

    for (const ex of list) {
      const where = `${ex.method} ${ex.path}`;
      const found = match(spec, ex.path);
      expect(found, `${where} is not in the document`).toBeDefined();
      const op = spec.paths[found!.template]![ex.method.toLowerCase()];
      expect(op, `${where}: method not in the document`).toBeDefined();
      const content = op.requestBody?.content?.['application/json'];
      if (ex.body !== undefined) {
        expect(content, `${where}: the document has no JSON body`).toBeDefined();
        const validate = compile(content.schema);
        expect(validate(ex.body), `${where}: ${JSON.stringify(validate.errors)}`).toBe(true);
      } else if (op.requestBody?.required) throw new Error(`${where}: the example has no body`);
      for (const p of op.parameters ?? []) {
        const value = p.in === 'path' ? found!.params[p.name] : p.in === 'query' ? (ex.query.get(p.name) ?? undefined) : undefined;
        if (value === undefined) {
          expect(p.required ?? false, `${where}: ${p.name} is required`).toBe(false);
          continue;
        }
        const validate = compile(p.schema);
        expect(validate(value), `${where}: ${p.name}=${value}: ${JSON.stringify(validate.errors)}`).toBe(true);
      }
      for (const q of ex.query.keys())
        expect(
          (op.parameters ?? []).some((p: any) => p.in === 'query' && p.name === q),
          `${where}: ?${q}`,
        ).toBe(true);

      // The server agrees: the example, aimed at the world above, is not refused as malformed.
      const route = `${ex.path.replace('/groups/team', `/groups/${groupId}`)}${ex.query.size ? `?${ex.query}` : ''}`;
      const body = JSON.parse(JSON.stringify(ex.body ?? null).replaceAll('"g:team"', `"g:${groupId}"`));
      const res = await s.http(ex.method, route, { token, ...(ex.body !== undefined ? { body } : {}) });
      expect(res.status === 400 ? res.body : res.status, where).not.toMatchObject({ error: { code: 'bad_request' } });
    }
    expect(routeDoc('POST', '/api/messages')?.summary).toBeTruthy();
  });

  it('refuses what the validators refuse, with the contract error (the schema does not validate)', async () => {
    const s = await startServer();
    const token = await s.login('alice');
    const r = await s.http('POST', '/api/messages', { token, body: { to: 'u:bob', clientMsgId: 'x', kind: 'text', body: { text: '' } } });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { code: 'bad_request', message: 'body.text must not be empty' } });
    // Answers keep every field (no serializer drops what the schema does not name).
    const me = await s.http('GET', '/api/me', { token });
    expect(me.body).toMatchObject({ id: 'alice', nickname: expect.any(String), avatarUrl: expect.any(String) });
  });
});
