/**
 * Generator worker process: holds client connections and runs scenario steps on request from
 * the orchestrator over the IPC channel. Requests are `{id, cmd, args}`, replies `{id, ok, result|error}`,
 * unsolicited events `{ev, ...}`. Never runs inside a server process.
 */
import type { ClientSpec } from './bench-client.js';
import { ClientPool } from './client-pool.js';
import { runDirect } from './direct-load.js';
import { GroupLoad } from './group-load.js';
import { ReconnectLoad } from './reconnect-load.js';

interface Request {
  id: number;
  cmd: string;
  args: Record<string, unknown>;
}

let pool: ClientPool | undefined;
let group: GroupLoad | undefined;
let recon: ReconnectLoad | undefined;

const send = (m: unknown) => process.send?.(m);
const need = <T>(v: T | undefined, what: string): T => {
  if (!v) throw new Error(`${what} not set up`);
  return v;
};

async function handle(cmd: string, a: Record<string, unknown>): Promise<unknown> {
  switch (cmd) {
    case 'setup':
      if (pool) {
        pool.dropAll();
        pool.handler = () => {};
      }
      group = undefined;
      recon = undefined;
      pool = new ClientPool(a.spec as ClientSpec, a.sourceAddrs as string[]);
      return { pid: process.pid };
    case 'connect': {
      const t0 = performance.now();
      const r = await need(pool, 'pool').connectAll(a.users as string[], Number(a.concurrency ?? 200));
      return { ...r, ms: performance.now() - t0 };
    }
    case 'post':
      return need(pool, 'pool').post(String(a.path), a.body, a.asUser ? await need(pool, 'pool').token(String(a.asUser)) : undefined);
    case 'direct':
      return runDirect(need(pool, 'pool'), a as never);
    case 'group-init':
      group = new GroupLoad(need(pool, 'pool'), a as never, (items) => send({ ev: 'gdeliv', items }));
      return {};
    case 'group-start':
      need(group, 'group').start();
      return {};
    case 'group-complete':
      need(group, 'group').complete(a.cmids as string[]);
      return {};
    case 'group-stop':
      return need(group, 'group').stop();
    case 'group-finish': {
      const r = need(group, 'group').finish();
      group = undefined;
      return r;
    }
    case 'recon-init':
      recon = new ReconnectLoad(need(pool, 'pool'), a as never);
      return {};
    case 'recon-prime':
      return need(recon, 'recon').prime();
    case 'recon-drop':
      return need(recon, 'recon').drop();
    case 'recon-offline':
      return need(recon, 'recon').offline();
    case 'recon-back':
      return need(recon, 'recon').back(Number(a.startAt), Number(a.timeoutMs));
    case 'drop-all': {
      const p = need(pool, 'pool');
      p.dropAll();
      p.clients.clear();
      await new Promise((r) => setTimeout(r, 100));
      return {};
    }
    case 'cpu':
      return process.cpuUsage();
    case 'close':
      pool?.dropAll();
      setTimeout(() => process.exit(0), 50);
      return {};
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}

process.on('message', (m: Request) => {
  handle(m.cmd, m.args ?? {}).then(
    (result) => send({ id: m.id, ok: true, result }),
    (err: Error) => send({ id: m.id, ok: false, error: String(err?.stack ?? err) }),
  );
});
process.on('disconnect', () => process.exit(0));
