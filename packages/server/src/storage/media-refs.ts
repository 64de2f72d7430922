/**
 * Which media blobs messages reference (table `media_refs`, one row per message and key).
 * Rows are written with the message (NewMessage.mediaKeys) and dropped by releaseMedia
 * after a recall; this file holds the part the three drivers share: the migration step
 * that fills the table from messages stored before references were tracked.
 */
import { type Kysely, type Migration, sql } from 'kysely';
import type { Database } from './rows.js';

/**
 * A blob key at the end of a URL's path: the shape media/media-keys.ts gives keys (the
 * storage layer imports no feature). A foreign URL of the same shape only adds a reference
 * to a key that is not ours, which keeps nothing and deletes nothing.
 */
const KEY_AT_END = /\/([A-Za-z0-9_-]{24}\.[a-z0-9]{1,8})(?:[?#]|$)/;
const MEDIA_KINDS = ['image', 'video', 'audio', 'file'];
const PAGE = 500;

function keysOfStoredBody(body: string): string[] {
  let parsed: { url?: unknown; cover?: unknown };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return [];
  }
  const keys = new Set<string>();
  for (const url of [parsed.url, parsed.cover]) {
    const m = typeof url === 'string' ? KEY_AT_END.exec(url) : null;
    if (m) keys.add(m[1]!);
  }
  return [...keys];
}

/** Migration step: references of every unrecalled media message already stored, read a page at a time. */
export async function backfillMediaRefs(database: Kysely<unknown>): Promise<void> {
  const db = database as unknown as Kysely<Database>;
  let after: { conv: string; seq: number } | undefined;
  for (;;) {
    let q = db.selectFrom('messages').select(['conv', 'seq', 'body']).where('kind', 'in', MEDIA_KINDS).where('recalled_by', 'is', null);
    if (after) {
      const { conv, seq } = after;
      q = q.where((eb) => eb.or([eb('conv', '>', conv), eb.and([eb('conv', '=', conv), eb('seq', '>', seq)])]));
    }
    const rows = await q.orderBy('conv').orderBy('seq').limit(PAGE).execute();
    if (rows.length === 0) return;
    const refs = rows.flatMap((r) => keysOfStoredBody(r.body).map((media_key) => ({ conv: r.conv, seq: Number(r.seq), media_key })));
    if (refs.length > 0) await db.insertInto('media_refs').values(refs).execute();
    const last = rows[rows.length - 1]!;
    after = { conv: last.conv, seq: Number(last.seq) };
  }
}

/** The media_refs migration of a driver: its DDL (table and key index), then the backfill. */
export function mediaRefsMigration(...ddl: string[]): Migration {
  return {
    async up(db) {
      for (const s of ddl) await sql.raw(s).execute(db);
      await backfillMediaRefs(db);
    },
  };
}
