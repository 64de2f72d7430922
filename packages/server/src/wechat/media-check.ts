import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type ModerationConfig, type ModerationContext, type ModerationMetrics, moderationMetrics, wechatScene } from '../moderation/moderation-types.js';
import type { MediaTarget, TraceStore } from '../storage/wechat-stores.js';
import type { AccessTokenProvider } from './access-token-provider.js';
import { decodeEncodingAesKey, decryptPushMessage, encryptedPart, verifyMsgSignature } from './push-crypto.js';
import { isMediaCheckFailure, type MediaCheckEvent, type MediaCheckFailure, parseMediaCheckPush } from './push-event.js';
import { type PushQuery, verifyPushSignature } from './push-signature.js';
import type { WechatApi } from './wechat-api.js';
import type { WechatAppConfig, WechatConfig } from './wechat-config.js';

export interface MediaCheckDeps {
  config: ModerationConfig;
  wechatConfig: WechatConfig;
  api: WechatApi;
  tokens: AccessTokenProvider;
  traces: TraceStore;
  /**
   * Called once for media to remove: a risky verdict, a review verdict with
   * `onReview: reject`, or (fail-closed) a check WeChat could not do. The
   * caller recalls the message and posts a system notice.
   */
  onRisky: (traceId: string, target: MediaTarget, event: MediaCheckEvent | MediaCheckFailure) => Promise<void> | void;
  logger?: Logger;
  registry?: Registry;
}

/** What the push route answers WeChat. */
export interface PushReply {
  status: number;
  body: string;
}

/**
 * Asynchronous image/audio checks: `submit` after upload+store sends the media
 * URL to `mediaCheckAsync` and remembers trace_id → message; `handlePush`
 * serves the message-push URL (signature check, `echostr` handshake,
 * `wxa_media_check` verdicts).
 */
export class MediaCheck {
  private readonly metrics: ModerationMetrics;
  /** appId → AES key of the app's EncodingAESKey (encrypted pushes). */
  private readonly aesKeys = new Map<string, Buffer>();

  constructor(private readonly deps: MediaCheckDeps) {
    this.metrics = moderationMetrics(deps.registry);
    for (const app of deps.wechatConfig.apps) {
      if (app.encodingAESKey) this.aesKeys.set(app.appId, decodeEncodingAesKey(app.encodingAESKey));
    }
  }

  /** True when media checks are on. */
  get enabled(): boolean {
    const w = this.deps.config.wechat;
    return w.enabled && (w.media ?? true);
  }

  /**
   * Starts the check of a stored image/audio message. Returns the trace_id, or
   * undefined when the check is off, the sender has no openid, or WeChat is
   * unreachable (logged + counted; the message stays, fail-open for media).
   */
  async submit(media: { url: string; type: 'image' | 'audio' }, target: Omit<MediaTarget, 'url'>, ctx: ModerationContext): Promise<string | undefined> {
    if (!this.enabled || !ctx.openid) return undefined;
    const full: MediaTarget = { ...target, url: media.url, mediaType: media.type, openid: ctx.openid };
    if (ctx.appId !== undefined) full.appId = ctx.appId;
    try {
      return await this.request(full, wechatScene(ctx.scene));
    } catch (err) {
      this.metrics.unavailable.inc({ stage: 'wechat_media', policy: 'open' });
      this.deps.logger?.warn(
        { stage: 'wechat_media', conv: target.conv, seq: target.seq, reason: reason(err) },
        'mediaCheckAsync failed; media accepted unchecked',
      );
      return undefined;
    }
  }

  /**
   * Handles a request to the message-push URL. `query` holds signature,
   * timestamp, nonce (echostr for the GET handshake; encrypt_type and
   * msg_signature for encrypted pushes); `rawBody` is the POST body as
   * received. `appId` narrows which app's push token to use (e.g. from the
   * route path); otherwise every configured app's token is tried.
   */
  async handlePush(req: { method: string; query: PushQuery; rawBody?: string }, appId?: string): Promise<PushReply> {
    const apps = this.deps.wechatConfig.apps.filter((a) => a.token && (appId === undefined || a.appId === appId));
    const signers = apps.filter((a) => verifyPushSignature(a.token!, req.query));
    if (signers.length === 0) {
      this.deps.logger?.warn({ method: req.method }, 'message push with a bad signature refused');
      return { status: 401, body: 'invalid signature' };
    }
    if (req.method === 'GET') {
      const echo = req.query.echostr;
      return typeof echo === 'string' ? { status: 200, body: echo } : { status: 400, body: 'missing echostr' };
    }
    const body = this.readBody(req.rawBody ?? '', req.query, signers);
    if (typeof body !== 'string') return body;
    let event: MediaCheckEvent | MediaCheckFailure | null;
    try {
      event = parseMediaCheckPush(body);
    } catch (err) {
      this.deps.logger?.warn({ reason: reason(err) }, 'unreadable message push');
      return { status: 400, body: 'bad push body' };
    }
    if (event === null) return SUCCESS;
    const target = await this.deps.traces.get(event.traceId);
    if (!target) {
      this.deps.logger?.warn({ traceId: event.traceId }, 'media check verdict for an unknown trace_id');
      return SUCCESS;
    }
    if (isMediaCheckFailure(event)) return this.failed(event, target);
    this.metrics.verdicts.inc({ stage: 'wechat_media', verdict: event.suggest });
    const reject = event.suggest === 'risky' || (event.suggest === 'review' && this.deps.config.wechat.onReview === 'reject');
    if (reject) {
      const failed = await this.remove(event, target);
      if (failed) return failed;
      this.metrics.rejected.inc({ stage: 'wechat_media' });
      this.deps.logger?.info({ traceId: event.traceId, conv: target.conv, seq: target.seq, label: event.label }, 'risky media recalled');
    }
    await this.deps.traces.delete(event.traceId);
    return SUCCESS;
  }

