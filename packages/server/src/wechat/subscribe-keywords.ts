/**
 * Subscribe-message keyword types and how MiniIM fills them. WeChat checks each
 * value against its keyword type (the key without its number: `thing1` →
 * `thing`) and answers 47003 when a value breaks the type's rule. The rules
 * are the table "订阅消息参数值内容限制说明" of subscribeMessage.send:
 * https://developers.weixin.qq.com/minigame/dev/api-backend/open-api/subscribe-message/subscribeMessage.send.html
 */
import type { SubscribeFieldSource } from './wechat-config.js';

/** What a message-derived value is made from (`const` values are written in config). */
export type KeywordSource = Exclude<SubscribeFieldSource, { const: string }>;

/** The sources each keyword type can take besides `{const}`. */
const SOURCES: Record<string, readonly KeywordSource[]> = {
  thing: ['sender', 'preview', 'conversation', 'time'],
  name: ['sender', 'conversation'],
  time: ['time'],
  date: ['time'],
  phrase: [],
  number: [],
  letter: [],
  symbol: [],
  character_string: [],
  amount: [],
  phone_number: [],
  car_number: [],
  enum: [],
};

/** Every keyword type the server knows. */
export const KEYWORD_TYPES = Object.keys(SOURCES);

const HAN = /\p{Script=Han}/u;
const count = (v: string) => Array.from(v).length;
const DAY = '\\d{4}年\\d{1,2}月\\d{1,2}日';
const HM = '\\d{1,2}:\\d{2}';
const TIME_VALUE = new RegExp(`^(?:${DAY} )?${HM}$`);
const DATE_VALUE = new RegExp(`^${DAY}(?: ${HM})?$`);

/** Why a fixed value breaks its keyword type's rule, or undefined when it fits. */
const CONST_RULES: Record<string, (v: string) => string | undefined> = {
  thing: (v) => (count(v) <= 20 ? undefined : 'at most 20 characters'),
  name: (v) =>
    /[\p{N}\p{Extended_Pictographic}]/u.test(v)
      ? 'letters, Chinese characters or symbols only'
      : count(v) > (HAN.test(v) ? 10 : 20)
        ? 'at most 10 Chinese characters (20 letters)'
        : undefined,
  phrase: (v) => (/^\p{Script=Han}{1,5}$/u.test(v) ? undefined : 'at most 5 Chinese characters, nothing else'),
  number: (v) => (count(v) <= 32 && /^\d+(\.\d+)?$/.test(v) ? undefined : 'at most 32 digits (a decimal point allowed)'),
  letter: (v) => (/^[A-Za-z]{1,32}$/.test(v) ? undefined : 'at most 32 letters'),
  symbol: (v) => (/^[^\p{L}\p{N}\s]{1,5}$/u.test(v) ? undefined : 'at most 5 symbols'),
  character_string: (v) => (/^[!-~]{1,32}$/.test(v) ? undefined : 'at most 32 digits, letters or symbols'),
  time: (v) => (v.split('~').every((p) => TIME_VALUE.test(p)) ? undefined : 'like 15:01 or 2019年10月1日 15:01'),
  date: (v) => (v.split('~').every((p) => DATE_VALUE.test(p)) ? undefined : 'like 2019年10月1日 or 2019年10月1日 15:01'),
  amount: (v) => (/^[\u00a5\uffe5$\u20ac\u00a3]?\d{1,10}(\.\d{1,2})?\u5143?$/.test(v) ? undefined : 'a currency sign and at most 10 digits, e.g. ¥8.5'),
  phone_number: (v) => (/^[0-9+\-()#* ]{1,17}$/.test(v) ? undefined : 'at most 17 digits or symbols'),
  car_number: (v) =>
    count(v) <= 8 && /^[\p{Script=Han}A-Za-z0-9][A-Za-z0-9]*[\p{Script=Han}A-Za-z0-9]?$/u.test(v) ? undefined : 'a plate number like 粤A8Z888挂',
  enum: () => undefined,
};

/** `thing1` → `thing`. */
export function keywordType(key: string): string {
  return key.replace(/\d+$/, '');
}

/**
 * Checks one template field mapping; returns a message for config errors
 * (unknown type, a source the type cannot take, a fixed value WeChat would
 * refuse) or undefined.
 */
export function checkKeywordMapping(key: string, source: SubscribeFieldSource): string | undefined {
  const type = keywordType(key);
  const sources = SOURCES[type];
  if (!sources) return `unknown keyword type "${type}" (known: ${KEYWORD_TYPES.join(', ')})`;
  if (typeof source === 'object') {
    if (source.const === '') return 'must not be empty';
    const why = CONST_RULES[type](source.const);
    return why && `"${source.const}" does not fit ${type}: ${why}`;
  }
  if (!sources.includes(source)) {
    return sources.length === 0
      ? `a ${type} keyword takes only a fixed value ({"const": "…"})`
      : `a ${type} keyword takes ${sources.map((s) => `"${s}"`).join(', ')} or a fixed value, not "${source}"`;
  }
  return undefined;
}

/** What a message-derived keyword value is made from. */
export interface KeywordInput {
  senderName: string;
  conversationName?: string;
  preview: string;
  ts: number;
  timeZone: string;
}

/** Name shown when a sender's nickname has nothing WeChat accepts (a `name` and `thing` value). */
const NO_NAME = '微信用户';
const NO_PREVIEW = '[消息]';

/**
 * The value for `key` from a validated mapping, shaped to its type's rule:
 * `time`/`date` as `2019年10月1日 15:01`, `thing` cut to 20 characters (`…`
 * marks a cut), `name` cut to 10 Chinese / 20 letters without digits and
 * with no mark added. Emoji and control characters are dropped (the table
 * allows Chinese characters, digits, letters and symbols).
 */
export function keywordValue(key: string, source: SubscribeFieldSource, input: KeywordInput): string {
  if (typeof source === 'object') return source.const;
  const type = keywordType(key);
  if (source === 'time') return formatWechatTime(input.ts, input.timeZone);
  const raw = source === 'sender' ? input.senderName : source === 'conversation' ? (input.conversationName ?? input.senderName) : input.preview;
  const text = raw
    .replace(/\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Cc}|\p{Cf}|\u{FE0F}/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (type === 'name') {
    const name = text.replace(/\p{N}/gu, '').replace(/\s+/g, ' ').trim();
    return name === ''
      ? NO_NAME
      : Array.from(name)
          .slice(0, HAN.test(name) ? 10 : 20)
          .join('');
  }
  if (text === '') return source === 'preview' ? NO_PREVIEW : NO_NAME;
  return cut(text, 20);
}

/** Cuts to `max` characters (code points), ending with `…` when shortened. */
export function cut(value: string, max: number): string {
  const chars = Array.from(value);
  if (chars.length <= max) return value;
  return `${chars.slice(0, max - 1).join('')}…`;
}

/** `2019年10月1日 15:01` in `timeZone`: the form both `time` and `date` keywords take. */
export function formatWechatTime(ts: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ts));
  const p = (t: string) => parts.find((x) => x.type === t)?.value ?? '';
  return `${p('year')}年${Number(p('month'))}月${Number(p('day'))}日 ${p('hour')}:${p('minute')}`;
}
