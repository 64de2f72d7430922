/**
 * Safe defaults: a development server listens on loopback with dev login on; reachable
 * beyond this machine, dev login is off unless MINIIM_DEV_LOGIN=1 says so, and then the
 * start-up log warns.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/app.js';
import { isLoopbackHost, loadConfig } from '../../src/config/config.js';
import { httpJson, onCleanup, tempDir } from '../support/server.js';

async function start(env: Record<string, string>) {
  let log = '';
  const logDestination = new Writable({
    write(chunk, _enc, cb) {
      log += chunk;
      cb();
    },
  });
  const server = await createServer({ env: { PORT: '0', MINIIM_DATA_DIR: tempDir(), ...env }, logDestination });
  const { port } = await server.listen();
  onCleanup(() => server.close());
  const base = `http://127.0.0.1:${port}`;
  const devLogin = await httpJson(base, 'POST', '/api/auth/dev', { body: { userId: 'mallory' } });
  return { server, log: () => log, devLogin };
}

describe('listen address and dev login defaults', () => {
  it.each([
    [{}, '127.0.0.1', true],
    [{ HOST: '0.0.0.0' }, '0.0.0.0', false],
    [{ HOST: '192.168.1.20' }, '192.168.1.20', false],
    [{ HOST: '0.0.0.0', MINIIM_DEV_LOGIN: '1' }, '0.0.0.0', true],
    [{ HOST: 'localhost' }, 'localhost', true],
    [{ HOST: '::1' }, '::1', true],
    [{ MINIIM_DEV_LOGIN: '0' }, '127.0.0.1', false],
    [{ NODE_ENV: 'production', MINIIM_TOKEN_SECRET: 'x'.repeat(32), MINIIM_MEDIA_SIGNED_URL_SECRET: 'm'.repeat(32) }, '0.0.0.0', false],
  ] as Array<[Record<string, string>, string, boolean]>)('%j → host %s, dev login %s', (env, host, devLogin) => {
    const c = loadConfig(env);
    expect(c.host).toBe(host);
    expect(c.devLogin).toBe(devLogin);
  });

  it('knows loopback from reachable addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '128.0.0.1']) expect(isLoopbackHost(h)).toBe(false);
  });

  it('a development server with no settings listens on loopback with dev login on', async () => {
    const { server, devLogin, log } = await start({});
    expect(server.config.host).toBe('127.0.0.1');
    expect(devLogin.status).toBe(200);
    expect(log()).not.toMatch(/dev login is on and the server is reachable/);
  });

  it('on 0.0.0.0 dev login is off (404) unless MINIIM_DEV_LOGIN=1, which logs a warning', async () => {
    const off = await start({ HOST: '0.0.0.0' });
    expect(off.devLogin.status).toBe(404);
    const on = await start({ HOST: '0.0.0.0', MINIIM_DEV_LOGIN: '1' });
    expect(on.devLogin.status).toBe(200);
    const warning = on
      .log()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((l) => /dev login is on and the server is reachable/.test(l.msg));
    expect(warning).toMatchObject({ level: 40, host: '0.0.0.0' });
  });
});
