/**
 * The one file to edit: which server the mini-program talks to, and its appid.
 * `npm run miniprogram:prepare` copies `appId` into project.config.json.
 */
export const config = {
  /** Your mini-program's appid (mp.weixin.qq.com → 开发管理 → 开发设置). "touristappid" works in DevTools only. */
  appId: 'touristappid',
  /**
   * Server per environment (`wx.getAccountInfoSync().miniProgram.envVersion`).
   * develop: DevTools with "不校验合法域名" on, so plain http:// and ws:// to a local server work.
   * trial / release: https:// (the socket then uses wss://); add the domain to the request,
   * socket, uploadFile and downloadFile lists of the mini-program's server domains.
   */
  servers: {
    develop: 'http://127.0.0.1:8080',
    trial: 'https://im.example.com',
    release: 'https://im.example.com',
  } as Record<'develop' | 'trial' | 'release', string>,
  /** Offer the server's dev login (`POST /api/auth/dev`) when the server has it on. */
  devLogin: true,
  /** Subscribe-message template ids for offline notifications (empty: the prompt is hidden). */
  subscribeTemplateIds: [] as string[],
};

export type AppConfig = typeof config;
