import { createHmac } from 'node:crypto';
import { type ModerationContext, StageUnavailableError, type StageVerdict, type TextCheckStage } from './moderation-types.js';

export interface WebhookOptions {
  url: string;
  secret?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * Optional HTTP webhook stage. POSTs `{text, userId, scene, appId?}` as JSON
 * (with `x-miniim-signature: sha256=<hex HMAC of the body>` when a secret is
 * set) and expects `200 {"suggest": "pass" | "review" | "risky", "label"?}`.
 * Anything else counts as unavailable.
 */
export class WebhookTextCheck implements TextCheckStage {
  readonly name = 'webhook';
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: WebhookOptions) {
    this.fetchImpl = opts.fetch ?? fetch;
  }

  async check(text: string, ctx: ModerationContext): Promise<StageVerdict> {
    const payload = JSON.stringify({ text, userId: ctx.userId, scene: ctx.scene, appId: ctx.appId });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.opts.secret) {
      headers['x-miniim-signature'] = `sha256=${createHmac('sha256', this.opts.secret).update(payload).digest('hex')}`;
    }
    let res: Response;
    try {
      res = await this.fetchImpl(this.opts.url, {
        method: 'POST',
        headers,
        body: payload,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 3000),
      });
    } catch {
      throw new StageUnavailableError(this.name, 'unreachable');
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new StageUnavailableError(this.name, res.status === 200 ? 'answer is not JSON' : `HTTP ${res.status}`);
    }
    if (res.status !== 200) throw new StageUnavailableError(this.name, `HTTP ${res.status}`);
    const { suggest, label } = (body ?? {}) as { suggest?: unknown; label?: unknown };
    if (suggest !== 'pass' && suggest !== 'review' && suggest !== 'risky') {
      throw new StageUnavailableError(this.name, 'answer without suggest');
    }
    return typeof label === 'string' ? { suggest, label: label.slice(0, 64) } : { suggest };
  }
}
