/**
 * setData discipline (issue 19 item 6): with 2,000 messages loaded, a new message, a read receipt
 * and a recall send only the changed paths, measured in bytes of the `setData` payload (what
 * crosses from the logic thread to the view thread on a phone).
 */
import { describe, expect, it } from 'vitest';
import { startServer, until } from '../../../packages/sdk/test/support/server.js';
import { ChatLogic, initialChatData } from '../pages/chat/chat-logic.js';
import { loggedIn } from './support/app-session.js';
import { captureView } from './support/capture-view.js';

const bytes = (patch: Record<string, unknown>) => Buffer.byteLength(JSON.stringify(patch));

describe('setData with 2,000 messages', () => {
  it('a new message, a read receipt and a recall update only their paths', { timeout: 60_000 }, async () => {
    const t0 = Date.now();
    const s = await startServer({ rateLimits: false });
    await s.login('alice', '爱丽丝');
    const bob = await loggedIn(s, 'bob', '鲍勃');
    const N = 2000;
    // Seeded over Bob's socket (pipelined sends), much faster than 2,000 HTTP calls.
    await Promise.all(Array.from({ length: N }, (_, i) => bob.session.need().sendText('u:alice', `第${i + 1}条消息，内容长短不一：${'字'.repeat(i % 40)}`)));
    const seeded = Date.now() - t0;
    const alice = await loggedIn(s, 'alice', '爱丽丝');
    const client = alice.session.need();
    let more = true;
    while (more) more = (await client.loadHistory('d:alice:bob', 100)).hasMore;
    expect(client.messages('d:alice:bob')).toHaveLength(N);

    const loaded = Date.now() - t0;
    const view = captureView(initialChatData());
    const chat = new ChatLogic(view, alice.session);
    await chat.open({ conv: 'd:alice:bob' });
    expect(view.data.items).toHaveLength(N);
    const opened = Date.now() - t0;
    const full = Math.max(...view.patches.map(bytes));
    expect(full).toBeGreaterThan(500_000); // the whole list once, on open
    // Bob's profile arrives after the first paint (one name change on every row of his, once).
    await until(() => view.data.items[0].avatarName === '鲍勃', 'names in');
    await new Promise((r) => setTimeout(r, 50));

    // A new message: one row appended by index.
    let from = view.patches.length;
    await bob.session.need().sendText('u:alice', '新消息');
    await until(() => view.data.items.length === N + 1, 'new message shown');
    await new Promise((r) => setTimeout(r, 50));
    const incoming = view.patches.slice(from);
    const incomingBytes = incoming.reduce((n, p) => n + bytes(p), 0);
    expect(incoming.flatMap((p) => Object.keys(p)).filter((k) => k.startsWith('items'))).toEqual([`items[${N}]`]);
    expect(incomingBytes).toBeLessThan(2_000);

    // My reply, then Bob reads it: "已读" moves to it — two boolean paths.
    await chat.sendText('好的');
    await until(() => view.data.items[N + 1]?.msg.status === 'sent', 'reply acked');
    await new Promise((r) => setTimeout(r, 50));
    from = view.patches.length;
    await bob.session.need().markRead('d:alice:bob');
    await until(() => view.data.items[N + 1]?.read === true, 'read receipt');
    await new Promise((r) => setTimeout(r, 50));
    const receipt = view.patches.slice(from);
    expect(receipt.flatMap((p) => Object.keys(p))).toEqual([`items[${N + 1}].read`]);
    expect(receipt.reduce((n, p) => n + bytes(p), 0)).toBeLessThan(100);

    // A recall deep in the list: only that row.
    from = view.patches.length;
    await chat.menuAction(view.data.items[N + 1].key, '撤回');
    await until(() => !!view.data.items[N + 1]?.msg.recalled, 'recalled');
    await new Promise((r) => setTimeout(r, 50));
    const recall = view.patches.slice(from);
    expect(recall.flatMap((p) => Object.keys(p)).every((k) => k.startsWith(`items[${N + 1}]`))).toBe(true);
    expect(recall.reduce((n, p) => n + bytes(p), 0)).toBeLessThan(1_000);
    console.log(`timing: seeded ${seeded} ms, loaded ${loaded} ms, opened ${opened} ms, done ${Date.now() - t0} ms`);
    console.log(
      `setData bytes with ${N} messages: open ${full}, new message ${incomingBytes}, receipt ${receipt.reduce((n, p) => n + bytes(p), 0)}, recall ${recall.reduce((n, p) => n + bytes(p), 0)}`,
    );
    chat.close();
  });
});
