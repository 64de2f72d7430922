/** Logged-in sessions of the sample app on the fake `wx` runtime, torn down after the test. */

import { onCleanup, type TestServer } from '../../../../packages/sdk/test/support/server.js';
import { ImSession } from '../../lib/session.js';
import { AppFakeWx } from './app-fake-wx.js';

export interface TestSession {
  session: ImSession;
  fake: AppFakeWx;
}

/** A session logged in with dev login, connected and synced. */
export async function loggedIn(s: TestServer, userId: string, nickname: string, interruptAfterMs = 30): Promise<TestSession> {
  const fake = new AppFakeWx({ interruptAfterMs });
  const session = new ImSession({
    wx: fake.app,
    baseUrl: s.baseUrl,
    clientOptions: { backoff: { baseMs: 20, maxMs: 200 }, persistence: false },
  });
  onCleanup(() => session.client?.dispose());
  await session.loginDev(userId, nickname);
  const client = session.need();
  await new Promise<void>((resolve) => client.once('synced', () => resolve()));
  return { session, fake };
}
