/**
 * MiniIM web chat page: dev login, conversation list, chat view. Uses only the SDK
 * (`@miniim/sdk/web`); plain TypeScript and DOM. A restart or deploy of the server shows a
 * "reconnecting" banner and never the login form; only a login the server ended does.
 */
import { createWebClient, devLogin, type ImClient } from '@miniim/sdk/web';
import { ChatPage } from './chat-page.js';
import { $ } from './dom.js';
import { setupEmojiPanel } from './emoji-panel.js';
import { paintStaticIcons } from './icons.js';
import { toast } from './overlay.js';
import { type Auth, clearAuth, loadAuth, saveAuth } from './session.js';
import { errorText, SESSION_ENDED, userIdProblem } from './texts.js';

const base = location.origin;
/** hello.limits.maxTextChars of the contract. */
const MAX_TEXT = 5000;
let client: ImClient | undefined;
let page: ChatPage | undefined;

function showLogin(message = ''): void {
  $('login').hidden = false;
  $('app').hidden = true;
  $('login-error').textContent = message;
  $<HTMLInputElement>('login-user').focus();
}

/** Ends the login: forgets the token and the cache, back to the login form with `message`. */
function endLogin(message = ''): void {
  page?.dispose();
  page = undefined;
  const c = client;
  client = undefined;
  void c?.close();
  clearAuth();
  showLogin(message);
}

function start(a: Auth): void {
  let auth = a;
  $('login').hidden = true;
  $('app').hidden = false;
  const c = createWebClient({ baseUrl: base, userId: a.user.id, auth: { token: a.token, expiresAt: a.expiresAt } });
  client = c;
  (window as unknown as { __miniim: ImClient }).__miniim = c;
  // A refreshed token replaces the saved one (the old one is revoked).
  c.on('auth', (r) => {
    auth = { token: r.token, expiresAt: r.expiresAt, user: r.user ?? auth.user };
    saveAuth(auth);
  });
  // The only way back to the login form: the server ended the login. Restarts, deploys,
  // 502s and lost networks show the banner instead.
  c.on('sessionEnded', ({ reason }) => endLogin(SESSION_ENDED[reason] ?? '登录已失效，请重新登录'));
  page = new ChatPage({
    baseUrl: base,
    client: c,
    me: a.user,
    token: () => auth.token,
    // An upload refused with 401: a checked call lets the SDK refresh the token (once), then retry with it.
    refreshToken: async () => {
      await c.api.me();
      return auth.token;
    },
  });
  void c.connect();
}

function setError(id: string, text: string): void {
  $(id).textContent = text;
}

function wire(): void {
  paintStaticIcons();
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const userId = $<HTMLInputElement>('login-user').value.trim();
    const nickname = $<HTMLInputElement>('login-name').value.trim() || undefined;
    const problem = userIdProblem(userId);
    setError('login-error', problem ?? '');
    if (problem) return;
    const btn = $<HTMLButtonElement>('login-btn');
    btn.disabled = true;
    try {
      const res = await devLogin(base, nickname ? { userId, nickname } : { userId });
      const a: Auth = { token: res.token, expiresAt: res.expiresAt, user: res.user };
      saveAuth(a);
      start(a);
    } catch (err) {
      const code = (err as { code?: string }).code;
      setError('login-error', code === 'not_found' ? '服务器未开启开发登录' : `登录失败：${errorText(err)}`);
    } finally {
      btn.disabled = false;
    }
  });
  $('logout').addEventListener('click', () => endLogin());
  $('back').addEventListener('click', () => page?.close());
  const newChat = $<HTMLInputElement>('new-chat-user');
  newChat.addEventListener('input', () => setError('new-chat-error', ''));
  $('new-chat').addEventListener('submit', async (e) => {
    e.preventDefault();
    const peer = newChat.value.trim();
    const problem = userIdProblem(peer) ?? (await page?.startDirect(peer));
    setError('new-chat-error', problem ?? '');
    if (!problem) newChat.value = '';
  });
  const input = $<HTMLTextAreaElement>('composer-input');
  const send = () => {
    const text = input.value.trim();
    if (!text || !page) return;
    if ([...text].length > MAX_TEXT) {
      toast(`消息太长了，最多 ${MAX_TEXT} 个字`);
      return;
    }
    input.value = '';
    $('emoji-panel').hidden = true;
    page.sendText(text);
  };
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    send();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  });
  input.addEventListener('input', () => input.value && page?.typing());
  setupEmojiPanel($('emoji-panel'), $('emoji-btn'), input);
  $<HTMLInputElement>('media-input').addEventListener('change', (e) => {
    const el = e.target as HTMLInputElement;
    const files = [...(el.files ?? [])];
    el.value = '';
    for (const f of files) void page?.sendMedia(f);
  });
  $('members-btn').addEventListener('click', () => void page?.showMembers());
  $('side-close').addEventListener('click', () => {
    $('side-panel').hidden = true;
  });
  wireGroupDialog();
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') page?.onVisible();
  });
}

function wireGroupDialog(): void {
  const dialog = $<HTMLDialogElement>('group-dialog');
  $('new-group').addEventListener('click', () => {
    setError('group-error', '');
    dialog.showModal();
  });
  $('group-cancel').addEventListener('click', () => dialog.close());
  $('group-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!page) return;
    const name = $<HTMLInputElement>('group-name').value.trim();
    const members = [
      ...new Set(
        $<HTMLInputElement>('group-members')
          .value.split(/[,，、\s]+/)
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    ];
    const bad = members.find((m) => userIdProblem(m));
    const problem = !name ? '请输入群名称' : members.length === 0 ? '请至少添加一位成员' : bad ? `“${bad}”不是有效的用户 ID` : undefined;
    setError('group-error', problem ?? '');
    if (problem) return;
    const btn = $<HTMLButtonElement>('group-create');
    btn.disabled = true;
    const failed = await page.createGroup(name, members);
    btn.disabled = false;
    setError('group-error', failed ?? '');
    if (!failed) dialog.close();
  });
}

wire();
const saved = loadAuth();
if (saved) start(saved);
else showLogin();
