import type { AuthResponse } from '@miniim/protocol';
import { type HttpAdapter, toImError, trimSlash } from '../http.js';
import type { WxApi } from './wx-api.js';

/** Profile data a login may carry (from `wx.getUserProfile`, optional). */
export interface WechatLoginExtra {
  appId?: string;
  rawData?: string;
  signature?: string;
  encryptedData?: string;
  iv?: string;
}

/** Gets a code from `wx.login`. */
export function wxLoginCode(wxApi: WxApi): Promise<string> {
  return new Promise((resolve, reject) => {
    wxApi.login({
      success: (res) => (res.code ? resolve(res.code) : reject(new Error('wx.login returned no code'))),
      fail: (err) => reject(new Error(err.errMsg)),
    });
  });
}

/** The WeChat login flow: `wx.login` → `POST /api/auth/wechat` → `{token, expiresAt, user}`. */
export async function wechatLogin(wxApi: WxApi, http: HttpAdapter, baseUrl: string, extra: WechatLoginExtra = {}): Promise<AuthResponse> {
  const code = await wxLoginCode(wxApi);
  const res = await http.request({
    method: 'POST',
    url: `${trimSlash(baseUrl)}/api/auth/wechat`,
    headers: {},
    body: { code, ...extra },
  });
  if (res.status < 200 || res.status >= 300) throw toImError(res);
  return res.data as AuthResponse;
}
