/** Versioned SQLite schema migrations, run at start by Kysely's Migrator. Append only. */
import { type Kysely, type Migration, sql } from 'kysely';
import { mediaRefsMigration } from '../media-refs.js';

function statements(...ddl: string[]): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const s of ddl) await sql.raw(s).execute(db);
    },
  };
}

export const sqliteMigrations: Record<string, Migration> = {
  '0001_core': statements(
    `CREATE TABLE users (
       id TEXT PRIMARY KEY,
       nickname TEXT NOT NULL,
       avatar_url TEXT NOT NULL DEFAULT '',
       created_at INTEGER NOT NULL,
       updated_at INTEGER NOT NULL)`,
    `CREATE TABLE sessions (
       id TEXT PRIMARY KEY,
       user_id TEXT NOT NULL,
       created_at INTEGER NOT NULL,
       expires_at INTEGER NOT NULL,
       revoked_at INTEGER)`,
    `CREATE TABLE conversations (
       conv TEXT PRIMARY KEY,
       kind TEXT NOT NULL,
       last_seq INTEGER NOT NULL DEFAULT 0,
       updated_at INTEGER NOT NULL)`,
    `CREATE TABLE conv_members (
       user_id TEXT NOT NULL,
       conv TEXT NOT NULL,
       read_seq INTEGER NOT NULL DEFAULT 0,
       joined_at INTEGER NOT NULL,
       PRIMARY KEY (user_id, conv)) WITHOUT ROWID`,
    'CREATE INDEX conv_members_conv ON conv_members(conv)',
    `CREATE TABLE messages (
       conv TEXT NOT NULL,
       seq INTEGER NOT NULL,
       id TEXT NOT NULL,
       from_user TEXT NOT NULL,
       kind TEXT NOT NULL,
       body TEXT NOT NULL,
       ts INTEGER NOT NULL,
       client_msg_id TEXT,
       recalled_by TEXT,
       recalled_at INTEGER,
       PRIMARY KEY (conv, seq)) WITHOUT ROWID`,
    'CREATE UNIQUE INDEX messages_id ON messages(id)',
    'CREATE UNIQUE INDEX messages_dedupe ON messages(from_user, client_msg_id) WHERE client_msg_id IS NOT NULL',
  ),
};

sqliteMigrations['0002_groups'] = statements(
  `CREATE TABLE groups (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     avatar_url TEXT NOT NULL DEFAULT '',
     owner TEXT NOT NULL,
     muted_all INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     disbanded_at INTEGER)`,
  "ALTER TABLE conv_members ADD COLUMN role TEXT NOT NULL DEFAULT 'member'",
  'ALTER TABLE conv_members ADD COLUMN muted_until INTEGER NOT NULL DEFAULT 0',
);

sqliteMigrations['0003_wechat'] = statements(
  `CREATE TABLE wechat_identities (
     app_id TEXT NOT NULL,
     openid TEXT NOT NULL,
     user_id TEXT NOT NULL,
     unionid TEXT,
     session_key_enc TEXT NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (app_id, openid)) WITHOUT ROWID`,
  'CREATE INDEX wechat_identities_user ON wechat_identities(user_id, updated_at)',
  `CREATE TABLE subscribe_credits (
     user_id TEXT NOT NULL,
     template_id TEXT NOT NULL,
     credits INTEGER NOT NULL,
     PRIMARY KEY (user_id, template_id)) WITHOUT ROWID`,
  `CREATE TABLE notify_throttle (
     user_id TEXT NOT NULL,
     conv TEXT NOT NULL,
     claimed_at INTEGER NOT NULL,
     PRIMARY KEY (user_id, conv)) WITHOUT ROWID`,
  `CREATE TABLE media_traces (
     trace_id TEXT PRIMARY KEY,
     conv TEXT NOT NULL,
     seq INTEGER NOT NULL,
     msg_id TEXT,
     user_id TEXT NOT NULL,
     url TEXT NOT NULL,
     created_at INTEGER NOT NULL)`,
  'CREATE INDEX media_traces_created ON media_traces(created_at)',
);

// Media-check retries (what was checked, with which identity, which attempt) and
// phone numbers verified through WeChat's getPhoneNumber. PostgreSQL/MySQL drivers need the same.
sqliteMigrations['0004_wechat_retry_phone'] = statements(
  'ALTER TABLE media_traces ADD COLUMN media_type TEXT',
  'ALTER TABLE media_traces ADD COLUMN openid TEXT',
  'ALTER TABLE media_traces ADD COLUMN app_id TEXT',
  'ALTER TABLE media_traces ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1',
  `CREATE TABLE user_phones (
     user_id TEXT PRIMARY KEY,
     phone_number TEXT NOT NULL,
     pure_phone_number TEXT NOT NULL,
     country_code TEXT NOT NULL,
     app_id TEXT NOT NULL,
     verified_at INTEGER NOT NULL)`,
);

