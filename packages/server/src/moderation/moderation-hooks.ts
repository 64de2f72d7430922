/**
 * The moderation feature's wiring: builds the content moderator from the config
 * and the WeChat stage, and hands out the hooks the core and the routes call
 * (message text, group names, nicknames). Nothing to hook when every stage is off.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AuditSink } from '../core/audit-sink.js';
import { ContentModerator } from './content-moderator.js';
import type { ModerationConfig } from './moderation-config.js';
import type { CheckText, WechatModerationPort } from './moderation-types.js';

export interface ModerationDeps {
  config: ModerationConfig;
  /** The WeChat feature's stage and identity lookup. */
  wechat: WechatModerationPort;
  logger: Logger;
  /** The server's prom-client registry (moderation counters). */
  registry: Registry;
  /** Where moderation decisions are recorded (the audit log). */
  audit?: AuditSink;
}

/** What the rest of the server calls; created only when at least one stage is on. */
export interface ModerationHooks {
  /** Any user text (nickname at login…). */
  checkText: CheckText;
  /** MessageService's `moderateText` hook (scene `message`). */
  moderateText(text: string, ctx: { userId: string; conv: string }): Promise<void>;
  /** GroupService's name check (scene `group_name`). */
  checkGroupName(name: string, userId: string): Promise<void>;
}

/** The moderation hooks, or undefined when no stage is on (no check at all). */
export function createModeration(deps: ModerationDeps): ModerationHooks | undefined {
  const { config, wechat } = deps;
  const moderator = new ContentModerator({ config, wechat: wechat.textCheck, logger: deps.logger, registry: deps.registry, audit: deps.audit });
  if (moderator.stageNames.length === 0) return undefined;
  const checkText: CheckText = async (text, userId, scene, identity) => {
    const id = identity ?? (config.wechat.enabled ? await wechat.identity(userId) : undefined);
    await moderator.checkText(text, { userId, openid: id?.openid, appId: id?.appId, scene });
  };
  return {
    checkText,
    moderateText: (text, ctx) => checkText(text, ctx.userId, 'message'),
    checkGroupName: (name, userId) => checkText(name, userId, 'group_name'),
  };
}
