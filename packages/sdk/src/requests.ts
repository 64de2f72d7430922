import { type ErrorCode, ImError, isErrorCode } from '@miniim/protocol';

/** Message of the error a request gets when its reply did not come in time. */
export const REQUEST_TIMED_OUT = 'request timed out';

interface Pending {
  resolve(frame: unknown): void;
  reject(err: ImError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Matches replies to requests by `rid`; `error` frames reject with an `ImError`. */
export class PendingRequests {
  private map = new Map<string, Pending>();
  private counter = 0;

  /** Registers a request; the caller sends the frame with the returned `rid`. */
  create<T>(timeoutMs: number): { rid: string; promise: Promise<T> } {
    const rid = `r${(++this.counter).toString(36)}`;
    const promise = new Promise<T>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.map.delete(rid);
              reject(new ImError('unavailable', REQUEST_TIMED_OUT));
            }, timeoutMs)
          : undefined;
      this.map.set(rid, { resolve: resolve as (f: unknown) => void, reject, timer });
    });
    return { rid, promise };
  }

  /** Settles the request a reply belongs to; returns false when no request waits for it. */
  settle(frame: { op: string; rid?: string; code?: unknown; message?: unknown; retryAfterMs?: unknown }): boolean {
    if (typeof frame.rid !== 'string') return false;
    const pending = this.map.get(frame.rid);
    if (!pending) return false;
    this.map.delete(frame.rid);
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    if (frame.op === 'error') {
      const code: ErrorCode = isErrorCode(frame.code) ? frame.code : 'internal';
      const retry = typeof frame.retryAfterMs === 'number' ? frame.retryAfterMs : undefined;
      pending.reject(new ImError(code, String(frame.message ?? code), retry));
    } else {
      pending.resolve(frame);
    }
    return true;
  }

  /** Rejects one request (used when its frame could not be sent). */
  fail(rid: string, err: ImError): void {
    const pending = this.map.get(rid);
    if (!pending) return;
    this.map.delete(rid);
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    pending.reject(err);
  }

  /** Rejects everything in flight (the socket went away). */
  failAll(err: ImError): void {
    const all = [...this.map.values()];
    this.map.clear();
    for (const p of all) {
      if (p.timer !== undefined) clearTimeout(p.timer);
      p.reject(err);
    }
  }
}
