import { createHash } from 'node:crypto';

/**
 * Stable MiniIM user id for a WeChat identity. With `unionid` the id is the
 * same across all appids of one open-platform account; otherwise it is tied to
 * (appid, openid). Hashed so the id shown to other users does not reveal the
 * openid. Matches `^[A-Za-z0-9_-]{1,64}$`.
 */
export function wechatUserId(identity: { appId: string; openid: string; unionid?: string }): string {
  if (identity.unionid) {
    return `wxu_${createHash('sha256').update(`unionid:${identity.unionid}`).digest('base64url').slice(0, 24)}`;
  }
  const digest = createHash('sha256').update(`openid:${identity.appId}:${identity.openid}`).digest('base64url');
  return `wx_${digest.slice(0, 24)}`;
}
