/**
 * Messages of the Socket.IO baseline on PostgreSQL, written the way a Node team would:
 * a `pg` pool and one INSERT … RETURNING per message (autocommit: one commit, one WAL
 * flush each), ON CONFLICT on (sender, client_msg_id) for resends. Groups stay in the
 * baseline's SQLite store (set-up, not the measured path).
 */
import pg from 'pg';
import type { StoredMsg } from './sqlite-store.js';

interface Row {
  id: string;
  conv: string;
  sender: string;
  kind: string;
  body: string;
  ts: string;
  client_msg_id: string | null;
}

const toMsg = (r: Row): StoredMsg => ({
  id: r.id,
  conv: r.conv,
  seq: Number(r.id),
  from: r.sender,
  kind: r.kind,
  body: JSON.parse(r.body),
  ts: Number(r.ts),
  clientMsgId: r.client_msg_id ?? undefined,
});

export async function openPgMessageStore(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  await pool.query(`CREATE TABLE IF NOT EXISTS messages (id BIGSERIAL PRIMARY KEY, conv TEXT NOT NULL, sender TEXT NOT NULL,
    kind TEXT NOT NULL, body TEXT NOT NULL, ts BIGINT NOT NULL, client_msg_id TEXT, UNIQUE (sender, client_msg_id))`);
  await pool.query('CREATE INDEX IF NOT EXISTS messages_conv ON messages (conv, id)');
  return {
    async insert(conv: string, from: string, kind: string, body: unknown, clientMsgId?: string): Promise<StoredMsg> {
      const r = await pool.query<Row>(
        `INSERT INTO messages (conv, sender, kind, body, ts, client_msg_id) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (sender, client_msg_id) DO NOTHING RETURNING *`,
        [conv, from, kind, JSON.stringify(body), Date.now(), clientMsgId ?? null],
      );
      if (r.rows[0]) return toMsg(r.rows[0]);
      const existing = await pool.query<Row>('SELECT * FROM messages WHERE sender = $1 AND client_msg_id = $2', [from, clientMsgId ?? null]);
      return toMsg(existing.rows[0]!);
    },
    async history(conv: string, afterSeq: number, limit: number): Promise<{ messages: StoredMsg[]; hasMore: boolean }> {
      const r = await pool.query<Row>('SELECT * FROM messages WHERE conv = $1 AND id > $2 ORDER BY id LIMIT $3', [conv, afterSeq, limit + 1]);
      return { messages: r.rows.slice(0, limit).map(toMsg), hasMore: r.rows.length > limit };
    },
  };
}
