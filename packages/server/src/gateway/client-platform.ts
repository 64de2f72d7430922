/** Which kind of client opened a socket, from its upgrade headers (a metrics label, never trusted for anything else). */
import type { IncomingMessage } from 'node:http';
import type { Platform } from '../metrics/metrics.js';

/**
 * `wechat`: a mini-program (`wx.connectSocket` sends a servicewechat.com Referer, and WeChat's
 * user agent says MicroMessenger); `browser`: any other request with an Origin; `other`:
 * native apps, servers, load tools.
 */
export function clientPlatform(req: IncomingMessage): Platform {
  const ua = req.headers['user-agent'] ?? '';
  const referer = req.headers.referer ?? '';
  if (referer.startsWith('https://servicewechat.com/') || /MicroMessenger|miniProgram/i.test(ua)) return 'wechat';
  if (req.headers.origin) return 'browser';
  return 'other';
}
