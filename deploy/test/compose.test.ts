/**
 * deploy/compose.yaml without a Docker engine: `docker compose config` when the compose client is
 * installed, and always a structural check of what the file must hold (services, healthchecks,
 * volumes, the nginx config and certificate mounts, the nodes' environment), with cross-references.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './support/nginx.js';

const FILE = path.join(REPO_ROOT, 'deploy/compose.yaml');
const DIR = path.dirname(FILE);

type Doc = any;

const load = (): Doc => parse(readFileSync(FILE, 'utf8'), { merge: true });

const ENV = {
  POSTGRES_PASSWORD: 'p',
  MINIIM_TOKEN_SECRET: 'x'.repeat(32),
  MINIIM_MEDIA_SIGNED_URL_SECRET: 'm'.repeat(32),
  MINIIM_PUBLIC_URL: 'https://im.example.com',
};

describe('deploy/compose.yaml', () => {
  const compose = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  it.skipIf(compose.status !== 0)('passes docker compose config', () => {
    const r = spawnSync('docker', ['compose', '-f', FILE, 'config', '-q'], { encoding: 'utf8', env: { ...process.env, ...ENV } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
  if (compose.status !== 0) console.warn('docker compose is not installed: compose.yaml gets the structural check only');

  it('holds PostgreSQL, Redis, two MiniIM nodes and nginx, wired to each other', () => {
    const doc = load();
    const services = doc.services as Record<string, Doc>;
    expect(Object.keys(services).sort()).toEqual(['nginx', 'node1', 'node2', 'postgres', 'redis']);
    for (const [name, s] of Object.entries(services)) {
      expect(s.image ?? s.build, `${name}: image or build`).toBeTruthy();
      for (const dep of Object.keys(s.depends_on ?? {})) expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
      for (const v of s.volumes ?? []) {
        const src = String(v).split(':')[0]!;
        if (src.startsWith('.') || src.startsWith('/')) continue;
        if (src.startsWith('${')) continue;
        expect(doc.volumes, `${name}: named volume ${src} declared`).toHaveProperty(src);
      }
    }
    for (const name of ['postgres', 'redis']) expect(services[name].healthcheck.test[0]).toBe('CMD');

    for (const name of ['node1', 'node2']) {
      const n = services[name];
      expect(n.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(existsSync(path.resolve(DIR, n.build.context, n.build.dockerfile))).toBe(true);
      expect(n.environment.DATABASE_URL).toMatch(/^postgres:\/\/miniim:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432\/miniim$/);
      expect(n.environment.MINIIM_TOKEN_SECRET).toMatch(/^\$\{MINIIM_TOKEN_SECRET:\?/);
      expect(n.environment.MINIIM_MEDIA_SIGNED_URL_SECRET).toMatch(/^\$\{MINIIM_MEDIA_SIGNED_URL_SECRET:\?/);
      // Forwarded headers believed from the compose network only (where nginx is).
      expect(n.environment.MINIIM_TRUST_PROXY).toBe(doc.networks.default.ipam.config[0].subnet);
      expect(n.volumes).toContain('miniim-data:/data');
      expect(n.depends_on.postgres.condition).toBe('service_healthy');
      expect(Number.parseInt(n.stop_grace_period, 10)).toBeGreaterThanOrEqual(15);
    }
    // The Dockerfile's HEALTHCHECK is what nginx waits for.
    expect(readFileSync(path.join(REPO_ROOT, 'deploy/Dockerfile'), 'utf8')).toMatch(/^HEALTHCHECK [\s\S]*?CMD [^\n]*\/readyz/m);
    expect(services.nginx.depends_on.node1.condition).toBe('service_healthy');
  });

  it('runs the project nginx config with the nodes as upstreams and a mounted certificate', () => {
    const nginx = load().services.nginx;
    expect(nginx.ports).toEqual(['80:80', '443:443']);
    const [confMount, certMount] = nginx.volumes as string[];
    const [confSrc, confDst] = confMount!.split(':');
    expect(path.resolve(DIR, confSrc!)).toBe(path.join(REPO_ROOT, 'deploy/nginx/miniim.conf'));
    expect(certMount).toMatch(/:\/etc\/nginx\/certs:ro$/);
    // Apply the command's sed expressions as sed would: both upstream servers must be replaced.
    const script = (nginx.command as string[])[2]!;
    expect(script).toContain(`${confDst} > /etc/nginx/conf.d/default.conf`);
    expect(script).toMatch(/exec nginx -g 'daemon off;'$/);
    let conf = readFileSync(path.join(REPO_ROOT, 'deploy/nginx/miniim.conf'), 'utf8');
    for (const [, from, to] of script.matchAll(/-e 's\/([^/]+)\/([^/]+)\/'/g)) conf = conf.replace(from!.replaceAll('\\', ''), to!);
    expect(conf).toMatch(/^\s*server node1:8080 /m);
    expect(conf).toMatch(/^\s*server node2:8080 /m);
    expect(conf).not.toMatch(/^\s*server 127\.0\.0\.1/m);
    expect(conf).toContain('ssl_certificate     /etc/nginx/certs/miniim.crt;');
  });
});
