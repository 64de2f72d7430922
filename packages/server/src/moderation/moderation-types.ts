/**
 * The declared interface between the moderation and WeChat features: the only
 * moderation file that `wechat/` imports, and `moderation/` imports nothing of
 * `wechat/` (the import-graph test checks both). WeChat implements a text stage
 * and the identity lookup (`WechatModerationPort`); moderation offers the text
 * check (`CheckText`), its config type and its counters.
 */
export type { FailPolicy, ModerationConfig, ReviewPolicy } from './moderation-config.js';
export { type ModerationMetrics, moderationMetrics } from './moderation-metrics.js';

/** Where the text comes from; decides the WeChat `scene`. */
export type ModerationScene = 'message' | 'nickname' | 'group_name';

/** Who sends the text being checked. */
export interface ModerationContext {
  userId: string;
  /** Needed by WeChat msgSecCheck; without it that stage is skipped. */
  openid?: string;
  appId?: string;
  scene: ModerationScene;
}

export type Suggest = 'pass' | 'review' | 'risky';

/** Result of one stage. */
export interface StageVerdict {
  suggest: Suggest;
  /** Keyword hit, WeChat label, webhook label… for logs; never the whole text. */
  label?: string;
  /** The stage did not run for this input (e.g. no openid for WeChat). */
  skipped?: boolean;
}

/** One step of the text pipeline. */
export interface TextCheckStage {
  readonly name: string;
  /** Throws StageUnavailableError when the check could not be made. */
  check(text: string, ctx: ModerationContext): Promise<StageVerdict>;
}

/** The stage's backend (WeChat, webhook) could not give a verdict. */
export class StageUnavailableError extends Error {
  readonly reason: string;

  constructor(stage: string, reason: string) {
    super(`${stage}: check unavailable (${reason})`);
    this.name = 'StageUnavailableError';
    this.reason = reason;
  }
}

/** WeChat msgSecCheck scene per ModerationScene (1 profile, 2 comment). */
export function wechatScene(scene: ModerationScene): 1 | 2 {
  return scene === 'message' ? 2 : 1;
}

/** The WeChat identity used for msgSecCheck / mediaCheckAsync. */
export interface WechatIdentity {
  openid: string;
  appId: string;
}

/** What the WeChat feature offers the moderation feature. */
export interface WechatModerationPort {
  /** msgSecCheck as a stage; absent when no mini-program is configured. */
  readonly textCheck?: TextCheckStage;
  /** The user's most recent WeChat identity, or undefined (web / dev-login users). */
  identity(userId: string): Promise<WechatIdentity | undefined>;
}

/**
 * Content-safety check of a user's text; throws content_rejected (422) or,
 * fail-closed, unavailable (503). `identity` overrides the stored one (login,
 * before it is stored).
 */
export type CheckText = (text: string, userId: string, scene: ModerationScene, identity?: WechatIdentity) => Promise<void>;
