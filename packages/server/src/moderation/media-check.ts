import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { MediaTarget, TraceStore } from '../storage/wechat-stores.js';
import type { AccessTokenProvider } from '../wechat/access-token-provider.js';
import { type MediaCheckEvent, parseMediaCheckPush } from '../wechat/push-event.js';
import { type PushQuery, verifyPushSignature } from '../wechat/push-signature.js';
import type { WechatApi } from '../wechat/wechat-api.js';
import type { WechatConfig } from '../wechat/wechat-config.js';
import type { ModerationConfig } from './moderation-config.js';
import { type ModerationMetrics, moderationMetrics } from './moderation-metrics.js';
import { type ModerationContext, wechatScene } from './moderation-types.js';

export interface MediaCheckDeps {
  config: ModerationConfig;
  wechatConfig: WechatConfig;
  api: WechatApi;
  tokens: AccessTokenProvider;
  traces: TraceStore;
  /** Called once for a risky verdict; the caller recalls the message and posts a system notice. */
  onRisky: (traceId: string, target: MediaTarget, event: MediaCheckEvent) => Promise<void> | void;
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

  constructor(private readonly deps: MediaCheckDeps) {
    this.metrics = moderationMetrics(deps.registry);
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
    const openid = ctx.openid;
    try {
      const { trace_id } = await this.deps.tokens.call(ctx.appId, (token) =>
        this.deps.api.mediaCheckAsync(token, {
          media_url: media.url,
          media_type: media.type === 'audio' ? 1 : 2,
          version: 2,
          scene: wechatScene(ctx.scene),
          openid,
        }),
      );
      await this.deps.traces.put(trace_id, { ...target, url: media.url });
      return trace_id;
    } catch (err) {
      this.metrics.unavailable.inc({ stage: 'wechat_media', policy: 'open' });
      this.deps.logger?.warn(
        {
          stage: 'wechat_media',
          conv: target.conv,
          seq: target.seq,
          reason: err instanceof Error ? err.message : String(err),
        },
        'mediaCheckAsync failed; media accepted unchecked',
      );
      return undefined;
    }
  }

  /**
   * Handles a request to the message-push URL. `query` holds signature,
   * timestamp, nonce (and echostr for the GET handshake); `rawBody` is the
   * POST body as received. `appId` narrows which push token to use (e.g. from
   * the route path); otherwise every configured app's token is tried.
   */
  async handlePush(req: { method: string; query: PushQuery; rawBody?: string }, appId?: string): Promise<PushReply> {
    const tokens = this.deps.wechatConfig.apps.filter((a) => a.token && (appId === undefined || a.appId === appId)).map((a) => a.token!);
    if (!tokens.some((t) => verifyPushSignature(t, req.query))) {
      this.deps.logger?.warn({ method: req.method }, 'message push with a bad signature refused');
      return { status: 401, body: 'invalid signature' };
    }
    if (req.method === 'GET') {
      const echo = req.query.echostr;
      return typeof echo === 'string' ? { status: 200, body: echo } : { status: 400, body: 'missing echostr' };
    }
    let event: MediaCheckEvent | null;
    try {
      event = parseMediaCheckPush(req.rawBody ?? '');
    } catch (err) {
      this.deps.logger?.warn({ reason: err instanceof Error ? err.message : String(err) }, 'unreadable message push');
      return { status: 400, body: 'bad push body' };
    }
    if (event === null) return { status: 200, body: 'success' };
    const target = await this.deps.traces.get(event.traceId);
    if (!target) {
      this.deps.logger?.warn({ traceId: event.traceId }, 'media check verdict for an unknown trace_id');
      return { status: 200, body: 'success' };
    }
    const reject = event.suggest === 'risky' || (event.suggest === 'review' && this.deps.config.wechat.onReview === 'reject');
    if (reject) {
      try {
        await this.deps.onRisky(event.traceId, target, event);
      } catch (err) {
        // Keep the mapping: WeChat retries a push that did not get "success".
        this.deps.logger?.error({ traceId: event.traceId, reason: err instanceof Error ? err.message : String(err) }, 'recall after risky media failed');
        return { status: 500, body: 'retry' };
      }
      this.metrics.rejected.inc({ stage: 'wechat_media' });
      this.deps.logger?.info({ traceId: event.traceId, conv: target.conv, seq: target.seq, label: event.label }, 'risky media recalled');
    }
    await this.deps.traces.delete(event.traceId);
    return { status: 200, body: 'success' };
  }
}
