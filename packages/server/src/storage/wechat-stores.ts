/**
 * Row types and stores of the WeChat feature that storage backends implement
 * (kept here so the storage interface imports no feature folder).
 */

/**
 * Subscribe-message credits: each template a user accepted in
 * `wx.requestSubscribeMessage` is worth one notification. Implementations must
 * make `consume` atomic (SQLite: `UPDATE … SET n = n - 1 WHERE n > 0`).
 */
export interface CreditStore {
  /** Adds `count` credits; returns the new balance. */
  add(userId: string, templateId: string, count: number): Promise<number>;
  /** Takes one credit if there is one; false when the balance was 0. */
  consume(userId: string, templateId: string): Promise<boolean>;
  /** Sets the balance of one template to 0 (the user refused it: WeChat 43101). */
  drop(userId: string, templateId: string): Promise<void>;
  /** Current balances of the user, template id → credits (> 0 only). */
  list(userId: string): Promise<Record<string, number>>;
}

/**
 * "At most one notification per (user, conversation) per window". Shared
 * between nodes when backed by storage or Redis.
 */
export interface NotifyThrottle {
  /** Claims the slot; false when one was claimed less than `windowMs` ago. */
  claim(userId: string, conv: string, windowMs: number, now: number): Promise<boolean>;
  /** Gives back a slot claimed for a notification that was not sent. */
  release(userId: string, conv: string): Promise<void>;
}

/** The stored message a mediaCheckAsync request was made for. */
export interface MediaTarget {
  conv: string;
  seq: number;
  msgId?: string;
  /** Sender of the message. */
  userId: string;
  url: string;
  /** What the check was asked for, so a check WeChat could not do can be asked again. */
  mediaType?: 'image' | 'audio';
  /** The sender's WeChat identity the check was made with. */
  openid?: string;
  appId?: string;
  /** 1 for the first check, 2 for its one retry. Default 1. */
  attempt?: number;
}

/**
 * trace_id → message mapping, so the `wxa_media_check` push (which only
 * carries the trace_id) can find the message to recall.
 */
export interface TraceStore {
  put(traceId: string, target: MediaTarget): Promise<void>;
  get(traceId: string): Promise<MediaTarget | undefined>;
  delete(traceId: string): Promise<void>;
}
