/** Offline notifications: the subscribe-message prompt and its report to the server. */
import type { ImSession } from './session.js';

/**
 * The template ids to ask for, from the server (`GET /api/wechat/subscribe` → `{templateIds}`), so
 * they are configured once, on the server, which is the judge: 404 (WeChat not configured) → none, and
 * an empty list (an account without a WeChat login, which could never receive them) → none, so no
 * prompt is offered that cannot work. Only when the list cannot be fetched (network, 5xx) does the
 * page fall back to `fallback` (config.ts); the report then tells "log in with WeChat" (403) apart.
 */
export async function subscribeTemplateIds(session: ImSession, fallback: string[] = []): Promise<string[]> {
  try {
    const res = await session.need().api.call<{ templateIds?: unknown }>('GET', '/api/wechat/subscribe');
    const ids = Array.isArray(res.templateIds) ? res.templateIds.filter((x): x is string => typeof x === 'string') : [];
    return ids;
  } catch (err) {
    return (err as { code?: unknown } | null)?.code === 'not_found' ? [] : fallback;
  }
}

/** What came of a prompt. */
export type SubscribeOutcome = 'accepted' | 'rejected' | 'not_configured' | 'needs_wechat' | 'failed';

/**
 * Shows `wx.requestSubscribeMessage` (WeChat allows it only from a tap) and reports the
 * result to `POST /api/wechat/subscribe` (`{results, appId}`). A server without the route (404) is
 * "not configured", not an error.
 */
export function requestNotifications(session: ImSession, tmplIds: string[]): Promise<SubscribeOutcome> {
  if (!tmplIds.length) return Promise.resolve('not_configured');
  return new Promise((resolve, reject) => {
    session.wx.requestSubscribeMessage({
      tmplIds,
      success: (res) => {
        const result = res as unknown as Record<string, unknown>;
        const accepted = tmplIds.some((id) => result[id] === 'accept');
        session.reportSubscribe(result).then((r) => resolve(r !== 'ok' ? r : accepted ? 'accepted' : 'rejected'), reject);
      },
      fail: () => resolve('failed'),
    });
  });
}
