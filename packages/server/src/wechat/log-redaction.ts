/**
 * pino `redact.paths` for WeChat secrets. A second line of defence: the
 * modules never pass session_key, access tokens, app secrets or EncodingAESKeys to the logger.
 * Use as `pino({ redact: { paths: WECHAT_REDACT_PATHS, censor: '[redacted]' } })`.
 */
export const WECHAT_REDACT_PATHS: string[] = [
  'session_key',
  'sessionKey',
  'sessionKeyEnc',
  'access_token',
  'accessToken',
  'secret',
  'encodingAESKey',
  '*.encodingAESKey',
  '*.session_key',
  '*.sessionKey',
  '*.sessionKeyEnc',
  '*.access_token',
  '*.accessToken',
  '*.secret',
  'req.query.access_token',
  'req.query.secret',
];
