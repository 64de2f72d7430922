import type { WechatSuggest } from './wechat-api.js';

/** A `wxa_media_check` push: the verdict of a mediaCheckAsync request. */
export interface MediaCheckEvent {
  appid?: string;
  traceId: string;
  suggest: WechatSuggest;
  label: number;
}

/**
 * Parses a message-push body (JSON or XML data format). Returns the media-check
 * verdict for `wxa_media_check` events, `null` for any other event, and throws
 * on a body that is not a well-formed push.
 */
export function parseMediaCheckPush(rawBody: string): MediaCheckEvent | null {
  const text = rawBody.trim();
  if (text.startsWith('{')) return fromJson(text);
  if (text.startsWith('<')) return fromXml(text);
  throw new Error('push body is neither JSON nor XML');
}

function fromJson(text: string): MediaCheckEvent | null {
  const data = JSON.parse(text) as Record<string, unknown>;
  if (typeof data !== 'object' || data === null) throw new Error('push body is not an object');
  if (data.Event !== 'wxa_media_check') return null;
  const result = data.result as { suggest?: unknown; label?: unknown } | undefined;
  return build(data.trace_id, result?.suggest, result?.label, data.appid);
}

function fromXml(text: string): MediaCheckEvent | null {
  const tag = (name: string, within = text): string | undefined => {
    const m = new RegExp(`<${name}>\\s*(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))\\s*</${name}>`).exec(within);
    return m ? (m[1] ?? m[2]).trim() : undefined;
  };
  if (tag('Event') !== 'wxa_media_check') return null;
  const resultXml = /<result>([\s\S]*?)<\/result>/.exec(text)?.[1];
  if (resultXml === undefined) throw new Error('wxa_media_check push without result');
  const label = tag('label', resultXml);
  return build(tag('trace_id'), tag('suggest', resultXml), label === undefined ? undefined : Number(label), tag('appid'));
}

function build(traceId: unknown, suggest: unknown, label: unknown, appid: unknown): MediaCheckEvent {
  if (typeof traceId !== 'string' || traceId === '') throw new Error('wxa_media_check push without trace_id');
  if (suggest !== 'risky' && suggest !== 'pass' && suggest !== 'review') {
    throw new Error('wxa_media_check push without a valid result.suggest');
  }
  const ev: MediaCheckEvent = {
    traceId,
    suggest,
    label: typeof label === 'number' && Number.isFinite(label) ? label : 0,
  };
  if (typeof appid === 'string') ev.appid = appid;
  return ev;
}
