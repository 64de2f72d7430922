/** User-facing texts in Simplified Chinese: error codes, validation and connection states. */

const ERROR_TEXT: Record<string, string> = {
  bad_request: '请求内容有误',
  unauthorized: '登录已失效，请重新登录',
  forbidden: '没有权限进行此操作',
  not_found: '内容不存在',
  conflict: '操作冲突，请重试',
  too_large: '文件或内容太大',
  unsupported_media: '不支持的文件类型',
  content_rejected: '内容含有不当信息，未能发送',
  recall_window_passed: '已超过可撤回的时间',
  rate_limited: '操作太频繁，请稍后再试',
  internal: '服务器出错了，请稍后再试',
  unavailable: '服务器暂时不可用，请稍后再试',
};

/** A Chinese explanation of an SDK / HTTP error (never the server's English message alone). */
export function errorText(err: unknown): string {
  const code = (err as { code?: string } | null)?.code;
  if (code && ERROR_TEXT[code]) return ERROR_TEXT[code];
  if (err instanceof TypeError) return '网络异常，请检查网络连接';
  return '操作失败，请稍后再试';
}

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** Validates a user id typed by a person; returns the problem in Chinese, or undefined. */
export function userIdProblem(id: string): string | undefined {
  if (!id) return '请输入用户 ID';
  if (!ID_RE.test(id)) return '用户 ID 只能包含字母、数字、下划线和短横线，最多 64 个字符';
  return undefined;
}

/** Banner text per connection state (connected: no banner). */
export const STATE_BANNER: Record<string, string | undefined> = {
  connecting: '正在连接…',
  reconnecting: '网络连接已断开，正在重新连接…',
  offline: '网络不可用，请检查网络设置',
  disconnected: '未连接到服务器',
};

/** Why the login form is back (the SDK's `sessionEnded` reasons). */
export const SESSION_ENDED: Record<string, string> = {
  expired: '登录已过期，请重新登录',
  revoked: '登录已失效，请重新登录',
  banned: '账号已被封禁，请联系管理员',
  replaced: '你的账号已在其他地方登录',
  logout: '你已退出登录',
};
