/**
 * Group commit: sends that arrive within one event-loop turn share one
 * transaction (one fsync), and the next batch collects while one commits.
 */
import type { AppendResult, MessageRepo, NewMessage } from '../storage/storage.js';

interface Pending {
  item: NewMessage;
  resolve: (r: AppendResult) => void;
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private scheduled = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly repo: MessageRepo,
    private readonly onBatch: (size: number) => void = () => {},
    private readonly maxBatch = 2000,
  ) {}

  append(item: NewMessage): Promise<AppendResult> {
    return new Promise((resolve) => {
      this.queue.push({ item, resolve });
      if (!this.scheduled && !this.running) {
        this.scheduled = true;
        setImmediate(() => this.drain());
      }
    });
  }

  private drain(): void {
    this.scheduled = false;
    if (this.running || this.queue.length === 0) return;
    const batch = this.queue.length > this.maxBatch ? this.queue.splice(0, this.maxBatch) : this.queue;
    if (batch === this.queue) this.queue = [];
    this.running = this.commit(batch).finally(() => {
      this.running = null;
      if (this.queue.length > 0) setImmediate(() => this.drain());
    });
  }

  private async commit(batch: Pending[]): Promise<void> {
    this.onBatch(batch.length);
    let results: AppendResult[];
    try {
      results = await this.repo.appendMessages(batch.map((p) => p.item));
    } catch (error) {
      for (const p of batch) p.resolve({ ok: false, error: error as Error });
      return;
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
  }

  /** Resolves when everything queued so far is committed. */
  async flush(): Promise<void> {
    while (this.running || this.queue.length > 0) {
      if (this.running) await this.running;
      else this.drain();
    }
  }
}