// The admin API: the append-only audit log and banned users. PostgreSQL/MySQL drivers have the same.
sqliteMigrations['0005_admin'] = statements(
  `CREATE TABLE audit_log (
     id TEXT PRIMARY KEY,
     at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT,
     ip TEXT,
     detail TEXT)`,
  'CREATE INDEX audit_log_at ON audit_log(at, id)',
  'CREATE INDEX audit_log_target ON audit_log(target, at)',
  // A user's sessions (ban: revoke them all; the admin API lists them).
  'CREATE INDEX sessions_user ON sessions(user_id)',
  `CREATE TABLE user_bans (
     user_id TEXT PRIMARY KEY,
     banned_at INTEGER NOT NULL,
     banned_by TEXT NOT NULL,
     reason TEXT)`,
);

// Which blobs messages reference, so a recall can delete a blob no other message uses.
sqliteMigrations['0006_media_refs'] = mediaRefsMigration(
  `CREATE TABLE media_refs (
     conv TEXT NOT NULL,
     seq INTEGER NOT NULL,
     media_key TEXT NOT NULL,
     PRIMARY KEY (conv, seq, media_key)) WITHOUT ROWID`,
  'CREATE INDEX media_refs_key ON media_refs(media_key)',
);

// Messages in a rowid table (insertion order) with (conv, seq) as a unique index, instead of a
// WITHOUT ROWID table clustered on (conv, seq). Clustered, every message lands in its own
// conversation's leaf, and inserts at dozens of points keep those leaves full, so most inserts
// rebalance a leaf with its neighbours: a batch of 8 messages over 8 conversations wrote 30.5 WAL frames,
// 13.6 of them leaves of `messages`. In insertion order the rows of a batch share the rightmost leaf and
// only the small index entries are scattered: 24.4 frames, and each frame is a WAL write and an fsync'd
// page (docs/benchmarks.md, issue 15). Reads by conversation go through the index. The columns are 0001's,
// written out again on purpose: a migration's SQL is frozen once released.
sqliteMigrations['0007_messages_rowid'] = statements(
  `CREATE TABLE messages_by_rowid (
     conv TEXT NOT NULL,
     seq INTEGER NOT NULL,
     id TEXT NOT NULL,
     from_user TEXT NOT NULL,
     kind TEXT NOT NULL,
     body TEXT NOT NULL,
     ts INTEGER NOT NULL,
     client_msg_id TEXT,
     recalled_by TEXT,
     recalled_at INTEGER)`,
  `INSERT INTO messages_by_rowid (conv, seq, id, from_user, kind, body, ts, client_msg_id, recalled_by, recalled_at)
     SELECT conv, seq, id, from_user, kind, body, ts, client_msg_id, recalled_by, recalled_at FROM messages ORDER BY ts, conv, seq`,
  'DROP TABLE messages',
  'ALTER TABLE messages_by_rowid RENAME TO messages',
  'CREATE UNIQUE INDEX messages_conv_seq ON messages(conv, seq)',
  'CREATE UNIQUE INDEX messages_id ON messages(id)',
  'CREATE UNIQUE INDEX messages_dedupe ON messages(from_user, client_msg_id) WHERE client_msg_id IS NOT NULL',
);

// The resend lookup keyed by (client_msg_id, from_user) instead of (from_user, client_msg_id). The
// lookup is the same (both columns by equality), but where its entries land differs: by sender first,
// every message of a batch goes into its own sender's leaf of the index, and that leaf is one more WAL
// frame to write and fsync per message; the SDK's clientMsgIds start with the time (`c` + base-36
// milliseconds, sdk/src/ids.ts), so by clientMsgId first the entries of a batch share the rightmost
// leaf. A batch of 8 messages from 8 senders: 24.0 WAL frames per commit before, 16.5 after; 4
// messages 13.5 → 10.4 (docs/benchmarks.md, issue 15). Random clientMsgIds (UUIDv4) land anywhere,
// as they did before: 24.9 frames either way.
sqliteMigrations['0008_dedupe_by_client_id'] = statements(
  'DROP INDEX messages_dedupe',
  'CREATE UNIQUE INDEX messages_dedupe ON messages(client_msg_id, from_user) WHERE client_msg_id IS NOT NULL',
);
