/** Serves the web chat page (examples/web/dist) at `/`. */
import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const PLACEHOLDER = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>MiniIM</title></head>
<body><h1>MiniIM 服务已启动</h1><p>网页聊天尚未构建：请运行 <code>npm run build:web</code> 后刷新。</p></body></html>`;

export async function registerWebRoutes(app: FastifyInstance, webDir: string): Promise<void> {
  if (existsSync(webDir)) {
    await app.register(fastifyStatic, { root: webDir, prefix: '/', index: ['index.html'], wildcard: false });
    return;
  }
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(PLACEHOLDER));
}
