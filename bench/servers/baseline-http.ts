/**
 * Minimal HTTP surface shared by the baseline servers: `/healthz`, `POST /api/groups`,
 * `POST /api/groups/:id/members`. The bearer token is the user id (baselines do no auth).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A group as the v1 protocol returns it (subset the generator uses). */
export interface BaselineGroup {
  id: string;
  name: string;
  owner: string;
  memberCount: number;
  createdAt: number;
}

/** Storage hooks a baseline server provides for group routes. */
export interface GroupHooks {
  createGroup(owner: string, name: string, members: string[]): BaselineGroup;
  addMembers(groupId: string, userIds: string[]): BaselineGroup | undefined;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {});
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

/** Reads the user id from `?token=` or `Authorization: Bearer`. */
export function userFromRequest(req: IncomingMessage): string | undefined {
  const url = new URL(req.url ?? '/', 'http://x');
  const q = url.searchParams.get('token');
  if (q) return q;
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
}

/** Builds the request handler for a baseline's HTTP routes. */
export function baselineHttpHandler(hooks: GroupHooks) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/healthz') return reply(res, 200, { ok: true });
      const user = userFromRequest(req);
      if (req.method === 'POST' && path === '/api/groups') {
        if (!user) return reply(res, 401, { error: { code: 'unauthorized', message: 'no token' } });
        const body = await readJson(req);
        const members = Array.isArray(body.members) ? (body.members as string[]) : [];
        return reply(res, 200, hooks.createGroup(user, String(body.name ?? 'group'), members));
      }
      const m = /^\/api\/groups\/([^/]+)\/members$/.exec(path);
      if (req.method === 'POST' && m) {
        const body = await readJson(req);
        const g = hooks.addMembers(m[1], Array.isArray(body.userIds) ? (body.userIds as string[]) : []);
        if (!g) return reply(res, 404, { error: { code: 'not_found', message: 'no such group' } });
        return reply(res, 200, g);
      }
      reply(res, 404, { error: { code: 'not_found', message: 'no such route' } });
    } catch (err) {
      reply(res, 400, { error: { code: 'bad_request', message: String(err) } });
    }
  };
}

/** Direct conversation id `d:<a>:<b>` with the ids in byte order. */
export function directConv(a: string, b: string): string {
  return a < b ? `d:${a}:${b}` : `d:${b}:${a}`;
}

/** Port and host from the environment, as MiniIM reads them. */
export function listenOptions(): { port: number; host: string } {
  return { port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' };
}
