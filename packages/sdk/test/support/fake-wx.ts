/**
 * A fake mini-program `wx` runtime for tests (reusable by examples/miniprogram).
 *
 * `connectSocket` returns a SocketTask backed by a real `ws` connection, with the
 * mini-program quirks that matter to an IM client:
 * - at most `maxSockets` (5) tasks may exist at once; more fail with "exceed max task count";
 * - `hide()` fires `onAppHide` listeners and, after `interruptAfterMs`, interrupts every open
 *   socket (`onError({errMsg: '...interrupted'})`, then `onClose` unless `closeOnInterrupt` is false);
 * - `task.die({silent: true})` drops the connection with no close or error callback at all;
 * - `request` / `uploadFile` go over `fetch`, `login` yields fake codes, storage is in memory;
 * - `setNetwork(false)` fires `onNetworkStatusChange` listeners, kills open sockets silently
 *   (a lost network sends no FIN) and fails new sockets and requests until `setNetwork(true)`;
 *   `setWeakNetwork(weak)` fires `onNetworkWeakChange` listeners.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import WebSocket from 'ws';
import type { WxApi } from '../../src/wx/wx-api.js';

type Cb<T = unknown> = ((res: T) => void) | undefined;
interface Callbacks<T> {
  success?: Cb<T>;
  fail?: Cb<{ errMsg: string }>;
  complete?: Cb<unknown>;
}

export interface FakeWxOptions {
  /** Concurrent SocketTask limit (WeChat: 5). */
  maxSockets?: number;
  /** Delay between `hide()` and the interruption of sockets (WeChat: about 5 s). */
  interruptAfterMs?: number;
  /** Whether an interruption also fires `onClose` (real devices differ). */
  closeOnInterrupt?: boolean;
}

/** One fake SocketTask. */
export class FakeSocketTask {
  readonly id: number;
  readonly url: string;
  readonly header: Record<string, string>;
  /** True once the app called `close()`. */
  closedByApp = false;
  /** True once the connection is gone (callbacks fired or not). */
  dead = false;
  readonly sent: string[] = [];
  private ws: WebSocket | undefined;
  private listeners = {
    open: [] as Array<Cb>,
    message: [] as Array<Cb<{ data: string }>>,
    error: [] as Array<Cb<{ errMsg: string }>>,
    close: [] as Array<Cb<{ code: number; reason: string }>>,
  };
  private silent = false;

  constructor(
    private readonly runtime: FakeWx,
    id: number,
    url: string,
    header: Record<string, string>,
    refused: string | undefined,
  ) {
    this.id = id;
    this.url = url;
    this.header = header;
    if (refused) {
      this.dead = true;
      return;
    }
    const ws = new WebSocket(url, { headers: header });
    this.ws = ws;
    ws.on('open', () => this.fire('open', {}));
    ws.on('message', (data) => this.fire('message', { data: data.toString() }));
    ws.on('unexpected-response', (_req, res) => {
      this.fire('error', { errMsg: `Unexpected server response: ${res.statusCode}` });
      this.finish(1006, `HTTP ${res.statusCode}`);
    });
    ws.on('error', (err) => this.fire('error', { errMsg: err.message }));
    ws.on('close', (code, reason) => this.finish(code, reason.toString()));
  }

  private fire<K extends keyof FakeSocketTask['listeners']>(kind: K, res: unknown): void {
    if (this.silent) return;
    for (const l of this.listeners[kind]) (l as (r: unknown) => void)?.(res);
  }

  private finish(code: number, reason: string): void {
    if (this.dead) return;
    this.dead = true;
    this.runtime.released(this);
    this.fire('close', { code, reason });
  }

  onOpen(l: Cb): void {
    this.listeners.open.push(l);
  }
  onMessage(l: Cb<{ data: string }>): void {
    this.listeners.message.push(l);
  }
  onError(l: Cb<{ errMsg: string }>): void {
    this.listeners.error.push(l);
  }
  onClose(l: Cb<{ code: number; reason: string }>): void {
    this.listeners.close.push(l);
  }

  send(opt: { data: string } & Callbacks<unknown>): void {
    if (this.dead || !this.ws || this.ws.readyState !== WebSocket.OPEN) {
      opt.fail?.({ errMsg: 'sendSocketMessage:fail WebSocket is not connected' });
      return;
    }
    this.sent.push(opt.data);
    this.ws.send(opt.data);
    opt.success?.({ errMsg: 'sendSocketMessage:ok' });
  }