  /**
   * The push body as plain text, decrypted when it is encrypted (safe or
   * compatible mode), or the reply when it cannot be read: an encrypted verdict
   * is never acknowledged unread.
   */
  private readBody(raw: string, query: PushQuery, signers: WechatAppConfig[]): string | PushReply {
    const encrypt = encryptedPart(raw);
    if (encrypt === undefined) {
      if (query.encrypt_type === 'aes') return { status: 400, body: 'encrypted push without Encrypt' };
      return raw;
    }
    const withKey = signers.filter((a) => this.aesKeys.has(a.appId));
    if (withKey.length === 0) {
      // Compatible mode also carries the plain fields; safe mode only the ciphertext.
      if (/"Event"\s*:|<Event>/.test(raw)) return raw;
      this.deps.logger?.error(
        { apps: signers.map((a) => a.appId) },
        'encrypted message push but no EncodingAESKey configured (set encodingAESKey for the app); answered 500 so WeChat retries',
      );
      return { status: 500, body: 'cannot decrypt' };
    }
    const signed = withKey.filter((a) => verifyMsgSignature(a.token!, query, encrypt));
    if (signed.length === 0) {
      this.deps.logger?.warn('encrypted message push with a bad msg_signature refused');
      return { status: 401, body: 'invalid msg_signature' };
    }
    for (const app of signed) {
      try {
        const { message, appid } = decryptPushMessage(encrypt, this.aesKeys.get(app.appId)!);
        if (appid === app.appId) return message;
        this.deps.logger?.error({ appId: app.appId, named: appid }, 'encrypted message push names another appid');
      } catch (err) {
        this.deps.logger?.error(
          { appId: app.appId, reason: reason(err) },
          'encrypted message push cannot be decrypted (check encodingAESKey); answered 500 so WeChat retries',
        );
      }
    }
    return { status: 500, body: 'cannot decrypt' };
  }

  /**
   * WeChat could not check the media (errcode ≠ 0, e.g. -1008 download error):
   * ask once more, then apply the fail policy (open: the message stays;
   * closed: it is removed like a risky one).
   */
  private async failed(ev: MediaCheckFailure, target: MediaTarget): Promise<PushReply> {
    const attempt = target.attempt ?? 1;
    const log = { traceId: ev.traceId, conv: target.conv, seq: target.seq, errcode: ev.errcode, errmsg: ev.errmsg, attempt };
    if (attempt < 2 && target.mediaType && target.openid) {
      try {
        const retry = await this.request({ ...target, attempt: attempt + 1 }, wechatScene('message'));
        await this.deps.traces.delete(ev.traceId);
        this.deps.logger?.warn({ ...log, retryTraceId: retry }, 'media check could not be done; asked again');
        return SUCCESS;
      } catch (err) {
        this.deps.logger?.warn({ ...log, reason: reason(err) }, 'media check retry could not be sent');
      }
    }
    const policy = this.deps.config.wechat.failPolicy ?? 'open';
    this.metrics.unavailable.inc({ stage: 'wechat_media', policy });
    this.metrics.verdicts.inc({ stage: 'wechat_media', verdict: 'unavailable' });
    if (policy === 'closed') {
      const failed = await this.remove(ev, target);
      if (failed) return failed;
      this.deps.logger?.warn(log, 'media check could not be done; media removed (fail-closed)');
    } else {
      this.deps.logger?.warn(log, 'media check could not be done; media left unchecked (fail-open)');
    }
    await this.deps.traces.delete(ev.traceId);
    return SUCCESS;
  }

  /** Recalls the message; on failure the reply that makes WeChat push again (the mapping is kept). */
  private async remove(ev: MediaCheckEvent | MediaCheckFailure, target: MediaTarget): Promise<PushReply | undefined> {
    try {
      await this.deps.onRisky(ev.traceId, target, ev);
      return undefined;
    } catch (err) {
      this.deps.logger?.error({ traceId: ev.traceId, reason: reason(err) }, 'recall after risky media failed');
      return { status: 500, body: 'retry' };
    }
  }

  /** Sends mediaCheckAsync for `target` and stores trace_id → target. */
  private async request(target: MediaTarget, scene: 1 | 2 | 3 | 4): Promise<string> {
    const openid = target.openid!;
    const { trace_id } = await this.deps.tokens.call(target.appId, (token) =>
      this.deps.api.mediaCheckAsync(token, {
        media_url: target.url,
        media_type: target.mediaType === 'audio' ? 1 : 2,
        version: 2,
        scene,
        openid,
      }),
    );
    await this.deps.traces.put(trace_id, target);
    return trace_id;
  }
}

const SUCCESS: PushReply = { status: 200, body: 'success' };

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
