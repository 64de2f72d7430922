/**
 * Versioned MySQL/MariaDB schema, run at start by Kysely's Migrator (GET_LOCK keeps
 * concurrent starts to one migration). Append only. utf8mb4 everywhere (Chinese, emoji),
 * binary collation so ids compare and sort bytewise, as on SQLite and PostgreSQL.
 * `groups` is a reserved word in MySQL 8: always quoted.
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

const ID = 'VARCHAR(191) NOT NULL';
const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

export const mysqlMigrations: Record<string, Migration> = {
  '0001_core': statements(
    `CREATE TABLE users (
       id ${ID} PRIMARY KEY,
       nickname VARCHAR(255) NOT NULL,
       avatar_url TEXT NOT NULL,
       created_at BIGINT NOT NULL,
       updated_at BIGINT NOT NULL) ${TABLE}`,
    `CREATE TABLE sessions (
       id ${ID} PRIMARY KEY,
       user_id ${ID},
       created_at BIGINT NOT NULL,
       expires_at BIGINT NOT NULL,
       revoked_at BIGINT NULL) ${TABLE}`,
    `CREATE TABLE conversations (
       conv ${ID} PRIMARY KEY,
       kind VARCHAR(16) NOT NULL,
       last_seq BIGINT NOT NULL DEFAULT 0,
       updated_at BIGINT NOT NULL) ${TABLE}`,
    `CREATE TABLE conv_members (
       user_id ${ID},
       conv ${ID},
       read_seq BIGINT NOT NULL DEFAULT 0,
       joined_at BIGINT NOT NULL,
       role VARCHAR(16) NOT NULL DEFAULT 'member',
       muted_until BIGINT NOT NULL DEFAULT 0,
       PRIMARY KEY (user_id, conv),
       KEY conv_members_conv (conv, user_id)) ${TABLE}`,
    `CREATE TABLE messages (
       conv ${ID},
       seq BIGINT NOT NULL,
       id ${ID},
       from_user ${ID},
       kind VARCHAR(16) NOT NULL,
       body MEDIUMTEXT NOT NULL,
       ts BIGINT NOT NULL,
       client_msg_id VARCHAR(191) NULL,
       recalled_by VARCHAR(191) NULL,
       recalled_at BIGINT NULL,
       PRIMARY KEY (conv, seq),
       UNIQUE KEY messages_id (id),
       UNIQUE KEY messages_dedupe (from_user, client_msg_id)) ${TABLE}`,
    `CREATE TABLE \`groups\` (
       id ${ID} PRIMARY KEY,
       name VARCHAR(255) NOT NULL,
       avatar_url TEXT NOT NULL,
       owner ${ID},
       muted_all TINYINT NOT NULL DEFAULT 0,
       created_at BIGINT NOT NULL,
       disbanded_at BIGINT NULL) ${TABLE}`,
    `CREATE TABLE wechat_identities (
       app_id ${ID},
       openid ${ID},
       user_id ${ID},
       unionid VARCHAR(191) NULL,
       session_key_enc TEXT NOT NULL,
       updated_at BIGINT NOT NULL,
       PRIMARY KEY (app_id, openid),
       KEY wechat_identities_user (user_id, updated_at)) ${TABLE}`,
    `CREATE TABLE subscribe_credits (
       user_id ${ID},
       template_id ${ID},
       credits INT NOT NULL,
       PRIMARY KEY (user_id, template_id)) ${TABLE}`,
    `CREATE TABLE notify_throttle (
       user_id ${ID},
       conv ${ID},
       claimed_at BIGINT NOT NULL,
       PRIMARY KEY (user_id, conv)) ${TABLE}`,
    `CREATE TABLE media_traces (
       trace_id ${ID} PRIMARY KEY,
       conv ${ID},
       seq BIGINT NOT NULL,
       msg_id VARCHAR(191) NULL,
       user_id ${ID},
       url TEXT NOT NULL,
       media_type VARCHAR(16) NULL,
       openid VARCHAR(191) NULL,
       app_id VARCHAR(191) NULL,
       attempt INT NOT NULL DEFAULT 1,
       created_at BIGINT NOT NULL,
       KEY media_traces_created (created_at)) ${TABLE}`,
    `CREATE TABLE user_phones (
       user_id ${ID} PRIMARY KEY,
       phone_number VARCHAR(64) NOT NULL,
       pure_phone_number VARCHAR(64) NOT NULL,
       country_code VARCHAR(16) NOT NULL,
       app_id ${ID},
       verified_at BIGINT NOT NULL) ${TABLE}`,
  ),
};

// The admin API: the append-only audit log and banned users.
mysqlMigrations['0002_admin'] = statements(
  `CREATE TABLE audit_log (
     id ${ID} PRIMARY KEY,
     at BIGINT NOT NULL,
     actor VARCHAR(191) NOT NULL,
     action VARCHAR(191) NOT NULL,
     target VARCHAR(191) NULL,
     ip VARCHAR(64) NULL,
     detail TEXT NULL,
     KEY audit_log_at (at, id),
     KEY audit_log_target (target, at)) ${TABLE}`,
  `CREATE TABLE user_bans (
     user_id ${ID} PRIMARY KEY,
     banned_at BIGINT NOT NULL,
     banned_by VARCHAR(191) NOT NULL,
     reason TEXT NULL) ${TABLE}`,
  // A user's sessions (ban: revoke them all; the admin API lists them).
  'CREATE INDEX sessions_user ON sessions(user_id)',
);

// Which blobs messages reference, so a recall can delete a blob no other message uses.
mysqlMigrations['0003_media_refs'] = mediaRefsMigration(
  `CREATE TABLE media_refs (
     conv ${ID},
     seq BIGINT NOT NULL,
     media_key ${ID},
     PRIMARY KEY (conv, seq, media_key),
     KEY media_refs_key (media_key)) ${TABLE}`,
);
