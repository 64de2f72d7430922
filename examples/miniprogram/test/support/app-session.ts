/** Logged-in sessions of the sample app on the strict fake `wx` runtime, torn down after the test. */

import { onCleanup, type TestServer } from '../../../../packages/sdk/test/support/server.js';
import { ImSession, type SessionOptions } from '../../lib/session.js';
import { AppFakeWx } from './app-fake-wx.js';
import type { StrictWxOptions } from './strict-wx.js';

export interface TestSession {
  session: ImSession;
  fake: AppFakeWx;
}

export interface LoggedInOptions {
  /** Runtime options (grace period after hide, upload pace). */
  wx?: StrictWxOptions;
  /** Client options (default: a short backoff, no cache). */
  client?: SessionOptions['clientOptions'];
}

/** A session logged in with dev login, connected and synced. */
export async function loggedIn(s: TestServer, userId: string, nickname: string, opts: LoggedInOptions = {}): Promise<TestSession> {
  const fake = new AppFakeWx({ interruptAfterMs: 30, ...opts.wx });
  const session = new ImSession({
    wx: fake.app,
    baseUrl: s.baseUrl,
    clientOptions: opts.client ?? { backoff: { baseMs: 20, maxMs: 200 }, persistence: false },
  });
  onCleanup(() => session.client?.dispose());
  await session.loginDev(userId, nickname);
  const client = session.need();
  await new Promise<void>((resolve) => client.once('synced', () => resolve()));
  return { session, fake };
}
