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
