import { ImError } from '@miniim/protocol';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AuditSink } from '../core/audit-sink.js';
import { KeywordFilter } from './keyword-filter.js';
import type { FailPolicy, ModerationConfig, ReviewPolicy } from './moderation-config.js';
import { type ModerationMetrics, moderationMetrics } from './moderation-metrics.js';
import { type ModerationContext, StageUnavailableError, type TextCheckStage } from './moderation-types.js';
import { WebhookTextCheck } from './webhook-text-check.js';

export interface ContentModeratorDeps {
  config: ModerationConfig;
  /** WeChat's msgSecCheck stage (from the WeChat feature); needed when `config.wechat.enabled`. */
  wechat?: TextCheckStage;
  /** A prebuilt filter; otherwise built from `config.keywords` (file read once, here). */
  keywordFilter?: KeywordFilter;
  /** Used by the webhook stage; default global fetch. */
  fetch?: typeof fetch;
  logger?: Logger;
  /** prom-client registry for the counters; default the global registry. */
  registry?: Registry;
  /** Where rejections and review verdicts are recorded (the audit log); never the text. */
  audit?: AuditSink;
}

interface Stage {
  impl: TextCheckStage;
  onReview: ReviewPolicy;
  failPolicy: FailPolicy;
}

/**
 * Runs every text (message, nickname, group name) through the enabled stages
 * before it is stored: keywords → WeChat msgSecCheck → webhook. Throws
 * `content_rejected` (422) on a risky verdict, or `unavailable` (503) when a
 * stage with the fail-closed policy cannot answer.
 */
export class ContentModerator {
  private readonly stages: Stage[] = [];
  private readonly metrics: ModerationMetrics;

  constructor(private readonly deps: ContentModeratorDeps) {
    const { config } = deps;
    this.metrics = moderationMetrics(deps.registry);
    if (config.keywords.enabled) {
      const filter =
        deps.keywordFilter ??
        (config.keywords.file ? KeywordFilter.fromFile(config.keywords.file, config.keywords.words) : new KeywordFilter(config.keywords.words ?? []));
      this.stages.push({ impl: filter, onReview: 'reject', failPolicy: 'closed' });
    }
    if (config.wechat.enabled) {
      if (!deps.wechat) throw new Error('moderation.wechat.enabled needs WeChat apps configured');
      this.stages.push({
        impl: deps.wechat,
        onReview: config.wechat.onReview ?? 'accept',
        failPolicy: config.wechat.failPolicy ?? 'open',
      });
    }
    if (config.webhook.enabled) {
      if (!config.webhook.url) throw new Error('moderation.webhook.enabled needs moderation.webhook.url');
      this.stages.push({
        impl: new WebhookTextCheck({
          url: config.webhook.url,
          secret: config.webhook.secret,
          timeoutMs: config.webhook.timeoutMs,
          fetch: deps.fetch,
        }),
        onReview: config.webhook.onReview ?? 'accept',
        failPolicy: config.webhook.failPolicy ?? 'open',
      });
    }
  }

  /** Names of the enabled stages, in order. */
  get stageNames(): string[] {
    return this.stages.map((s) => s.impl.name);
  }

  /** Resolves when `text` may be stored; throws ImError otherwise. The text itself is never logged. */
  async checkText(text: string, ctx: ModerationContext): Promise<void> {
    if (text === '') return;
    for (const stage of this.stages) {
      const name = stage.impl.name;
      let verdict: Awaited<ReturnType<TextCheckStage['check']>>;
      try {
        verdict = await stage.impl.check(text, ctx);
      } catch (err) {
        if (!(err instanceof StageUnavailableError)) throw err;
        this.metrics.unavailable.inc({ stage: name, policy: stage.failPolicy });
        this.metrics.verdicts.inc({ stage: name, verdict: 'unavailable' });
        if (stage.failPolicy === 'closed') {
          this.deps.logger?.warn({ stage: name, reason: err.reason, userId: ctx.userId }, 'content check unavailable; rejecting (fail-closed)');
          this.decided('moderation.unavailable_reject', ctx, { stage: name, reason: err.reason });
          throw new ImError('unavailable', 'content check unavailable; try again');
        }
        this.deps.logger?.warn({ stage: name, reason: err.reason, userId: ctx.userId }, 'content check unavailable; accepting (fail-open)');
        continue;
      }
      this.metrics.verdicts.inc({ stage: name, verdict: verdict.suggest });
      const reject = verdict.suggest === 'risky' || (verdict.suggest === 'review' && stage.onReview === 'reject');
      if (verdict.suggest === 'review') {
        this.deps.logger?.info({ stage: name, label: verdict.label, userId: ctx.userId, reject }, 'content marked for review');
        if (!reject) this.decided('moderation.review_accept', ctx, { stage: name, label: verdict.label });
      }
      if (reject) {
        this.metrics.rejected.inc({ stage: name });
        this.deps.logger?.info({ stage: name, label: verdict.label, userId: ctx.userId, scene: ctx.scene }, 'content rejected');
        this.decided('moderation.reject', ctx, { stage: name, label: verdict.label, verdict: verdict.suggest });
        throw new ImError('content_rejected', 'content was rejected by the content-safety check');
      }
    }
  }

  /** One moderation decision for the audit log: who wrote, where, which stage said what (never the text). */
  private decided(action: string, ctx: ModerationContext, detail: Record<string, unknown>): void {
    this.deps.audit?.({ actor: 'moderation', action, target: ctx.userId, detail: { scene: ctx.scene, ...detail } });
  }
}
