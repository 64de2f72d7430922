/**
 * Folds the moderation environment variables into the `moderation` section of
 * the raw config (file / overrides), so one schema validates both. Returns
 * dotted config paths → env names, for error messages.
 */
import { EnvValueError, envFlag, envSection, envStage, envValue, hasEnvPrefix } from '../config/config-section.js';

/**
 * Env names: MINIIM_MODERATION_KEYWORDS_FILE (turns the keyword stage on),
 * MINIIM_MODERATION_WECHAT, MINIIM_MODERATION_FAIL_POLICY (open|closed),
 * MINIIM_MODERATION_REVIEW (accept|reject), MINIIM_MODERATION_WEBHOOK_URL,
 * MINIIM_MODERATION_WEBHOOK_SECRET.
 */
export function foldModerationEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Map<string, string> {
  const names = new Map<string, string>();
  if (!hasEnvPrefix(env, 'MINIIM_MODERATION_')) return names;
  const get = (n: string) => envValue(env, n);
  const m = envSection(raw, 'moderation');
  const file = get('MINIIM_MODERATION_KEYWORDS_FILE');
  if (file !== undefined) {
    Object.assign(envStage(m, 'keywords'), { enabled: true, file });
    names.set('moderation.keywords.file', 'MINIIM_MODERATION_KEYWORDS_FILE');
  }
  const wx = get('MINIIM_MODERATION_WECHAT');
  if (wx !== undefined) {
    const flag = envFlag(wx);
    if (flag === undefined) throw new EnvValueError('MINIIM_MODERATION_WECHAT', 'must be on or off');
    envStage(m, 'wechat').enabled = flag;
  }
  // One setting for both remote stages.
  for (const [name, field] of [
    ['MINIIM_MODERATION_FAIL_POLICY', 'failPolicy'],
    ['MINIIM_MODERATION_REVIEW', 'onReview'],
  ] as const) {
    const v = get(name);
    if (v === undefined) continue;
    for (const st of ['wechat', 'webhook'] as const) {
      envStage(m, st)[field] = v;
      names.set(`moderation.${st}.${field}`, name);
    }
  }
  const url = get('MINIIM_MODERATION_WEBHOOK_URL');
  if (url !== undefined) {
    Object.assign(envStage(m, 'webhook'), { enabled: true, url });
    names.set('moderation.webhook.url', 'MINIIM_MODERATION_WEBHOOK_URL');
  }
  const secret = get('MINIIM_MODERATION_WEBHOOK_SECRET');
  if (secret !== undefined) {
    envStage(m, 'webhook').secret = secret;
    names.set('moderation.webhook.secret', 'MINIIM_MODERATION_WEBHOOK_SECRET');
  }
  return names;
}
