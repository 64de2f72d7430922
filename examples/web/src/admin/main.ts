/**
 * The admin console at `/admin/` (docs/admin-api.md): online counts per node, user search
 * with ban/unban, message lookup and removal, the audit log. A thin page over the admin
 * API; the token is kept in sessionStorage (this tab only) and sent as a bearer header.
 */
import { $, h } from '../dom.js';
import { actionLabel, fieldRows, formatTime } from './format.js';

const TOKEN_KEY = 'miniim.admin.token';
// biome-ignore lint/suspicious/noExplicitAny: the admin API's JSON answers, read field by field (docs/admin-api.md)
type Json = Record<string, any>;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let token = sessionStorage.getItem(TOKEN_KEY) ?? '';

async function api(method: string, path: string, body?: unknown): Promise<Json> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = (await res.json().catch(() => ({}))) as Json;
  if (!res.ok) throw new ApiError(res.status, data.error?.code ?? 'internal', data.error?.message ?? `HTTP ${res.status}`);
  return data;
}

/** Runs an action, showing its error (or going back to the login form when the token is refused). */
async function run(fn: () => Promise<void>): Promise<void> {
  $('admin-error').textContent = '';
  try {
    await fn();
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      showLogin(err.status === 401 ? '管理令牌无效，请重新输入' : '该账号没有管理权限');
      return;
    }
    $('admin-error').textContent = err instanceof ApiError ? errorText(err) : '网络错误，请稍后重试';
  }
}

function errorText(e: ApiError): string {
  if (e.code === 'not_found') return '未找到';
  if (e.code === 'bad_request') return `输入有误：${e.message}`;
  return `操作失败（${e.code}）：${e.message}`;
}

function showLogin(error = ''): void {
  token = '';
  sessionStorage.removeItem(TOKEN_KEY);
  $('admin-app').hidden = true;
  $('admin-login').hidden = false;
  $('admin-login-error').textContent = error;
  document.body.dataset.state = 'login';
}

async function enter(): Promise<void> {
  await api('GET', '/api/admin/stats');
  sessionStorage.setItem(TOKEN_KEY, token);
  $('admin-login').hidden = true;
  $('admin-app').hidden = false;
  document.body.dataset.state = 'ready';
  await showTab('overview');
}

// ---- tabs ----

async function showTab(name: string): Promise<void> {
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-tab]')) b.setAttribute('aria-selected', String(b.dataset.tab === name));
  for (const p of document.querySelectorAll<HTMLElement>('[data-panel]')) p.hidden = p.dataset.panel !== name;
  if (name === 'overview') await loadStats();
  if (name === 'audit') await loadAudit(true);
}

// ---- overview ----

async function loadStats(): Promise<void> {
  const s = await api('GET', '/api/admin/stats');
  $('stat-sockets').textContent = String(s.sockets);
  $('stat-users').textContent = String(s.users);
  $('stat-nodes').textContent = String(s.nodes.length);
  $('node-rows').replaceChildren(
    ...s.nodes.map((n: Json) =>
      h('tr', {}, [h('td', { text: n.node }), h('td', { text: String(n.sockets) }), h('td', { text: String(n.users) }), h('td', { text: formatTime(n.at) })]),
    ),
  );
}

// ---- users ----

let shownUser = '';

async function searchUsers(): Promise<void> {
  const q = ($('user-q') as HTMLInputElement).value.trim();
  if (!q) return;
  const r = await api('GET', `/api/admin/users?q=${encodeURIComponent(q)}&limit=50`);
  const rows = r.users.map((u: Json) => {
    const open = h('button', { className: 'secondary', text: '查看', attrs: { type: 'button', 'data-user': u.id } });
    open.addEventListener('click', () => void run(() => showUser(u.id)));
    return h('tr', {}, [h('td', { text: u.id }), h('td', { text: u.nickname }), h('td', { text: formatTime(u.createdAt) }), h('td', {}, [open])]);
  });
  $('user-rows').replaceChildren(...(rows.length ? rows : [h('tr', {}, [h('td', { text: '没有找到用户', attrs: { colspan: '4' } })])]));
}

async function showUser(id: string): Promise<void> {
  const r = await api('GET', `/api/admin/users/${encodeURIComponent(id)}`);
  shownUser = id;
  $('user-detail').hidden = false;
  $('user-detail-title').textContent = `${r.user.nickname}（${r.user.id}）`;
  const fields: Array<[string, string, string?]> = [
    ['状态', r.banned ? '已封禁' : '正常', r.banned ? 'tag-banned' : undefined],
    ['在线', r.online ? '在线' : '离线'],
    ['注册时间', formatTime(r.user.createdAt)],
    ['微信身份', r.identities.map((i: Json) => `${i.appId} / ${i.openid}`).join('；') || '无'],
  ];
  if (r.ban) fields.push(['封禁信息', `${formatTime(r.ban.at)} 由 ${r.ban.by}${r.ban.reason ? `，原因：${r.ban.reason}` : ''}`]);
  $('user-detail-fields').replaceChildren(...fieldRows(fields));
  ($('ban-btn') as HTMLButtonElement).hidden = r.banned;
  ($('unban-btn') as HTMLButtonElement).hidden = !r.banned;
}

