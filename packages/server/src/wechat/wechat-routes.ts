/**
 * WeChat routes: `POST /api/auth/wechat` (login), the message-push URL
 * (`GET` echostr handshake + `POST` media-check verdicts, raw body) and the
 * subscribe-message credit routes, and the phone number
 * (`/api/auth/wechat/phone`). Only the login route exists when WeChat is not
 * configured, and it answers 404.
 */

import { ImError } from '@miniim/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate, type HttpContext } from '../http/context.js';
import type { CheckText } from '../moderation/moderation-types.js';
import type { Storage } from '../storage/storage.js';
import type { MediaCheck } from './media-check.js';
import { fetchPhoneNumber, publicPhone } from './phone-number.js';
import type { PushQuery } from './push-signature.js';
import type { WechatIntegration } from './wechat-integration.js';
import { type WechatLoginBody, wechatLogin } from './wechat-login.js';

/** Nickname of a WeChat user who shared no profile (UI text). */
export const DEFAULT_WECHAT_NICKNAME = '微信用户';

/** Largest message-push body accepted (WeChat's events are a few KB). */
const PUSH_BODY_LIMIT = 64 * 1024;

/** The shared route context plus the feature's own data (identities). */
export interface WechatRouteContext extends HttpContext {
  storage: Pick<Storage, 'wechat'>;
}

/** The parts of the WeChat feature the routes serve. */
export interface WechatRouteFeature {
  wechat: WechatIntegration;
  /** The media check answering the message-push URL (present when WeChat is configured). */
  media: MediaCheck | undefined;
  /** The moderation feature's check of the profile nickname at login (absent when moderation is off). */
  checkText: CheckText | undefined;
}

/** Registers the WeChat routes. */
export async function registerWechatRoutes(app: FastifyInstance, ctx: WechatRouteContext, feature: WechatRouteFeature): Promise<void> {
  const { wechat: integration, media, checkText } = feature;
  const wx = integration.wechat;
  if (!wx || !media) {
    app.post('/api/auth/wechat', async () => {
      throw new ImError('not_found', 'WeChat login is not configured on this server');
    });
    return;
  }

  app.post('/api/auth/wechat', async (req) => {
    const r = await wechatLogin({ config: integration.wechatConfig, api: wx.api, secretKey: wx.secretKey, logger: ctx.logger }, req.body as WechatLoginBody);
    // The user is known only now (from the openid): its rate is taken before a session is written.
    await ctx.limitLogin('/api/auth/wechat', r.userId);
    const profile = { ...r.profile };
    if (profile.nickname !== undefined && checkText) {
      try {
        await checkText(profile.nickname, r.userId, 'nickname', {
          openid: r.openid,
          appId: r.appId,
        });
      } catch (err) {
        if (!(err instanceof ImError) || (err.code !== 'content_rejected' && err.code !== 'unavailable')) throw err;
        // The login itself is fine: keep the stored (or default) nickname instead of the refused one.
        ctx.logger.info({ userId: r.userId, code: err.code }, 'WeChat profile nickname not applied');
        delete profile.nickname;
      }
    }
    const identity = {
      userId: r.userId,
      appId: r.appId,
      openid: r.openid,
      sessionKeyEnc: r.sessionKeyEnc,
      updatedAt: Date.now(),
    };
    await ctx.storage.wechat.upsertIdentity(r.unionid ? { ...identity, unionid: r.unionid } : identity);
    return ctx.auth.login(r.userId, profile, { defaultNickname: DEFAULT_WECHAT_NICKNAME });
  });

  // Message push: the signature is over the query, the body must stay exactly as sent.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: PUSH_BODY_LIMIT }, (_req, body, done) => {
      done(null, body);
    });
    const handler = async (req: FastifyRequest<{ Params: { appId?: string } }>, reply: FastifyReply) => {
      const q = req.query as Record<string, unknown>;
      const query: PushQuery = {};
      for (const k of ['signature', 'timestamp', 'nonce', 'echostr', 'encrypt_type', 'msg_signature'] as const) {
        if (typeof q[k] === 'string') query[k] = q[k] as string;
      }
      const rawBody = typeof req.body === 'string' ? req.body : undefined;
      const r = await media.handlePush({ method: req.method, query, rawBody }, req.params.appId);
      return reply.status(r.status).type('text/plain; charset=utf-8').send(r.body);
    };
    for (const url of ['/api/wechat/push', '/api/wechat/push/:appId']) {
      scope.get(url, handler);
      scope.post(url, handler);
    }
  });

  // Phone number from the code of `<button open-type="getPhoneNumber">` (stored on the user, shown only to them).
  app.post('/api/auth/wechat/phone', async (req) => {
    const { uid, body, appId } = await wechatCaller(ctx, req, 'phone numbers');
    const row = await fetchPhoneNumber({ api: wx.api, tokens: wx.tokens, logger: ctx.logger }, uid, appId, body.code);
    await ctx.storage.wechat.setPhone(row);
    return { phone: publicPhone(row) };
  });

  app.get('/api/auth/wechat/phone', async (req) => {
    const row = await ctx.storage.wechat.getPhone(await authenticate(ctx, req));
    return { phone: row ? publicPhone(row) : null };
  });

  app.get('/api/wechat/subscribe', async (req) => {
    const uid = await authenticate(ctx, req);
    const id = await integration.identity(uid);
    return {
      templateIds: id ? wx.notifier.templateIds(id.appId) : [],
      credits: await wx.notifier.credits(uid),
    };
  });

  app.post('/api/wechat/subscribe', async (req) => {
    const { uid, body, appId } = await wechatCaller(ctx, req, 'subscribe messages');
    const credits = await wx.notifier.recordAcceptance(uid, appId, body.results);
    return { templateIds: wx.notifier.templateIds(appId), credits };
  });
}

/**
 * The authenticated caller, their JSON body, and the mini-program of their
 * WeChat login (`body.appId`, or the latest one); 403 for accounts without one.
 */
async function wechatCaller(
  ctx: WechatRouteContext,
  req: FastifyRequest,
  feature: string,
): Promise<{ uid: string; body: Record<string, unknown>; appId: string }> {
  const uid = await authenticate(ctx, req);
  const body = req.body as Record<string, unknown> | undefined;
  if (typeof body !== 'object' || body === null) throw new ImError('bad_request', 'body must be a JSON object');
  if (body.appId !== undefined && typeof body.appId !== 'string') throw new ImError('bad_request', 'appId must be a string');
  const id = await ctx.storage.wechat.getIdentity(uid, body.appId as string | undefined);
  if (!id) throw new ImError('forbidden', `${feature} need a WeChat login in this mini-program`);
  return { uid, body, appId: id.appId };
}
