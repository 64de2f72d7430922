/**
 * Baseline (a): raw `ws` relay. No auth, no validation, no storage: the user id is the token,
 * `send` is acked at once and relayed to the peer's (or group members') sockets. It speaks the
 * v1 frame shapes so the same generator drives it. This is the practical limit of the machine.
 */
import { createServer } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import { baselineHttpHandler, directConv, listenOptions, userFromRequest } from './baseline-http.js';

const sockets = new Map<string, Set<WebSocket>>();
const groups = new Map<string, Set<string>>();
let counter = 0;

const http = createServer(
  baselineHttpHandler({
    createGroup(owner, name, members) {
      const id = `rg${++counter}`;
      groups.set(id, new Set([owner, ...members]));
      return { id, name, owner, memberCount: groups.get(id)!.size, createdAt: Date.now() };
    },
    addMembers(id, userIds) {
      const g = groups.get(id);
      if (!g) return undefined;
      for (const u of userIds) g.add(u);
      return { id, name: id, owner: '', memberCount: g.size, createdAt: 0 };
    },
  }),
);
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

function push(userId: string, frame: string, except: WebSocket): void {
  const set = sockets.get(userId);
  if (!set) return;
  for (const s of set) if (s !== except) s.send(frame);
}

http.on('upgrade', (req, socket, head) => {
  const userId = userFromRequest(req) ?? 'anon';
  wss.handleUpgrade(req, socket, head, (ws) => {
    let set = sockets.get(userId);
    if (!set) {
      set = new Set();
      sockets.set(userId, set);
    }
    set.add(ws);
    ws.on('close', () => {
      set.delete(ws);
      if (set.size === 0) sockets.delete(userId);
    });
    ws.on('pong', () => {});
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString());
      if (f.op === 'send') {
        const isGroup = f.to.startsWith('g:');
        const target = f.to.slice(2);
        const n = ++counter;
        const conv = isGroup ? f.to : directConv(userId, target);
        const msg = {
          id: String(n),
          conv,
          seq: n,
          from: userId,
          kind: f.kind,
          body: f.body,
          ts: Date.now(),
          clientMsgId: f.clientMsgId,
        };
        ws.send(JSON.stringify({ op: 'ack', rid: f.rid, msg }));
        const frame = JSON.stringify({ op: 'msg', msg });
        if (isGroup) for (const m of groups.get(target) ?? []) push(m, frame, ws);
        else {
          push(target, frame, ws);
          if (target !== userId) push(userId, frame, ws);
        }
      } else if (f.op === 'ping') ws.send(JSON.stringify({ op: 'pong', rid: f.rid, ts: Date.now() }));
      else if (f.op === 'history') ws.send(JSON.stringify({ op: 'history', rid: f.rid, conv: f.conv, messages: [], hasMore: false }));
    });
    ws.send(
      JSON.stringify({
        op: 'hello',
        user: { id: userId },
        sessionId: String(++counter),
        serverTime: Date.now(),
        heartbeatMs: 25_000,
        limits: {},
      }),
    );
  });
});

setInterval(() => {
  for (const ws of wss.clients) ws.ping();
}, 25_000).unref();

const { port, host } = listenOptions();
http.listen(port, host, () => {
  const addr = http.address();
  console.log(`listening ${typeof addr === 'object' && addr ? addr.port : port}`);
});