  close(opt: { code?: number; reason?: string } & Callbacks<unknown> = {}): void {
    this.closedByApp = true;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) {
      try {
        this.ws.close(opt.code ?? 1000, opt.reason ?? '');
      } catch {
        this.ws.terminate();
      }
    }
    opt.success?.({ errMsg: 'closeSocket:ok' });
  }

  /** Breaks the connection; with `silent`, no callback ever fires (a known device quirk). */
  die(opts: { silent?: boolean } = {}): void {
    if (opts.silent) this.silent = true;
    this.ws?.terminate();
  }

  /** WeChat interrupting the socket after the app went to background. */
  interrupt(closeToo: boolean): void {
    if (this.dead) return;
    this.fire('error', { errMsg: 'interrupted' });
    if (!closeToo) this.silent = true;
    this.ws?.terminate();
  }

  get open(): boolean {
    return !this.dead && this.ws?.readyState === WebSocket.OPEN;
  }
}

/** The fake runtime. Pass `fake.api` wherever the SDK wants `wx`. */
export class FakeWx {
  readonly sockets: FakeSocketTask[] = [];
  readonly storage = new Map<string, unknown>();
  /** Highest number of tasks alive at once that the app had not closed. */
  maxUnclosed = 0;
  hidden = false;
  /** False while `setNetwork(false)` is in force. */
  networkUp = true;
  private networkListeners: Array<(res: { isConnected: boolean; networkType: string }) => void> = [];
  private weakListeners: Array<(res: { weakNet: boolean; networkType: string }) => void> = [];
  private nextId = 1;
  private codes = 0;
  private alive = new Set<FakeSocketTask>();
  private hideListeners: Array<() => void> = [];
  private showListeners: Array<() => void> = [];
  private interruptTimer: ReturnType<typeof setTimeout> | undefined;
  readonly options: Required<FakeWxOptions>;

  constructor(options: FakeWxOptions = {}) {
    this.options = { maxSockets: 5, interruptAfterMs: 5_000, closeOnInterrupt: true, ...options };
  }

  /** The runtime typed as the SDK's `WxApi` (miniprogram-api-typings shapes). */
  get api(): WxApi {
    return this as unknown as WxApi;
  }

  /** Tasks that exist (not yet fully closed). */
  get liveCount(): number {
    return this.alive.size;
  }

  released(task: FakeSocketTask): void {
    this.alive.delete(task);
  }

  connectSocket(opt: { url: string; header?: Record<string, string> } & Callbacks<unknown>): FakeSocketTask {
    const refused = !this.networkUp
      ? 'connectSocket:fail network is down'
      : this.alive.size >= this.options.maxSockets
        ? 'connectSocket:fail exceed max task count'
        : undefined;
    const task = new FakeSocketTask(this, this.nextId++, opt.url, opt.header ?? {}, refused);
    this.sockets.push(task);
    if (refused) {
      queueMicrotask(() => opt.fail?.({ errMsg: refused }));
      return task;
    }
    this.alive.add(task);
    const unclosed = [...this.alive].filter((t) => !t.closedByApp).length;
    this.maxUnclosed = Math.max(this.maxUnclosed, unclosed);
    queueMicrotask(() => opt.success?.({ errMsg: 'connectSocket:ok' }));
    return task;
  }

  /** The most recent task. */
  get lastSocket(): FakeSocketTask | undefined {
    return this.sockets[this.sockets.length - 1];
  }

  onAppHide(l: () => void): void {
    this.hideListeners.push(l);
  }
  onAppShow(l: () => void): void {
    this.showListeners.push(l);
  }
  offAppHide(l?: () => void): void {
    this.hideListeners = l ? this.hideListeners.filter((x) => x !== l) : [];
  }
  offAppShow(l?: () => void): void {
    this.showListeners = l ? this.showListeners.filter((x) => x !== l) : [];
  }

  onNetworkStatusChange(l: (res: { isConnected: boolean; networkType: string }) => void): void {
    this.networkListeners.push(l);
  }
  offNetworkStatusChange(l?: (res: { isConnected: boolean; networkType: string }) => void): void {
    this.networkListeners = l ? this.networkListeners.filter((x) => x !== l) : [];
  }

