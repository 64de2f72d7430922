import {
  type ModerationContext,
  StageUnavailableError,
  type StageVerdict,
  type Suggest,
  type TextCheckStage,
  wechatScene,
} from '../moderation/moderation-types.js';
import type { AccessTokenProvider } from './access-token-provider.js';
import type { MsgSecCheckResult, WechatApi } from './wechat-api.js';
import { WechatApiError, WechatUnreachableError } from './wechat-errors.js';

/** msgSecCheck accepts at most this many characters per call. */
export const MSG_SEC_CHECK_MAX = 2500;
/** Chunks overlap so a word cut at a boundary is still seen whole once. */
const CHUNK_OVERLAP = 20;

/**
 * WeChat `msgSecCheck` v2 as a pipeline stage. Needs the sender's openid
 * (skipped without one). Texts over 2,500 characters are checked in
 * overlapping chunks; the worst verdict wins.
 */
export class WechatTextCheck implements TextCheckStage {
  readonly name = 'wechat';

  constructor(
    private readonly api: WechatApi,
    private readonly tokens: AccessTokenProvider,
  ) {}

  async check(text: string, ctx: ModerationContext): Promise<StageVerdict> {
    if (!ctx.openid) return { suggest: 'pass', skipped: true };
    const openid = ctx.openid;
    const scene = wechatScene(ctx.scene);
    let results: MsgSecCheckResult[];
    try {
      results = await Promise.all(
        splitForCheck(text).map((content) => this.tokens.call(ctx.appId, (token) => this.api.msgSecCheck(token, { content, version: 2, scene, openid }))),
      );
    } catch (err) {
      if (err instanceof WechatUnreachableError) throw new StageUnavailableError(this.name, 'unreachable');
      if (err instanceof WechatApiError) throw new StageUnavailableError(this.name, `errcode ${err.errcode}`);
      throw err;
    }
    let worst: MsgSecCheckResult = results[0];
    for (const r of results) if (rank(r.result.suggest) > rank(worst.result.suggest)) worst = r;
    return { suggest: worst.result.suggest, label: `label:${worst.result.label}` };
  }
}

function rank(s: Suggest): number {
  return s === 'risky' ? 2 : s === 'review' ? 1 : 0;
}

/** Splits text into ≤ 2,500-unit chunks (overlapping, never inside a surrogate pair). */
export function splitForCheck(text: string, max = MSG_SEC_CHECK_MAX, overlap = CHUNK_OVERLAP): string[] {
  if (text.length <= max) return [text];
  const chunks: string[] = [];
  let start = 0;
  for (;;) {
    let end = Math.min(start + max, text.length);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end--;
    chunks.push(text.slice(start, end));
    if (end >= text.length) return chunks;
    let next = end - overlap;
    if (isLowSurrogate(text.charCodeAt(next))) next++;
    start = next;
  }
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
