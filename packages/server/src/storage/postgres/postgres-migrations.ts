/**
 * Versioned PostgreSQL schema, run at start by Kysely's Migrator (which holds an advisory
 * lock, so several servers starting at once migrate once). Append only. Ids use the "C"
 * collation so ordering and comparison are bytewise, as on SQLite.
 */
import { type Kysely, type Migration, sql } from 'kysely';
import { mediaRefsMigration } from '../media-refs.js';

function statements(...ddl: string[]): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const s of ddl) await sql.raw(s).execute(db);
    },
  };
}

const ID = 'TEXT COLLATE "C" NOT NULL';

export const postgresMigrations: Record<string, Migration> = {
  '0001_core': statements(
    `CREATE TABLE users (
       id ${ID} PRIMARY KEY,
       nickname TEXT NOT NULL,
       avatar_url TEXT NOT NULL DEFAULT '',
       created_at BIGINT NOT NULL,
       updated_at BIGINT NOT NULL)`,
    `CREATE TABLE sessions (
       id ${ID} PRIMARY KEY,
       user_id ${ID},
       created_at BIGINT NOT NULL,
       expires_at BIGINT NOT NULL,
       revoked_at BIGINT)`,
    `CREATE TABLE conversations (
       conv ${ID} PRIMARY KEY,
       kind TEXT NOT NULL,
       last_seq BIGINT NOT NULL DEFAULT 0,
       updated_at BIGINT NOT NULL)`,
    `CREATE TABLE conv_members (
       user_id ${ID},
       conv ${ID},
       read_seq BIGINT NOT NULL DEFAULT 0,
       joined_at BIGINT NOT NULL,
       role TEXT NOT NULL DEFAULT 'member',
       muted_until BIGINT NOT NULL DEFAULT 0,
       PRIMARY KEY (user_id, conv))`,
    'CREATE INDEX conv_members_conv ON conv_members(conv, user_id)',
    `CREATE TABLE messages (
       conv ${ID},
       seq BIGINT NOT NULL,
       id ${ID},
       from_user ${ID},
       kind TEXT NOT NULL,
       body TEXT NOT NULL,
       ts BIGINT NOT NULL,
       client_msg_id TEXT COLLATE "C",
       recalled_by TEXT COLLATE "C",
       recalled_at BIGINT,
       PRIMARY KEY (conv, seq))`,
    'CREATE UNIQUE INDEX messages_id ON messages(id)',
    'CREATE UNIQUE INDEX messages_dedupe ON messages(from_user, client_msg_id) WHERE client_msg_id IS NOT NULL',
    `CREATE TABLE groups (
       id ${ID} PRIMARY KEY,
       name TEXT NOT NULL,
       avatar_url TEXT NOT NULL DEFAULT '',
       owner ${ID},
       muted_all SMALLINT NOT NULL DEFAULT 0,
       created_at BIGINT NOT NULL,
       disbanded_at BIGINT)`,
    `CREATE TABLE wechat_identities (
       app_id ${ID},
       openid ${ID},
       user_id ${ID},
       unionid TEXT COLLATE "C",
       session_key_enc TEXT NOT NULL,
       updated_at BIGINT NOT NULL,
       PRIMARY KEY (app_id, openid))`,
    'CREATE INDEX wechat_identities_user ON wechat_identities(user_id, updated_at)',
    `CREATE TABLE subscribe_credits (
       user_id ${ID},
       template_id ${ID},
       credits INTEGER NOT NULL,
       PRIMARY KEY (user_id, template_id))`,
    `CREATE TABLE notify_throttle (
       user_id ${ID},
       conv ${ID},
       claimed_at BIGINT NOT NULL,
       PRIMARY KEY (user_id, conv))`,
    `CREATE TABLE media_traces (
       trace_id ${ID} PRIMARY KEY,
       conv ${ID},
       seq BIGINT NOT NULL,
       msg_id TEXT COLLATE "C",
       user_id ${ID},
       url TEXT NOT NULL,
       created_at BIGINT NOT NULL)`,
    'CREATE INDEX media_traces_created ON media_traces(created_at)',
  ),
};

postgresMigrations['0002_wechat_retry_phone'] = statements(
  'ALTER TABLE media_traces ADD COLUMN media_type TEXT',
  'ALTER TABLE media_traces ADD COLUMN openid TEXT COLLATE "C"',
  'ALTER TABLE media_traces ADD COLUMN app_id TEXT COLLATE "C"',
  'ALTER TABLE media_traces ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1',
  `CREATE TABLE user_phones (
     user_id ${ID} PRIMARY KEY,
     phone_number TEXT NOT NULL,
     pure_phone_number TEXT NOT NULL,
     country_code TEXT NOT NULL,
     app_id ${ID},
     verified_at BIGINT NOT NULL)`,
);

// The admin API: the append-only audit log and banned users.
postgresMigrations['0003_admin'] = statements(
  `CREATE TABLE audit_log (
     id ${ID} PRIMARY KEY,
     at BIGINT NOT NULL,
     actor TEXT COLLATE "C" NOT NULL,
     action TEXT COLLATE "C" NOT NULL,
     target TEXT COLLATE "C",
     ip TEXT,
     detail TEXT)`,
  'CREATE INDEX audit_log_at ON audit_log(at, id)',
  'CREATE INDEX audit_log_target ON audit_log(target, at)',
  // A user's sessions (ban: revoke them all; the admin API lists them).
  'CREATE INDEX sessions_user ON sessions(user_id)',
  `CREATE TABLE user_bans (
     user_id ${ID} PRIMARY KEY,
     banned_at BIGINT NOT NULL,
     banned_by TEXT COLLATE "C" NOT NULL,
     reason TEXT)`,
);

// Which blobs messages reference, so a recall can delete a blob no other message uses.
postgresMigrations['0004_media_refs'] = mediaRefsMigration(
  `CREATE TABLE media_refs (
     conv ${ID},
     seq BIGINT NOT NULL,
     media_key ${ID},
     PRIMARY KEY (conv, seq, media_key))`,
  'CREATE INDEX media_refs_key ON media_refs(media_key)',
);
