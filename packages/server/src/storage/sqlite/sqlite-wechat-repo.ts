/** SQLite implementation of the WeChat repository (shares the database of sqlite-storage.ts). */
import type Database from 'better-sqlite3';
import { type IdentityRowDb, type PhoneRowDb, rowToIdentity, rowToPhone, rowToTrace, TRACE_TTL_MS, type TraceRowDb } from '../rows.js';
import type { UserPhoneRow, WechatIdentityRow, WechatRepo } from '../storage.js';
import type { CreditStore, MediaTarget, NotifyThrottle, TraceStore } from '../wechat-stores.js';

export class SqliteWechatRepo implements WechatRepo {
  readonly credits: CreditStore;
  readonly throttle: NotifyThrottle;
  readonly traces: TraceStore;
  private readonly s;

  constructor(db: Database.Database, now: () => number = Date.now) {
    const p = (q: string) => db.prepare(q);
    const s = {
      upsertIdentity: p(
        `INSERT INTO wechat_identities (app_id, openid, user_id, unionid, session_key_enc, updated_at)
         VALUES (@appId, @openid, @userId, @unionid, @sessionKeyEnc, @updatedAt)
         ON CONFLICT (app_id, openid) DO UPDATE SET user_id = excluded.user_id,
           unionid = coalesce(excluded.unionid, unionid), session_key_enc = excluded.session_key_enc,
           updated_at = excluded.updated_at`,
      ),
      identityIn: p('SELECT * FROM wechat_identities WHERE user_id = ? AND app_id = ? ORDER BY updated_at DESC LIMIT 1'),
      identityAny: p('SELECT * FROM wechat_identities WHERE user_id = ? ORDER BY updated_at DESC LIMIT 1'),
      addCredits: p(
        `INSERT INTO subscribe_credits (user_id, template_id, credits) VALUES (?, ?, ?)
         ON CONFLICT (user_id, template_id) DO UPDATE SET credits = credits + excluded.credits
         RETURNING credits`,
      ).pluck(),
      consumeCredit: p('UPDATE subscribe_credits SET credits = credits - 1 WHERE user_id = ? AND template_id = ? AND credits > 0'),
      dropCredits: p('DELETE FROM subscribe_credits WHERE user_id = ? AND template_id = ?'),
      listCredits: p('SELECT template_id, credits FROM subscribe_credits WHERE user_id = ? AND credits > 0'),
      claim: p(
        `INSERT INTO notify_throttle (user_id, conv, claimed_at) VALUES (@userId, @conv, @now)
         ON CONFLICT (user_id, conv) DO UPDATE SET claimed_at = excluded.claimed_at
         WHERE excluded.claimed_at - notify_throttle.claimed_at >= @windowMs`,
      ),
      release: p('DELETE FROM notify_throttle WHERE user_id = ? AND conv = ?'),
      putTrace: p(
        `INSERT OR REPLACE INTO media_traces (trace_id, conv, seq, msg_id, user_id, url, media_type, openid, app_id, attempt, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      getTrace: p('SELECT * FROM media_traces WHERE trace_id = ?'),
      deleteTrace: p('DELETE FROM media_traces WHERE trace_id = ?'),
      pruneTraces: p('DELETE FROM media_traces WHERE created_at < ?'),
      setPhone: p(
        `INSERT OR REPLACE INTO user_phones (user_id, phone_number, pure_phone_number, country_code, app_id, verified_at)
         VALUES (@userId, @phoneNumber, @purePhoneNumber, @countryCode, @appId, @verifiedAt)`,
      ),
      getPhone: p('SELECT * FROM user_phones WHERE user_id = ?'),
    };
    this.s = s;
    let puts = 0;

    this.credits = {
      async add(userId, templateId, count) {
        return s.addCredits.get(userId, templateId, count) as number;
      },
      // One UPDATE … WHERE credits > 0: two concurrent consumers cannot both take the last credit.
      async consume(userId, templateId) {
        return s.consumeCredit.run(userId, templateId).changes === 1;
      },
      async drop(userId, templateId) {
        s.dropCredits.run(userId, templateId);
      },
      async list(userId) {
        const rows = s.listCredits.all(userId) as Array<{ template_id: string; credits: number }>;
        return Object.fromEntries(rows.map((r) => [r.template_id, r.credits]));
      },
    };

    this.throttle = {
      async claim(userId, conv, windowMs, at) {
        return s.claim.run({ userId, conv, now: at, windowMs }).changes === 1;
      },
      async release(userId, conv) {
        s.release.run(userId, conv);
      },
    };

    this.traces = {
      async put(traceId: string, t: MediaTarget) {
        const at = now();
        if (++puts % 1000 === 0) s.pruneTraces.run(at - TRACE_TTL_MS);
        s.putTrace.run(traceId, t.conv, t.seq, t.msgId ?? null, t.userId, t.url, t.mediaType ?? null, t.openid ?? null, t.appId ?? null, t.attempt ?? 1, at);
      },
      async get(traceId: string) {
        const r = s.getTrace.get(traceId) as TraceRowDb | undefined;
        if (!r || now() - r.created_at > TRACE_TTL_MS) return undefined;
        return rowToTrace(r);
      },
      async delete(traceId: string) {
        s.deleteTrace.run(traceId);
      },
    };
  }

  async upsertIdentity(row: WechatIdentityRow) {
    this.s.upsertIdentity.run({ ...row, unionid: row.unionid ?? null });
  }

  async setPhone(row: UserPhoneRow) {
    this.s.setPhone.run(row);
  }

  async getPhone(userId: string) {
    const r = this.s.getPhone.get(userId) as PhoneRowDb | undefined;
    return r ? rowToPhone(r) : undefined;
  }

  async getIdentity(userId: string, appId?: string) {
    const r = (appId === undefined ? this.s.identityAny.get(userId) : this.s.identityIn.get(userId, appId)) as IdentityRowDb | undefined;
    return r ? rowToIdentity(r) : undefined;
  }
}
