/**
 * MiniIM web chat page: dev login, conversation list, chat view. Uses only the SDK
 * (`@miniim/sdk/web`); plain TypeScript and DOM.
 */
import { type ClientMessage, type Conversation, createWebClient, devLogin, type ImClient } from '@miniim/sdk/web';
import { $ } from './dom.js';
import { convTitle, paintAvatar } from './format.js';
import { renderConversations, renderMessages } from './views.js';

interface Auth {
  token: string;
  user: { id: string; nickname: string; avatarUrl: string };
}

const AUTH_KEY = 'miniim:web:auth';
const base = location.origin;
const STATE_TEXT: Record<string, string> = { connected: '已连接', connecting: '连接中…', reconnecting: '网络异常，正在重连…', disconnected: '已断开' };

let client: ImClient | undefined;
let auth: Auth | undefined;
let current: string | undefined;
const names = new Map<string, { nickname: string; avatarUrl?: string }>();
let typingTimer: ReturnType<typeof setTimeout> | undefined;

function loadAuth(): Auth | undefined {
  try {
    const raw = localStorage.getItem(AUTH_KEY);
    return raw ? (JSON.parse(raw) as Auth) : undefined;
  } catch {
    return undefined;
  }
}

async function refreshToken(): Promise<string | null> {
  if (!auth) return null;
  const res = await fetch(`${base}/api/auth/refresh`, { method: 'POST', headers: { Authorization: `Bearer ${auth.token}` } });
  if (!res.ok) {
    logout();
    return null;
  }
  const body = (await res.json()) as Auth;
  auth = { token: body.token, user: body.user };
  localStorage.setItem(AUTH_KEY, JSON.stringify(auth));
  return auth.token;
}

function showLogin(): void {
  $('login').hidden = false;
  $('app').hidden = true;
  $<HTMLInputElement>('login-user').focus();
}

function logout(): void {
  void client?.close();
  client = undefined;
  auth = undefined;
  current = undefined;
  localStorage.removeItem(AUTH_KEY);
  showLogin();
}

function nameOf(id: string): string {
  return names.get(id)?.nickname || id;
}

function rememberPeers(convs: Conversation[]): void {
  for (const c of convs) if (c.peer) names.set(c.peer.id, { nickname: c.peer.nickname, avatarUrl: c.peer.avatarUrl });
}

function renderList(): void {
  if (!client || !auth) return;
  const convs = client.conversations();
  rememberPeers(convs);
  renderConversations($('conv-list'), convs, auth.user.id, current, (conv) => void openConv(conv));
}

function renderChat(): void {
  if (!client || !current) return;
  const conv = client.conversation(current) ?? {
    conv: current,
    kind: current.startsWith('g:') ? 'group' : 'direct',
    lastSeq: 0,
    readSeq: 0,
    unread: 0,
    updatedAt: 0,
  };
  $('chat-title').textContent = convTitle(conv as Conversation, auth?.user.id ?? '');
  renderMessages($('messages'), client, conv as Conversation, {
    nameOf,
    avatarOf: (id) => names.get(id)?.avatarUrl || undefined,
    recall: (m) => void client?.recall(m.conv, m.seq).catch((e: Error) => alert(`撤回失败：${e.message}`)),
    retry: (m) => void client?.retry(m).catch(() => {}),
  });
}

async function openConv(conv: string): Promise<void> {
  if (!client) return;
  current = conv;
  $('app').classList.add('in-chat');
  $('composer').hidden = false;
  $('typing').textContent = '';
  renderList();
  renderChat();
  if (client.state === 'connected') {
    try {
      if (client.messages(conv).length === 0 || client.store.syncedSeq(conv) === undefined) await client.loadHistory(conv);
      await client.markRead(conv);
    } catch {
      // offline: the next sync catches up
    }
  }
  renderChat();
  $<HTMLTextAreaElement>('composer-input').focus();
}

