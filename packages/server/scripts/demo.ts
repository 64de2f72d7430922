/**
 * `npm run demo`: logs in two users on a running MiniIM server (dev login),
 * connects both over WebSocket and exchanges a few messages.
 * MINIIM_URL picks the server (default http://localhost:8080).
 */
import WebSocket from 'ws';

const base = process.env.MINIIM_URL ?? 'http://localhost:8080';

async function login(userId: string, nickname: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/dev`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, nickname }),
  });
  const body = (await res.json()) as { token?: string; error?: { message: string } };
  if (!body.token) throw new Error(`dev login failed (${res.status}): ${body.error?.message}`);
  return body.token;
}

function connect(token: string, name: string): Promise<WebSocket> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`);
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString());
    if (f.op === 'msg') console.log(`[${name}] received from ${f.msg.from} (seq ${f.msg.seq}): ${f.msg.body.text}`);
    if (f.op === 'ack') console.log(`[${name}] acked seq ${f.msg.seq} in ${f.msg.conv}`);
    if (f.op === 'error') console.log(`[${name}] error ${f.code}: ${f.message}`);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const alice = await connect(await login('alice', '爱丽丝'), 'alice');
  const bob = await connect(await login('bob', '鲍勃'), 'bob');
  const run = Date.now().toString(36);
  alice.send(JSON.stringify({ op: 'send', rid: '1', to: 'u:bob', clientMsgId: `${run}-1`, kind: 'text', body: { text: '你好，鲍勃！' } }));
  await pause(300);
  bob.send(JSON.stringify({ op: 'send', rid: '2', to: 'u:alice', clientMsgId: `${run}-2`, kind: 'text', body: { text: '你好，爱丽丝！' } }));
  await pause(300);
  alice.close();
  bob.close();
  console.log(`done: open ${base}/api/conversations with a token to see the conversation`);
}

main().catch((e) => {
  console.error(`demo failed: ${e.message} (is the server running? npm start)`);
  process.exit(1);
});