  onNetworkWeakChange(l: (res: { weakNet: boolean; networkType: string }) => void): void {
    this.weakListeners.push(l);
  }
  offNetworkWeakChange(l?: (res: { weakNet: boolean; networkType: string }) => void): void {
    this.weakListeners = l ? this.weakListeners.filter((x) => x !== l) : [];
  }

  /** The network becomes weak (true) or good again (false), as `wx.onNetworkWeakChange` reports. */
  setWeakNetwork(weak: boolean, networkType = '4g'): void {
    for (const l of [...this.weakListeners]) l({ weakNet: weak, networkType });
  }

  /** The device loses (false) or regains (true) its network; listeners hear of it as in WeChat. */
  setNetwork(online: boolean, networkType = online ? 'wifi' : 'none'): void {
    this.networkUp = online;
    if (!online) for (const t of [...this.alive]) t.die({ silent: true });
    for (const l of [...this.networkListeners]) l({ isConnected: online, networkType });
  }

  /** The app goes to background; sockets are interrupted `interruptAfterMs` later. */
  hide(): void {
    this.hidden = true;
    for (const l of [...this.hideListeners]) l();
    this.interruptTimer = setTimeout(() => {
      for (const t of [...this.alive]) t.interrupt(this.options.closeOnInterrupt);
    }, this.options.interruptAfterMs);
  }

  /** The app comes back to the foreground. */
  show(): void {
    this.hidden = false;
    if (this.interruptTimer !== undefined) clearTimeout(this.interruptTimer);
    for (const l of [...this.showListeners]) l();
  }

  login(opt: Callbacks<{ code: string; errMsg: string }>): void {
    const code = `fake-code-${++this.codes}`;
    queueMicrotask(() => opt.success?.({ code, errMsg: 'login:ok' }));
  }

  request(
    opt: { url: string; method?: string; header?: Record<string, string>; data?: unknown } & Callbacks<{
      data: unknown;
      statusCode: number;
      header: Record<string, string>;
    }>,
  ): void {
    if (!this.networkUp) {
      queueMicrotask(() => opt.fail?.({ errMsg: 'request:fail network is down' }));
      return;
    }
    const init: RequestInit = { method: opt.method ?? 'GET', headers: opt.header ?? {} };
    if (opt.data !== undefined && init.method !== 'GET') init.body = typeof opt.data === 'string' ? opt.data : JSON.stringify(opt.data);
    fetch(opt.url, init).then(
      async (res) =>
        opt.success?.({
          data: await res.text(),
          statusCode: res.status,
          header: Object.fromEntries(res.headers),
        }),
      (err: Error) => opt.fail?.({ errMsg: `request:fail ${err.message}` }),
    );
  }

  uploadFile(
    opt: {
      url: string;
      filePath: string;
      name: string;
      header?: Record<string, string>;
      formData?: Record<string, string>;
    } & Callbacks<{ data: string; statusCode: number }>,
  ): void {
    (async () => {
      const buf = await readFile(opt.filePath);
      const form = new FormData();
      for (const [k, v] of Object.entries(opt.formData ?? {})) form.append(k, v);
      form.append(opt.name, new Blob([buf]), path.basename(opt.filePath));
      const res = await fetch(opt.url, { method: 'POST', headers: opt.header ?? {}, body: form });
      return { data: await res.text(), statusCode: res.status };
    })().then(
      (r) => opt.success?.(r),
      (err: Error) => opt.fail?.({ errMsg: `uploadFile:fail ${err.message}` }),
    );
  }

  getStorage(opt: { key: string } & Callbacks<{ data: unknown }>): void {
    queueMicrotask(() =>
      this.storage.has(opt.key) ? opt.success?.({ data: this.storage.get(opt.key) }) : opt.fail?.({ errMsg: 'getStorage:fail data not found' }),
    );
  }
  setStorage(opt: { key: string; data: unknown } & Callbacks<unknown>): void {
    this.storage.set(opt.key, opt.data);
    queueMicrotask(() => opt.success?.({ errMsg: 'setStorage:ok' }));
  }
  removeStorage(opt: { key: string } & Callbacks<unknown>): void {
    this.storage.delete(opt.key);
    queueMicrotask(() => opt.success?.({ errMsg: 'removeStorage:ok' }));
  }
  getStorageSync(key: string): unknown {
    return this.storage.get(key) ?? '';
  }
  setStorageSync(key: string, data: unknown): void {
    this.storage.set(key, data);
  }
}
