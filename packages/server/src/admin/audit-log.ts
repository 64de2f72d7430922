/**
 * The audit log: every admin call and every moderation decision, stored append-only
 * (storage's AdminRepo has no update or delete) with who, what, when and from where.
 */
import type { AuditEvent, AuditSink } from '../core/audit-sink.js';
import { newMessageId } from '../core/ids.js';
import type { Logger } from '../logger.js';
import type { AdminRepo, AuditQuery, AuditRow } from '../storage/storage.js';

export class AuditLog {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly repo: Pick<AdminRepo, 'appendAudit' | 'listAudit'>,
    private readonly logger: Logger,
  ) {}

  /** Stores the event; resolves once it is durable (admin calls wait for it). */
  async record(e: AuditEvent, at = Date.now()): Promise<AuditRow> {
    const row: AuditRow = { id: newMessageId(at), at, actor: e.actor, action: e.action };
    if (e.target !== undefined) row.target = e.target;
    if (e.ip !== undefined) row.ip = e.ip;
    if (e.detail !== undefined) row.detail = e.detail;
    await this.repo.appendAudit(row);
    return row;
  }

  /** The fire-and-forget form other features get (moderation decisions): a failed write is logged, never thrown. */
  readonly sink: AuditSink = (e) => {
    const p = this.record(e)
      .then(() => undefined)
      .catch((err: Error) => this.logger.error({ err: err.message, action: e.action, target: e.target }, 'audit entry not stored'));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  };

  list(q: AuditQuery, limit: number, cursor?: string) {
    return this.repo.listAudit(q, limit, cursor);
  }

  /** Waits for entries still being written (graceful shutdown, tests). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
