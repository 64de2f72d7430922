import type { MediaTarget, TraceStore } from '../storage/wechat-stores.js';

/** In-process TraceStore; entries expire after `ttlMs` (default 24 h). */
export class MemoryTraceStore implements TraceStore {
  private readonly map = new Map<string, { target: MediaTarget; at: number }>();

  constructor(
    private readonly ttlMs = 24 * 60 * 60 * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  async put(traceId: string, target: MediaTarget): Promise<void> {
    const at = this.now();
    if (this.map.size >= 10_000) {
      for (const [k, v] of this.map) if (at - v.at > this.ttlMs) this.map.delete(k);
    }
    this.map.set(traceId, { target, at });
  }

  async get(traceId: string): Promise<MediaTarget | undefined> {
    const e = this.map.get(traceId);
    if (!e) return undefined;
    if (this.now() - e.at > this.ttlMs) {
      this.map.delete(traceId);
      return undefined;
    }
    return e.target;
  }

  async delete(traceId: string): Promise<void> {
    this.map.delete(traceId);
  }
}
