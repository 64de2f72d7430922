/** WeChat identities, credits, throttle and media-check traces on a network database through Kysely. */
import { rowToIdentity, rowToPhone, rowToTrace, TRACE_TTL_MS } from '../rows.js';
import type { UserPhoneRow, WechatIdentityRow, WechatRepo } from '../storage.js';
import type { CreditStore, MediaTarget, NotifyThrottle, TraceStore } from '../wechat-stores.js';
import type { Db, SqlDialect } from './sql-dialect.js';

export class KyselyWechatRepo implements WechatRepo {
  readonly credits: CreditStore;
  readonly throttle: NotifyThrottle;
  readonly traces: TraceStore;

  constructor(
    private readonly db: Db,
    private readonly dialect: SqlDialect,
    now: () => number = Date.now,
  ) {
    let puts = 0;
    this.credits = {
      add: (userId, templateId, count) => dialect.addCredits(db, userId, templateId, count),
      // One UPDATE … WHERE credits > 0: two concurrent consumers cannot both take the last credit.
      async consume(userId, templateId) {
        const r = await db
          .updateTable('subscribe_credits')
          .set((eb) => ({ credits: eb('credits', '-', 1) }))
          .where('user_id', '=', userId)
          .where('template_id', '=', templateId)
          .where('credits', '>', 0)
          .executeTakeFirst();
        return Number(r.numUpdatedRows) === 1;
      },
      async drop(userId, templateId) {
        await db.deleteFrom('subscribe_credits').where('user_id', '=', userId).where('template_id', '=', templateId).execute();
      },
      async list(userId) {
        const rows = await db
          .selectFrom('subscribe_credits')
          .select(['template_id', 'credits'])
          .where('user_id', '=', userId)
          .where('credits', '>', 0)
          .execute();
        return Object.fromEntries(rows.map((r) => [r.template_id, Number(r.credits)]));
      },
    };
    this.throttle = {
      claim: (userId, conv, windowMs, at) => dialect.claimThrottle(db, userId, conv, windowMs, at),
      async release(userId, conv) {
        await db.deleteFrom('notify_throttle').where('user_id', '=', userId).where('conv', '=', conv).execute();
      },
    };
    this.traces = {
      async put(traceId: string, t: MediaTarget) {
        const at = now();
        if (++puts % 1000 === 0)
          await db
            .deleteFrom('media_traces')
            .where('created_at', '<', at - TRACE_TTL_MS)
            .execute();
        const row = {
          trace_id: traceId,
          conv: t.conv,
          seq: t.seq,
          msg_id: t.msgId ?? null,
          user_id: t.userId,
          url: t.url,
          media_type: t.mediaType ?? null,
          openid: t.openid ?? null,
          app_id: t.appId ?? null,
          attempt: t.attempt ?? 1,
          created_at: at,
        };
        const { trace_id: _key, ...rest } = row;
        await dialect.upsert(db, 'media_traces', row, ['trace_id'], Object.keys(rest) as (keyof typeof rest)[]);
      },
      async get(traceId: string) {
        const r = await db.selectFrom('media_traces').selectAll().where('trace_id', '=', traceId).executeTakeFirst();
        if (!r || now() - Number(r.created_at) > TRACE_TTL_MS) return undefined;
        return rowToTrace(r);
      },
      async delete(traceId: string) {
        await db.deleteFrom('media_traces').where('trace_id', '=', traceId).execute();
      },
    };
  }

  async upsertIdentity(row: WechatIdentityRow) {
    const r = {
      app_id: row.appId,
      openid: row.openid,
      user_id: row.userId,
      unionid: row.unionid ?? null,
      session_key_enc: row.sessionKeyEnc,
      updated_at: row.updatedAt,
    };
    await this.dialect.upsert(this.db, 'wechat_identities', r, ['app_id', 'openid'], ['user_id', 'session_key_enc', 'updated_at'], ['unionid']);
  }

  async setPhone(row: UserPhoneRow) {
    const r = {
      user_id: row.userId,
      phone_number: row.phoneNumber,
      pure_phone_number: row.purePhoneNumber,
      country_code: row.countryCode,
      app_id: row.appId,
      verified_at: row.verifiedAt,
    };
    await this.dialect.upsert(this.db, 'user_phones', r, ['user_id'], ['phone_number', 'pure_phone_number', 'country_code', 'app_id', 'verified_at']);
  }

  async getPhone(userId: string) {
    const r = await this.db.selectFrom('user_phones').selectAll().where('user_id', '=', userId).executeTakeFirst();
    return r ? rowToPhone(r) : undefined;
  }

  async getIdentity(userId: string, appId?: string) {
    let q = this.db.selectFrom('wechat_identities').selectAll().where('user_id', '=', userId);
    if (appId !== undefined) q = q.where('app_id', '=', appId);
    const r = await q.orderBy('updated_at', 'desc').limit(1).executeTakeFirst();
    return r ? rowToIdentity(r) : undefined;
  }
}
