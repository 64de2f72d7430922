/**
 * What the WeChat feature does with committed messages: offline notifications
 * through subscribe messages, and asynchronous media checks whose risky verdicts
 * recall the message. Built after MessageService (content removal) and
 * subscribed to the core's CommitFeed; work runs in the background and never
 * throws into a send.
 */
import { type Msg, messagePreview, parseConvId } from '@miniim/protocol';
import type { Registry } from 'prom-client';
import type { Bus } from '../cluster/bus.js';
import type { AuditSink } from '../core/audit-sink.js';
import type { CommitFeed } from '../core/commit-feed.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../storage/storage.js';
import { MediaCheck } from './media-check.js';
import type { WechatIntegration } from './wechat-integration.js';

/** What the hooks need from the message service. */
export interface ContentRemoval {
  /** Server-side recall with a `content_removed` notice. */
  removeContent(conv: string, seq: number): Promise<boolean>;
}

export interface WechatMessageHooksDeps {
  wechat: WechatIntegration;
  removal: ContentRemoval;
  /** The message as clients get it (signed media URLs when signed URLs are on). */
  signMessage: (msg: Msg) => Msg;
  committed: CommitFeed;
  storage: Pick<Storage, 'getUser' | 'groups' | 'wechat'>;
  bus: Pick<Bus, 'isOnline'>;
  /** Base URL WeChat fetches server-relative media from. */
  publicBaseUrl?: string | undefined;
  logger: Logger;
  /** The server's prom-client registry (moderation counters). */
  registry: Registry;
  /** Where media removals are recorded (the audit log). */
  audit?: AuditSink;
}

export class WechatMessageHooks {
  /** Present when at least one mini-program is configured. */
  readonly media?: MediaCheck;
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly deps: WechatMessageHooksDeps) {
    const wx = deps.wechat.wechat;
    if (!wx) return;
    this.media = new MediaCheck({
      config: deps.wechat.moderationConfig,
      wechatConfig: deps.wechat.wechatConfig,
      api: wx.api,
      tokens: wx.tokens,
      traces: deps.storage.wechat.traces,
      onRisky: async (traceId, target) => {
        const removed = await deps.removal.removeContent(target.conv, target.seq);
        deps.audit?.({
          actor: 'moderation',
          action: 'moderation.media_removed',
          target: `${target.conv}#${target.seq}`,
          detail: { userId: target.userId, traceId, removed },
        });
      },
      logger: deps.logger,
      registry: deps.registry,
    });
    deps.committed.subscribe(this.onCommitted);
  }

  private readonly onCommitted = (msg: Msg, members: readonly string[]): void => {
    if (this.deps.wechat.wechatConfig.subscribe?.enabled) this.track(this.notifyOffline(msg, members), 'subscribe notification');
    if (this.media?.enabled && (msg.kind === 'image' || msg.kind === 'audio')) {
      this.track(this.submitMedia(this.media, msg), 'media check submit');
    }
  };

  /** Waits for background notifications and media submissions (graceful shutdown, tests). */
  async flush(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private track(p: Promise<void>, what: string): void {
    const tracked = p.catch((err) => {
      this.deps.logger.warn({ reason: err instanceof Error ? err.message : String(err) }, `${what} failed`);
    });
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }

  private async notifyOffline(msg: Msg, members: readonly string[]): Promise<void> {
    const notifier = this.deps.wechat.wechat?.notifier;
    if (!notifier) return;
    const others = members.filter((m) => m !== msg.from);
    if (others.length === 0) return;
    const online = await this.deps.bus.isOnline(others);
    const offline = others.filter((u) => online.get(u) !== true);
    if (offline.length === 0) return;
    const sender = await this.deps.storage.getUser(msg.from);
    const parsed = parseConvId(msg.conv);
    const group = parsed?.kind === 'group' ? await this.deps.storage.groups.getGroup(parsed.groupId) : undefined;
    const preview = messagePreview(msg.kind, msg.body);
    for (const toUserId of offline) {
      const outcome = await notifier.notify({
        toUserId,
        conv: msg.conv,
        senderName: sender?.nickname ?? msg.from,
        conversationName: group?.name,
        preview,
        ts: msg.ts,
      });
      if (outcome === 'sent') this.deps.logger.debug({ userId: toUserId, conv: msg.conv }, 'offline notification sent');
    }
  }

  private async submitMedia(media: MediaCheck, msg: Msg): Promise<void> {
    const id = await this.deps.wechat.identity(msg.from);
    if (!id) return;
    // The URL as clients get it (signed when signed URLs are on), so WeChat can fetch it.
    const shown = this.deps.signMessage(msg);
    const url = this.absoluteUrl((shown.body as { url: string }).url);
    if (!url) {
      this.deps.logger.warn({ conv: msg.conv, seq: msg.seq }, 'media check skipped: set MINIIM_PUBLIC_URL so WeChat can fetch the media');
      return;
    }
    await media.submit(
      { url, type: msg.kind === 'audio' ? 'audio' : 'image' },
      { conv: msg.conv, seq: msg.seq, msgId: msg.id, userId: msg.from },
      { userId: msg.from, openid: id.openid, appId: id.appId, scene: 'message' },
    );
  }

  /** WeChat fetches the media itself: server-relative URLs need the public base URL. */
  private absoluteUrl(url: string): string | undefined {
    if (/^https?:\/\//i.test(url)) return url;
    const base = this.deps.publicBaseUrl;
    return base && url.startsWith('/') ? base.replace(/\/+$/, '') + url : undefined;
  }
}