async function ban(): Promise<void> {
  if (!shownUser || !confirm(`确定封禁用户 ${shownUser}？其所有登录将立即失效。`)) return;
  const reason = ($('ban-reason') as HTMLInputElement).value.trim();
  await api('POST', `/api/admin/users/${encodeURIComponent(shownUser)}/ban`, reason ? { reason } : {});
  await showUser(shownUser);
}

async function unban(): Promise<void> {
  if (!shownUser) return;
  await api('DELETE', `/api/admin/users/${encodeURIComponent(shownUser)}/ban`);
  await showUser(shownUser);
}

// ---- messages ----

let shownMsg: Json | null = null;

async function lookupMessage(): Promise<void> {
  const conv = ($('msg-conv') as HTMLInputElement).value.trim();
  const seq = ($('msg-seq') as HTMLInputElement).value.trim();
  const id = ($('msg-id') as HTMLInputElement).value.trim();
  const r = id
    ? await api('GET', `/api/admin/messages/${encodeURIComponent(id)}`)
    : await api('GET', `/api/admin/conversations/${encodeURIComponent(conv)}/messages/${encodeURIComponent(seq)}`);
  shownMsg = r.msg;
  renderMessage();
}

function renderMessage(): void {
  const m = shownMsg;
  if (!m) return;
  $('msg-detail').hidden = false;
  const content = m.recalled ? `已撤回（${m.recalled.by === 'system' ? '系统' : m.recalled.by}）` : m.kind === 'text' ? m.body.text : JSON.stringify(m.body);
  $('msg-fields').replaceChildren(
    ...fieldRows([
      ['会话', m.conv],
      ['序号', String(m.seq)],
      ['消息 ID', m.id],
      ['发送者', m.from],
      ['类型', m.kind],
      ['时间', formatTime(m.ts)],
      ['内容', content],
    ]),
  );
  ($('msg-remove') as HTMLButtonElement).hidden = !!m.recalled || m.kind === 'system';
}

async function removeMessage(): Promise<void> {
  const m = shownMsg;
  if (!m || !confirm('确定删除这条消息？会话成员将看到“一条消息已被系统删除”。')) return;
  await api('DELETE', `/api/admin/conversations/${encodeURIComponent(m.conv)}/messages/${m.seq}`);
  shownMsg = (await api('GET', `/api/admin/conversations/${encodeURIComponent(m.conv)}/messages/${m.seq}`)).msg;
  renderMessage();
}

// ---- audit log ----

let auditCursor: string | undefined;

async function loadAudit(fresh: boolean): Promise<void> {
  const q = new URLSearchParams({ limit: '50' });
  for (const [key, el] of [
    ['actor', 'audit-actor'],
    ['action', 'audit-action'],
    ['target', 'audit-target'],
  ] as const) {
    const v = ($(el) as HTMLInputElement).value.trim();
    if (v) q.set(key, v);
  }
  if (!fresh && auditCursor) q.set('cursor', auditCursor);
  const r = await api('GET', `/api/admin/audit?${q}`);
  const rows = r.entries.map((e: Json) =>
    h('tr', { attrs: { 'data-action': e.action } }, [
      h('td', { text: formatTime(e.at) }),
      h('td', { text: e.actor }),
      h('td', { text: actionLabel(e.action) }),
      h('td', { text: e.target ?? '' }),
      h('td', { text: e.ip ?? '' }),
      h('td', { text: e.detail ? JSON.stringify(e.detail) : '' }),
    ]),
  );
  if (fresh) $('audit-rows').replaceChildren(...rows);
  else $('audit-rows').append(...rows);
  auditCursor = r.nextCursor;
  $('audit-more').hidden = !auditCursor;
}

// ---- wiring ----

function on(id: string, event: string, fn: () => Promise<void>): void {
  $(id).addEventListener(event, (e) => {
    e.preventDefault();
    void run(fn);
  });
}

on('admin-login-form', 'submit', async () => {
  token = ($('admin-token') as HTMLInputElement).value.trim();
  if (!token) {
    $('admin-login-error').textContent = '请输入管理令牌';
    return;
  }
  await enter();
});
on('admin-logout', 'click', async () => showLogin());
for (const b of document.querySelectorAll<HTMLButtonElement>('[data-tab]')) {
  b.addEventListener('click', () => void run(() => showTab(b.dataset.tab!)));
}
on('stats-refresh', 'click', loadStats);
on('user-search', 'submit', searchUsers);
on('ban-btn', 'click', ban);
on('unban-btn', 'click', unban);
on('msg-lookup', 'submit', lookupMessage);
on('msg-remove', 'click', removeMessage);
on('audit-filter', 'submit', () => loadAudit(true));
on('audit-more', 'click', () => loadAudit(false));

if (token) void run(enter);
else showLogin();
