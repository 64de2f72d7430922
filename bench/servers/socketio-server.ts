/**
 * Baseline (b): a Socket.IO 4 server doing MiniIM's job the way the Socket.IO docs suggest:
 * a room per user and per group, SQLite insert (unique client offset for dedup), then emit to
 * the rooms, then the acknowledgement callback. Events: `send` (ack `{msg}` | `{error}`),
 * `history` (ack `{messages, hasMore}`); pushes `hello` and `msg`.
 * With REDIS_URL, several of these processes form one server through `@socket.io/redis-adapter`
 * (the documented way to scale Socket.IO out; rooms and emits cross the nodes over Redis pub/sub).
 */
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { baselineHttpHandler, directConv, listenOptions } from './baseline-http.js';
import { openPgMessageStore } from './pg-message-store.js';
import { openStore } from './sqlite-store.js';

const store = openStore({ uniqueClientMsgId: true });
/** DATABASE_URL (postgres://) moves the messages to PostgreSQL, one INSERT per message (the socketio-pg target). */
const messages = process.env.DATABASE_URL?.startsWith('postgres') ? await openPgMessageStore(process.env.DATABASE_URL) : store;
const http = createServer(
  baselineHttpHandler({
    createGroup(owner, name, members) {
      const g = store.createGroup(owner, name, members);
      for (const u of [owner, ...members]) io.in(`u:${u}`).socketsJoin(`g:${g.id}`);
      return g;
    },
    addMembers(id, userIds) {
      const g = store.addMembers(id, userIds);
      if (g) for (const u of userIds) io.in(`u:${u}`).socketsJoin(`g:${id}`);
      return g;
    },
  }),
);
const io = new Server(http, { serveClient: false, perMessageDeflate: false });
if (process.env.REDIS_URL) {
  const pub = new Redis(process.env.REDIS_URL);
  io.adapter(createAdapter(pub, pub.duplicate(), { key: process.env.BENCH_REDIS_KEY ?? 'socket.io' }));
}

io.use((socket, next) => {
  const userId = socket.handshake.auth?.userId;
  if (typeof userId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(userId)) return next(new Error('unauthorized'));
  socket.data.userId = userId;
  next();
});

io.on('connection', (socket) => {
  const userId: string = socket.data.userId;
  socket.join([`u:${userId}`, ...store.groupsOf(userId).map((g) => `g:${g}`)]);
  socket.emit('hello', { user: { id: userId }, sessionId: socket.id, serverTime: Date.now() });

  socket.on('send', async (p, ack) => {
    if (typeof ack !== 'function') return;
    if (!p || typeof p.to !== 'string' || typeof p.clientMsgId !== 'string' || typeof p.kind !== 'string')
      return ack({ error: { code: 'bad_request', message: 'to, clientMsgId, kind required' } });
    const isGroup = p.to.startsWith('g:');
    const target = p.to.slice(2);
    if (isGroup && !store.isMember(target, userId)) return ack({ error: { code: 'forbidden', message: 'not a member' } });
    const conv = isGroup ? p.to : directConv(userId, target);
    let msg: ReturnType<typeof store.insert>;
    try {
      msg = await messages.insert(conv, userId, p.kind, p.body ?? {}, p.clientMsgId);
    } catch {
      return ack({ error: { code: 'unavailable', message: 'store failed' } });
    }
    if (isGroup) socket.to(`g:${target}`).emit('msg', msg);
    else socket.to([`u:${target}`, `u:${userId}`]).emit('msg', msg);
    ack({ msg });
  });

  socket.on('history', async (p, ack) => {
    if (typeof ack !== 'function' || !p || typeof p.conv !== 'string') return;
    ack(await messages.history(p.conv, Number(p.after ?? 0), Math.min(Number(p.limit ?? 30), 100)));
  });
});

const { port, host } = listenOptions();
http.listen(port, host, () => {
  const addr = http.address();
  console.log(`listening ${typeof addr === 'object' && addr ? addr.port : port}`);
});
