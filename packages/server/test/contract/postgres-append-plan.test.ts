/**
 * The PostgreSQL append statement's duplicate lookup must probe the dedupe index in every
 * plan, the generic one PostgreSQL caches for a prepared statement after five runs included:
 * costed on an empty table (a new database), a plain join became a hash join over a
 * sequential scan of messages, and every batch then read the whole table.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { APPEND_STATEMENT } from '../../src/storage/postgres/postgres-storage.js';
import { freshDatabase, openStorageAt, serviceAvailable } from '../support/databases.js';

const available = await serviceAvailable('postgres');

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function scans(node: PlanNode, out: string[] = []): string[] {
  if (node['Relation Name']) out.push(`${node['Node Type']} ${node['Relation Name']}${node['Index Name'] ? ` ${node['Index Name']}` : ''}`);
  for (const child of node.Plans ?? []) scans(child, out);
  return out;
}

describe.skipIf(!available)('postgres append statement plan', () => {
  it('looks duplicates up through messages_dedupe in the generic plan of an empty table, never by a sequential scan', async () => {
    const url = await freshDatabase('postgres');
    await openStorageAt(url); // creates the schema
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query('SET plan_cache_mode = force_generic_plan');
      await c.query(`PREPARE append_plan (json, json, json, json) AS ${APPEND_STATEMENT}`);
      const batch = JSON.stringify([{ o: 0, conv: 'a:b', id: 'm1', from_user: 'a', kind: 'text', body: '{}', ts: 1, client_msg_id: 'c1' }]);
      const { rows } = await c.query(`EXPLAIN (FORMAT JSON) EXECUTE append_plan(${c.escapeLiteral(batch)}, '[]', '[]', '[]')`);
      const found = scans((rows[0]['QUERY PLAN'] as Array<{ Plan: PlanNode }>)[0]!.Plan);
      expect(found).toContain('Index Scan messages messages_dedupe');
      expect(found.filter((s) => s.startsWith('Seq Scan messages'))).toEqual([]);
    } finally {
      await c.end();
    }
  });
});