function start(a: Auth): void {
  auth = a;
  names.set(a.user.id, { nickname: a.user.nickname, avatarUrl: a.user.avatarUrl });
  $('login').hidden = true;
  $('app').hidden = false;
  $('me-name').textContent = a.user.nickname || a.user.id;
  paintAvatar($('me-avatar'), a.user.nickname || a.user.id, a.user.avatarUrl || undefined);
  const c = createWebClient({
    baseUrl: base,
    userId: a.user.id,
    getToken: ({ refresh }) => (refresh ? refreshToken() : (auth?.token ?? null)),
  });
  client = c;
  (window as unknown as { __miniim: ImClient }).__miniim = c;
  c.on('state', (s) => {
    $('conn-state').textContent = STATE_TEXT[s.newState] ?? s.newState;
    document.body.dataset.state = s.newState;
  });
  c.on('conversations', () => renderList());
  c.on('message', (m: ClientMessage) => {
    if (m.conv !== current) return;
    if (m.from !== a.user.id) $('typing').textContent = '';
    renderChat();
    if (m.from !== a.user.id && m.status === 'sent' && document.visibilityState === 'visible') void c.markRead(m.conv, m.seq).catch(() => {});
  });
  c.on('recalled', (r) => r.conv === current && renderChat());
  c.on('synced', () => {
    renderList();
    if (current) void openConv(current);
  });
  c.on('typing', (t) => {
    if (t.conv !== current || t.user === a.user.id) return;
    $('typing').textContent = `${nameOf(t.user)} 正在输入…`;
    if (typingTimer) clearTimeout(typingTimer);
    typingTimer = setTimeout(() => {
      $('typing').textContent = '';
    }, 4000);
  });
  c.on('kicked', () => logout());
  renderList();
  void c.connect();
}

function sendTarget(): string | undefined {
  if (!current || !auth) return undefined;
  if (current.startsWith('g:')) return current;
  const [, x, y] = current.split(':');
  return `u:${x === auth.user.id ? y : x}`;
}

function wire(): void {
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const userId = $<HTMLInputElement>('login-user').value.trim();
    const nickname = $<HTMLInputElement>('login-name').value.trim() || undefined;
    $('login-error').textContent = '';
    try {
      const res = await devLogin(base, nickname ? { userId, nickname } : { userId });
      const a: Auth = { token: res.token, user: res.user };
      localStorage.setItem(AUTH_KEY, JSON.stringify(a));
      start(a);
    } catch (err) {
      const code = (err as { code?: string }).code;
      $('login-error').textContent = code === 'not_found' ? '服务器未开启开发登录' : `登录失败：${(err as Error).message}`;
    }
  });
  $('logout').addEventListener('click', logout);
  $('back').addEventListener('click', () => {
    current = undefined;
    $('app').classList.remove('in-chat');
    renderList();
  });
  $('new-chat').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $<HTMLInputElement>('new-chat-user');
    const peer = input.value.trim();
    if (!peer || !auth || peer === auth.user.id) return;
    input.value = '';
    const [a, b] = auth.user.id < peer ? [auth.user.id, peer] : [peer, auth.user.id];
    void openConv(`d:${a}:${b}`);
  });
  const input = $<HTMLTextAreaElement>('composer-input');
  const send = () => {
    const text = input.value.trim();
    const to = sendTarget();
    if (!text || !to || !client) return;
    input.value = '';
    void client.sendText(to, text).catch(() => renderChat());
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
  input.addEventListener('input', () => {
    const to = sendTarget();
    if (to && input.value) client?.typing(to);
  });
  $<HTMLInputElement>('image-input').addEventListener('change', async (e) => {
    const el = e.target as HTMLInputElement;
    const file = el.files?.[0];
    el.value = '';
    const to = sendTarget();
    if (!file || !to || !client) return;
    try {
      await client.sendImage(to, file, file.name);
    } catch (err) {
      alert(`图片发送失败：${(err as Error).message}`);
    }
  });
  const dialog = $<HTMLDialogElement>('group-dialog');
  $('new-group').addEventListener('click', () => {
    $('group-error').textContent = '';
    dialog.showModal();
  });
  $('group-form').addEventListener('submit', async (e) => {
    const submitter = (e as SubmitEvent).submitter as HTMLButtonElement | null;
    if (submitter?.value !== 'ok' || !client) return;
    e.preventDefault();
    const name = $<HTMLInputElement>('group-name').value.trim();
    const members = $<HTMLInputElement>('group-members')
      .value.split(/[,，\s]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    try {
      const g = await client.createGroup(name, members);
      dialog.close();
      void openConv(`g:${g.id}`);
    } catch (err) {
      $('group-error').textContent = `创建失败：${(err as Error).message}`;
    }
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && current && client) void client.markRead(current).catch(() => {});
  });
}

wire();
const saved = loadAuth();
if (saved) start(saved);
else showLogin();
