/**
 * A stricter fake `wx`: the SDK's fake runtime (real sockets, background interruption) plus the
 * limits a phone enforces, so page-logic tests fail where WeChat fails:
 * - `request` takes only the methods `wx.request` has (OPTIONS, GET, HEAD, POST, PUT, DELETE,
 *   TRACE, CONNECT — no PATCH) and fails `request:fail …` otherwise;
 * - network calls (`request`, `uploadFile`, `downloadFile`, `connectSocket`) fail with
 *   `<api>:fail interrupted` once the app has been hidden longer than the grace period (WeChat:
 *   about 5 s), and the ones in flight at that moment fail the same way;
 * - the network can be switched off and on (`setNetwork`, from the SDK's fake), which fires
 *   `onNetworkStatusChange`, drops open sockets silently and here also fails calls in flight;
 * - `uploadFile` / `downloadFile` return a task with `onProgressUpdate` and `abort()`
 *   (`uploadFile:fail abort`);
 * - `setStorage(Sync)` refuses a key over 1 MB and a total over 10 MB (the limits in the official
 *   API docs, quoted in miniprogram-api-typings); the sync forms throw;
 * - `connectSocket` fails through its `fail` callback with `connectSocket:fail …` for a bad URL,
 *   no network, a hidden app or too many tasks, and its task's `onError` always gets `{errMsg}`.
 * Exact errMsg texts for the limits WeChat does not document are the ones developers report;
 * the tests match on the documented parts (`:fail`, `interrupted`, `abort`, `exceed`).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeSocketTask, FakeWx, type FakeWxOptions } from '../../../../packages/sdk/test/support/fake-wx.js';

type Fail = (e: { errMsg: string }) => void;
interface Cbs<T> {
  success?: (r: T) => void;
  fail?: Fail;
  complete?: (r: unknown) => void;
}

/** `wx.request`'s methods (its typings say the same; PATCH is not one). */
export const WX_REQUEST_METHODS = ['OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'CONNECT'];
export const STORAGE_ITEM_LIMIT = 1024 * 1024;
export const STORAGE_TOTAL_LIMIT = 10 * 1024 * 1024;

export interface StrictWxOptions extends FakeWxOptions {
  /** Pause between upload progress events (default 5 ms), so a test can watch and abort. */
  uploadStepMs?: number;
}

/** A task in flight that the runtime can fail (background, offline, abort). */
interface Flight {
  fail(errMsg: string): void;
}

/** Progress events of an upload or download task. */
export interface ProgressEvent {
  progress: number;
  totalBytesSent: number;
  totalBytesExpectedToSend: number;
}

/** `UploadTask` / `DownloadTask`: progress and abort. */
export class FakeTransferTask {
  aborted = false;
  private listeners: Array<(p: ProgressEvent) => void> = [];
  constructor(private readonly onAbort: () => void) {}
  onProgressUpdate(l: (p: ProgressEvent) => void): void {
    this.listeners.push(l);
  }
  offProgressUpdate(l?: (p: ProgressEvent) => void): void {
    this.listeners = l ? this.listeners.filter((x) => x !== l) : [];
  }
  onHeadersReceived(): void {}
  offHeadersReceived(): void {}
  abort(): void {
    this.aborted = true;
    this.onAbort();
  }
  emit(p: ProgressEvent): void {
    for (const l of [...this.listeners]) l(p);
  }
}

const byteSize = (key: string, data: unknown) => Buffer.byteLength(key) + Buffer.byteLength(typeof data === 'string' ? data : (JSON.stringify(data) ?? ''));

export class StrictWx extends FakeWx {
  /** `wx.getNetworkType`'s answer (`setNetwork` keeps it in step). */
  networkType = 'wifi';
  /** Every refused call, `<api>:fail …`, for assertions. */
  readonly refused: string[] = [];
  /** Every file `downloadFile` wrote. */
  readonly downloads: Array<{ url: string; tempFilePath: string }> = [];
  private hiddenAt: number | undefined;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly flights = new Set<Flight>();
  private readonly uploadStepMs: number;
  private downloadDir: string | undefined;

  constructor(options: StrictWxOptions = {}) {
    super(options);
    this.uploadStepMs = options.uploadStepMs ?? 5;
  }

  // ---- network state ----

  getNetworkType(o: Cbs<{ networkType: string; errMsg: string }>): void {
    const networkType = this.networkType;
    queueMicrotask(() => o.success?.({ networkType, errMsg: 'getNetworkType:ok' }));
  }

  /** Test control (the SDK fake's, plus): calls in flight fail too when the network goes. */
  override setNetwork(online: boolean, networkType = online ? 'wifi' : 'none'): void {
    this.networkType = networkType;
    if (!online) for (const f of [...this.flights]) f.fail('fail net::ERR_INTERNET_DISCONNECTED');
    super.setNetwork(online, networkType);
  }

  // ---- background ----

  override hide(): void {
    this.hiddenAt = Date.now();
    super.hide();
    this.graceTimer = setTimeout(() => {
      for (const f of [...this.flights]) f.fail('fail interrupted');
    }, this.options.interruptAfterMs);
  }

  override show(): void {
    this.hiddenAt = undefined;
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    super.show();
  }

  /** Why a network call cannot start now (`<api>:fail …`), or undefined. */
  private blocked(api: string): string | undefined {
    if (!this.networkUp) return `${api}:fail net::ERR_INTERNET_DISCONNECTED`;
    if (this.hiddenAt !== undefined && Date.now() - this.hiddenAt >= this.options.interruptAfterMs) return `${api}:fail interrupted`;
    return undefined;
  }

  private refuse(fail: Fail | undefined, errMsg: string): void {
    this.refused.push(errMsg);
    queueMicrotask(() => fail?.({ errMsg }));
  }

  /** Wraps callbacks so the runtime can fail the call once (background, offline, abort). */
  private track<T>(api: string, o: Cbs<T>): Cbs<T> & { flight: Flight } {
    let done = false;
    const flight: Flight = {
      fail: (reason) => {
        if (done) return;
        done = true;
        this.flights.delete(flight);
        const errMsg = `${api}:${reason}`;
        this.refused.push(errMsg);
        o.fail?.({ errMsg });
        o.complete?.({ errMsg });
      },
    };
    this.flights.add(flight);
    return {
      flight,
      success: (r) => {
        if (done) return;
        done = true;
        this.flights.delete(flight);
        o.success?.(r);
        o.complete?.(r);
      },
      fail: (e) => flight.fail(e.errMsg.replace(/^[A-Za-z]+:/, '')),
    };
  }

  // ---- request / socket ----

  override request(
    o: { url: string; method?: string; header?: Record<string, string>; data?: unknown } & Cbs<{
      data: unknown;
      statusCode: number;
      header: Record<string, string>;
    }>,
  ): void {
    const method = o.method ?? 'GET';
    if (!WX_REQUEST_METHODS.includes(method)) {
      this.refuse(o.fail, `request:fail parameter error: method "${method}" is not supported`);
      return;
    }
    const why = this.blocked('request');
    if (why) {
      this.refuse(o.fail, why);
      return;
    }
    const t = this.track('request', o);
    super.request({ ...o, success: t.success, fail: t.fail });
  }

  override connectSocket(o: { url: string; header?: Record<string, string> } & Cbs<unknown>): FakeSocketTask {
    const why = /^wss?:\/\//.test(o.url) ? this.blocked('connectSocket') : `connectSocket:fail invalid url "${o.url}"`;
    if (why) {
      const dead = new FakeSocketTask(this, -1, o.url, o.header ?? {}, why);
      this.refuse(o.fail, why);
      return dead;
    }
    const task = super.connectSocket(o);
    // The task reports errors as `{errMsg}` objects, never as bare strings or Error instances.
    const onError = task.onError.bind(task);
    task.onError = (l) => onError((res) => l?.({ errMsg: typeof res?.errMsg === 'string' && res.errMsg ? res.errMsg : 'socket error' }));
    return task;
  }

  // ---- files ----

  override uploadFile(
    o: { url: string; filePath: string; name: string; header?: Record<string, string>; formData?: Record<string, string> } & Cbs<{
      data: string;
      statusCode: number;
    }>,
  ): FakeTransferTask {
    const why = this.blocked('uploadFile');
    const t = this.track('uploadFile', o);
    const task = new FakeTransferTask(() => t.flight.fail('fail abort'));
    if (why) {
      t.flight.fail(why.slice('uploadFile:'.length));
      return task;
    }
    const total = 1000;
    const step = (i: number) => {
      if (task.aborted) return;
      if (i < 4) {
        const sent = (total * (i + 1)) / 5;
        task.emit({ progress: Math.round((sent / total) * 100), totalBytesSent: sent, totalBytesExpectedToSend: total });
        setTimeout(() => step(i + 1), this.uploadStepMs).unref?.();
        return;
      }
      super.uploadFile({
        ...o,
        success: (r) => {
          if (task.aborted) return;
          task.emit({ progress: 100, totalBytesSent: total, totalBytesExpectedToSend: total });
          t.success?.(r);
        },
        fail: t.fail,
      });
    };
    // The first tick comes soon; the next ones every `uploadStepMs` (a slow network holds it there).
    setTimeout(() => step(0), Math.min(this.uploadStepMs, 5)).unref?.();
    return task;
  }

  downloadFile(o: { url: string; header?: Record<string, string> } & Cbs<{ tempFilePath: string; statusCode: number }>): FakeTransferTask {
    const why = this.blocked('downloadFile');
    const t = this.track('downloadFile', o);
    const task = new FakeTransferTask(() => t.flight.fail('fail abort'));
    if (why) {
      t.flight.fail(why.slice('downloadFile:'.length));
      return task;
    }
    (async () => {
      const res = await fetch(o.url, { headers: o.header ?? {} });
      const buf = Buffer.from(await res.arrayBuffer());
      this.downloadDir ??= await mkdtemp(path.join(tmpdir(), 'miniim-wxdl-'));
      const tempFilePath = path.join(this.downloadDir, `tmp_${this.downloads.length + 1}${path.extname(new URL(o.url).pathname)}`);
      await writeFile(tempFilePath, buf);
      task.emit({ progress: 100, totalBytesSent: buf.length, totalBytesExpectedToSend: buf.length });
      return { tempFilePath, statusCode: res.status };
    })().then(
      (r) => {
        if (task.aborted) return;
        this.downloads.push({ url: o.url, tempFilePath: r.tempFilePath });
        t.success?.(r);
      },
      (err: Error) => t.fail?.({ errMsg: `downloadFile:fail ${err.message}` }),
    );
    return task;
  }

  // ---- storage (1 MB per key, 10 MB in all) ----

  /** Bytes held under every key. */
  get storageBytes(): number {
    let n = 0;
    for (const [k, v] of this.storage) n += byteSize(k, v);
    return n;
  }

  /** Why `key = data` cannot be stored, or undefined. */
  private storageRefusal(api: string, key: string, data: unknown): string | undefined {
    const size = byteSize(key, data);
    if (size > STORAGE_ITEM_LIMIT) return `${api}:fail exceed storage item max length`;
    const old = this.storage.has(key) ? byteSize(key, this.storage.get(key)) : 0;
    if (this.storageBytes - old + size > STORAGE_TOTAL_LIMIT) return `${api}:fail exceed storage max size 10Mb`;
    return undefined;
  }

  override setStorage(o: { key: string; data: unknown } & Cbs<unknown>): void {
    const why = this.storageRefusal('setStorage', o.key, o.data);
    if (why) this.refuse(o.fail, why);
    else super.setStorage(o);
  }

  override setStorageSync(key: string, data: unknown): void {
    const why = this.storageRefusal('setStorageSync', key, data);
    if (why) {
      this.refused.push(why);
      throw new Error(why);
    }
    super.setStorageSync(key, data);
  }

  removeStorageSync(key: string): void {
    this.storage.delete(key);
  }

  getStorageInfoSync(): { keys: string[]; currentSize: number; limitSize: number } {
    return { keys: [...this.storage.keys()], currentSize: Math.ceil(this.storageBytes / 1024), limitSize: STORAGE_TOTAL_LIMIT / 1024 };
  }
}
