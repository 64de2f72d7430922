/**
 * Runs deploy/nginx/miniim.conf in a throw-away prefix, as a user who is not root may:
 * a self-signed certificate from openssl, listen ports and upstream nodes chosen by the caller,
 * pid/log/temp files inside the prefix. Used by the nginx test and the rolling-restart bench.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
export const NGINX_CONF = path.join(REPO_ROOT, 'deploy/nginx/miniim.conf');

/** The nginx binary (Debian puts it in /usr/sbin, which is not on every PATH), or undefined. */
export function findNginx(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']) {
    const p = path.join(dir, 'nginx');
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** A port that was free a moment ago (bound to 0, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface NginxPrefix {
  dir: string;
  confFile: string;
  /** The self-signed certificate (PEM), for clients' `ca`. */
  cert: string;
  httpsPort: number;
  httpPort: number;
}

export interface RenderOptions {
  /** host:port of each MiniIM node. */
  upstreams: string[];
  httpsPort: number;
  httpPort: number;
  /** Source config (default: deploy/nginx/miniim.conf). */
  source?: string;
  /** nginx's connection limit (default 4096; a WebSocket through the proxy takes two). */
  workerConnections?: number;
  /** nginx worker processes (default 1): each has its own descriptor limit, and each connection through it takes two. */
  workerProcesses?: number;
}

/** Creates the prefix: certificate, the project's config with ports/paths/upstreams swapped in, a top-level nginx.conf. */
export function preparePrefix(opts: RenderOptions): NginxPrefix {
  const dir = mkdtempSync(path.join(tmpdir(), 'miniim-nginx-'));
  for (const sub of ['certs', 'temp', 'logs']) mkdirSync(path.join(dir, sub));
  const key = path.join(dir, 'certs/miniim.key');
  const crt = path.join(dir, 'certs/miniim.crt');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost'].concat([
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      crt,
    ]),
    { stdio: 'ignore' },
  );
  const source = readFileSync(opts.source ?? NGINX_CONF, 'utf8');
  const conf = renderConf(source, opts, path.join(dir, 'certs'));
  writeFileSync(path.join(dir, 'miniim.conf'), conf);
  const t = (name: string) => path.join(dir, 'temp', name);
  const top = [
    // Workers run as the user starting nginx (as root, `user` must say so or workers become nobody).
    process.getuid?.() === 0 ? 'user root;' : '',
    `worker_processes ${opts.workerProcesses ?? 1};`,
    `pid ${path.join(dir, 'nginx.pid')};`,
    `error_log ${path.join(dir, 'logs/error.log')} warn;`,
    ...(opts.workerConnections ? [`worker_rlimit_nofile ${opts.workerConnections * 2};`] : []),
    `events { worker_connections ${opts.workerConnections ?? 4096}; }`,
    'http {',
    '  access_log off;',
    `  client_body_temp_path ${t('body')}; proxy_temp_path ${t('proxy')}; fastcgi_temp_path ${t('fastcgi')};`,
    `  uwsgi_temp_path ${t('uwsgi')}; scgi_temp_path ${t('scgi')};`,
    `  include ${path.join(dir, 'miniim.conf')};`,
    '}',
    '',
  ].join('\n');
  const confFile = path.join(dir, 'nginx.conf');
  writeFileSync(confFile, top);
  return { dir, confFile, cert: readFileSync(crt, 'utf8'), httpsPort: opts.httpsPort, httpPort: opts.httpPort };
}

/** The project's config with this run's certificate directory, listen ports and upstream servers. */
export function renderConf(source: string, opts: RenderOptions, certDir: string): string {
  let upstreamDone = false;
  return source
    .replaceAll('/etc/nginx/certs', certDir)
    .replace(/^(\s*)listen \[::\]:\d+.*$/gm, '') // the test machine may have no IPv6
    .replace(/^(\s*)listen 443 /gm, `$1listen 127.0.0.1:${opts.httpsPort} `)
    .replace(/^(\s*)listen 80;/gm, `$1listen 127.0.0.1:${opts.httpPort};`)
    .replace(/^(\s*)server 127\.0\.0\.1:\d+(.*)$/gm, (_m, indent: string, rest: string) => {
      if (upstreamDone) return '';
      upstreamDone = true;
      return opts.upstreams.map((u) => `${indent}server ${u}${rest}`).join('\n');
    });
}

/** `nginx -t` on a prefix: exit status and output. */
export function testConfig(nginx: string, prefix: NginxPrefix): { ok: boolean; output: string } {
  const r = spawnSync(nginx, ['-t', '-p', prefix.dir, '-e', 'stderr', '-c', prefix.confFile], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

export interface RunningNginx {
  prefix: NginxPrefix;
  child: ChildProcess;
  /** Fast shutdown (SIGTERM), waits for the master to exit, removes the prefix. */
  stop(): Promise<void>;
}

/** Starts nginx in the foreground on a prepared prefix and waits until its https port accepts. */
export async function startNginx(nginx: string, prefix: NginxPrefix): Promise<RunningNginx> {
  const child = spawn(nginx, ['-p', prefix.dir, '-e', 'stderr', '-c', prefix.confFile, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    rmSync(prefix.dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${err}`);
    if (await accepts(prefix.httpsPort)) return { prefix, child, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not listen on ${prefix.httpsPort}: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
