import type { WechatSuggest } from './wechat-api.js';

/** A `wxa_media_check` push with a verdict (errcode 0 and a result). */
export interface MediaCheckEvent {
  appid?: string;
  traceId: string;
  suggest: WechatSuggest;
  label: number;
}

/**
 * A `wxa_media_check` push for a check WeChat could not do: errcode ≠ 0 (e.g.
 * -1008, the media could not be downloaded), or no usable result. The
 * mediaCheckAsync page: the result is valid only when errcode is 0.
 */
export interface MediaCheckFailure {
  appid?: string;
  traceId: string;
  errcode: number;
  errmsg: string;
}

export function isMediaCheckFailure(ev: MediaCheckEvent | MediaCheckFailure): ev is MediaCheckFailure {
  return 'errcode' in ev;
}

/**
 * Parses a (decrypted) message-push body in the JSON or XML data format.
 * Returns the media-check verdict or failure for `wxa_media_check` events,
 * `null` for any other event, and throws on a body that is not a well-formed
 * push or an event without trace_id.
 */
export function parseMediaCheckPush(rawBody: string): MediaCheckEvent | MediaCheckFailure | null {
  const text = rawBody.trim();
  if (text.startsWith('{')) return fromJson(text);
  if (text.startsWith('<')) return fromXml(text);
  throw new Error('push body is neither JSON nor XML');
}

function fromJson(text: string): MediaCheckEvent | MediaCheckFailure | null {
  const data = JSON.parse(text) as Record<string, unknown>;
  if (typeof data !== 'object' || data === null) throw new Error('push body is not an object');
  if (data.Event !== 'wxa_media_check') return null;
  const result = data.result as { suggest?: unknown; label?: unknown } | undefined;
  return build({ traceId: data.trace_id, appid: data.appid, errcode: data.errcode, errmsg: data.errmsg, suggest: result?.suggest, label: result?.label });
}

/** The text of `<name>` (CDATA or plain) within `xml`. */
export function xmlTag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>\\s*(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))\\s*</${name}>`).exec(xml);
  return m ? (m[1] ?? m[2]).trim() : undefined;
}

function fromXml(text: string): MediaCheckEvent | MediaCheckFailure | null {
  // Top-level fields only: each <detail> entry has its own errcode/suggest/label.
  const top = text.replace(/<detail>[\s\S]*?<\/detail>/g, '');
  if (xmlTag(top, 'Event') !== 'wxa_media_check') return null;
  const resultXml = /<result>([\s\S]*?)<\/result>/.exec(top)?.[1];
  return build({
    traceId: xmlTag(top, 'trace_id'),
    appid: xmlTag(top, 'appid'),
    errcode: xmlTag(top, 'errcode'),
    errmsg: xmlTag(top, 'errmsg'),
    suggest: resultXml === undefined ? undefined : xmlTag(resultXml, 'suggest'),
    label: resultXml === undefined ? undefined : xmlTag(resultXml, 'label'),
  });
}

/** A number written as a number or as a string (real pushes send `"label": "100"`). */
function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  return undefined;
}

function build(f: {
  traceId: unknown;
  appid: unknown;
  errcode: unknown;
  errmsg: unknown;
  suggest: unknown;
  label: unknown;
}): MediaCheckEvent | MediaCheckFailure {
  if (typeof f.traceId !== 'string' || f.traceId === '') throw new Error('wxa_media_check push without trace_id');
  const appid = typeof f.appid === 'string' ? { appid: f.appid } : {};
  // A missing errcode counts as 0: real pushes with a result sometimes leave it out.
  const errcode = f.errcode === undefined ? 0 : (toNumber(f.errcode) ?? Number.NaN);
  const { suggest } = f;
  if (errcode !== 0 || (suggest !== 'risky' && suggest !== 'pass' && suggest !== 'review')) {
    const errmsg = typeof f.errmsg === 'string' ? f.errmsg.slice(0, 200) : '';
    return { ...appid, traceId: f.traceId, errcode: Number.isNaN(errcode) ? -1 : errcode, errmsg: errcode === 0 ? 'push without a valid result' : errmsg };
  }
  return { ...appid, traceId: f.traceId, suggest, label: toNumber(f.label) ?? 0 };
}
