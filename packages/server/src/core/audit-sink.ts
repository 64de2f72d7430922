/**
 * Where decisions worth an audit trail are reported (admin actions, moderation verdicts).
 * The admin feature stores them (admin/audit-log.ts); features that decide (moderation,
 * WeChat media checks) take an `AuditSink` so they need not know who stores it.
 */

/** One decision: who (`actor`), what (`action`, dotted), on what, from where, with which parameters. */
export interface AuditEvent {
  actor: string;
  action: string;
  target?: string;
  ip?: string;
  /** Small JSON object: parameters and outcome, never message text. */
  detail?: Record<string, unknown>;
}

/** Records an event in the background; never throws (a failure is logged by the sink). */
export type AuditSink = (e: AuditEvent) => void;
