/**
 * Baseline (c): the chat server of the blog posts this project grew from. A global `users`
 * array scanned on every message, `JSON.stringify` per recipient, one unbatched SQLite insert
 * per message (durable: WAL + synchronous=FULL), no dedup. Speaks v1 frames over plain `ws`.
 */
import { createServer } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import { baselineHttpHandler, directConv, listenOptions, userFromRequest } from './baseline-http.js';
import { openStore } from './sqlite-store.js';

const store = openStore({ uniqueClientMsgId: false });
let users: { userId: string; ws: WebSocket }[] = [];

const http = createServer(baselineHttpHandler(store));
const wss = new WebSocketServer({ server: http, path: '/ws', perMessageDeflate: false });

wss.on('connection', (ws, req) => {
  const userId = userFromRequest(req) ?? 'anon';
  users.push({ userId, ws });
  ws.send(
    JSON.stringify({
      op: 'hello',
      user: { id: userId },
      sessionId: String(users.length),
      serverTime: Date.now(),
    }),
  );
  ws.on('close', () => {
    users = users.filter((u) => u.ws !== ws);
  });
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString());
    if (f.op === 'send') {
      const isGroup = f.to.startsWith('g:');
      const target = f.to.slice(2);
      const conv = isGroup ? f.to : directConv(userId, target);
      const msg = store.insert(conv, userId, f.kind, f.body, f.clientMsgId);
      ws.send(JSON.stringify({ op: 'ack', rid: f.rid, msg }));
      if (isGroup) {
        const members = new Set(store.members(target));
        for (const u of users) if (u.ws !== ws && members.has(u.userId)) u.ws.send(JSON.stringify({ op: 'msg', msg }));
      } else {
        for (const u of users) if (u.ws !== ws && (u.userId === target || u.userId === userId)) u.ws.send(JSON.stringify({ op: 'msg', msg }));
      }
    } else if (f.op === 'history') {
      const h = store.history(f.conv, Number(f.after ?? 0), Math.min(Number(f.limit ?? 30), 100));
      ws.send(JSON.stringify({ op: 'history', rid: f.rid, conv: f.conv, ...h }));
    } else if (f.op === 'ping') ws.send(JSON.stringify({ op: 'pong', rid: f.rid, ts: Date.now() }));
  });
});

const { port, host } = listenOptions();
http.listen(port, host, () => {
  const addr = http.address();
  console.log(`listening ${typeof addr === 'object' && addr ? addr.port : port}`);
});
