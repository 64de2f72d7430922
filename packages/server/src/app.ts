/**
 * Wires one MiniIM server: config → storage and bus (from their registries) →
 * core services → HTTP routes and the WebSocket gateway on the same port.
 */

import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { banCheck, createAuditLog, registerAdmin } from './admin/index.js';
import type { Bus } from './cluster/bus.js';
import { createCluster } from './cluster/registry.js';
import type { SharedState } from './cluster/shared-state.js';
import { isLoopbackHost } from './config/config.js';
import { preparePrivateDir } from './config/data-dir.js';
import { devSecret } from './config/dev-secret.js';
import { AuthService } from './core/auth-service.js';
import { CommitFeed } from './core/commit-feed.js';
import { CommitStats } from './core/commit-stats.js';
import { ConversationService } from './core/conversation-service.js';
import { GroupDirectory } from './core/group-directory.js';
import { GroupService } from './core/group-service.js';
import { MessageService } from './core/message-service.js';
import { SessionRevocations } from './core/session-revocations.js';
import { TokenService } from './core/token-service.js';
import { UserService } from './core/user-service.js';
import { Gateway } from './gateway/gateway.js';
import { registerAuthRateLimits } from './http/auth-rate-limits.js';
import { registerAuthRoutes } from './http/auth-routes.js';
import { registerChatRoutes } from './http/chat-routes.js';
import { authenticate, type HttpContext } from './http/context.js';
import { installErrorHandling } from './http/errors.js';
import { registerGroupRoutes } from './http/group-routes.js';
import { registerHealthRoutes } from './http/health-routes.js';
import { lazyValidators } from './http/lazy-validators.js';
import { listenMetrics, metricsAllowed } from './http/metrics-endpoint.js';
import { registerOpenApi } from './http/openapi.js';
import { registerSecurity } from './http/security.js';
import { registerWebRoutes } from './http/web-routes.js';
import { createLogger, type Logger } from './logger.js';
import { createMedia, registerMedia } from './media/index.js';
import { createMetrics } from './metrics/metrics.js';
import { createModeration } from './moderation/index.js';
import { loadServerConfig, type ServerConfig } from './server-config.js';
import { createStorage } from './storage/registry.js';
import type { Storage } from './storage/storage.js';
import { registerWechatRoutes, WECHAT_REDACT_PATHS, WechatIntegration, WechatMessageHooks } from './wechat/index.js';

/** Longest wait for HTTP requests in flight during a graceful shutdown, after the sockets are drained. */
const HTTP_DRAIN_MS = 2_000;
export interface MiniImServer {
  readonly config: ServerConfig;
  readonly app: FastifyInstance;
  readonly storage: Storage;
  readonly bus: Bus;
  /** Rate limits, the socket cap, values and locks shared by the nodes (in memory on one node). */
  readonly shared: SharedState;
  readonly gateway: Gateway;
  readonly messages: MessageService;
  /** Announce ended login sessions here (a ban: `{userId, reason: 'banned'}`); their sockets close at once. */
  readonly revocations: SessionRevocations;
  readonly logger: Logger;
  /** Every HTTP route as registered (`GET /api/me`, …; HEAD twins left out): the auth-matrix test's row list. */
  readonly routes: readonly string[];
  /** The WeChat clients (when configured) and a wait for its background work (notifications, media checks). */
  readonly wechat: { readonly wechat: WechatIntegration['wechat']; flush(): Promise<void> };
  /** Starts listening; resolves with the bound port (and the metrics listener's, when configured). */
  listen(): Promise<{ port: number; host: string; metricsPort?: number }>;
  /** Graceful: stop accepting, close sockets with 1001, finish commits, close storage. */
  close(): Promise<void>;
}

export interface CreateServerOptions {
  /** Config keys overriding env and file (tests, embedding). */
  overrides?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Where logs go (defaults to stdout). */
  logDestination?: import('pino').DestinationStream;
  /** Injected storage, for tests and the bench's no-disk control; the server does not close what it did not open. */
  storage?: Storage;
}

const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');

export async function createServer(opts: CreateServerOptions = {}): Promise<MiniImServer> {
  const config = loadServerConfig(opts.env ?? process.env, opts.overrides ?? {});
  const logger = createLogger(config.logLevel, opts.logDestination, WECHAT_REDACT_PATHS);
  const metrics = createMetrics({ enabled: config.metrics });
  if (preparePrivateDir(config.dataDir)) logger.info({ dataDir: config.dataDir }, 'data directory was readable by others; narrowed to 0700');
  const storage = opts.storage ?? (await createStorage(config, logger));
  const { bus, shared } = await createCluster(config, logger, metrics.bus);
  const media = await createMedia(config, logger);
  const wechat = new WechatIntegration({ config, storage, bus, shared: shared.values, logger, registry: metrics.registry });
  const audit = createAuditLog(storage, logger);
  const moderation = createModeration({ config: config.moderation, wechat, logger, registry: metrics.registry, audit: audit.sink });
  const secret = devSecret(config.tokenSecret, {
    dataDir: config.dataDir,
    file: '.token-secret',
    envName: 'MINIIM_TOKEN_SECRET',
    logger,
  });
  const tokens = new TokenService(secret, config.tokenTtlSec * 1000, storage);
  const checkNickname = moderation ? (nickname: string, userId: string) => moderation.checkText(nickname, userId, 'nickname') : undefined;
  const users = new UserService({ users: storage, checkNickname, avatarLink: media.avatarLink });
  const revocations = new SessionRevocations();
  // Revocations reach the gateways of the other nodes over the bus (and come back from them).
  revocations.onForward((e) => bus.broadcast({ type: 'session_revoked', ...e }));
  bus.onEvent((e) => {
    if (e.type === 'session_revoked') revocations.receive({ userId: e.userId, sessionId: e.sessionId, reason: e.reason });
  });
  const auth = new AuthService({ tokens, users, devLogin: config.devLogin, revocations, isBanned: banCheck(storage) });
  const directory = new GroupDirectory(storage.groups, bus);
  const committed = new CommitFeed(logger);
  const messages = new MessageService({
    storage,
    bus,
    logger,
    metrics,
    recallWindowMs: config.recallWindowMs,
    checkMediaBody: media.checkBody,
    signMessage: media.signMessage,
    mediaKeysOf: media.mediaKeysOf,
    deleteMedia: media.deleteBlobs,
    moderateText: moderation?.moderateText,
    groups: directory,
    onCommitted: committed.emit,
    commitStats: config.commitStats ? new CommitStats(metrics.registry) : undefined,
    commitDelay: { ms: config.commitDelayMs, siblings: config.commitDelaySiblings },
  });
  const conversations = new ConversationService(storage, bus, messages, directory);
  const groups = new GroupService(directory, storage, messages, config.maxGroupSize, moderation?.checkGroupName, media.avatarLink);
  const wechatHooks = new WechatMessageHooks({
    wechat,
    removal: messages,
    signMessage: media.signMessage,
    committed,
    storage,
    bus,
    publicBaseUrl: config.publicBaseUrl,
    logger,
    registry: metrics.registry,
    audit: audit.sink,
  });

  // Forwarded headers count only from the configured proxies (MINIIM_TRUST_PROXY), never from anyone.
  const app = Fastify({
    logger: false,
    bodyLimit: config.maxBodyBytes,
    trustProxy: config.trustProxy.length ? config.trustProxy : false,
    // Route schemas (the admin API's) compile on first use, not at start-up.
    schemaController: { compilersFactory: { buildValidator: lazyValidators as never } },
  });
  const routes: string[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${r.url}`);
  });
  installErrorHandling(app, logger);
  await registerSecurity(app, config);
  // Before every route: each route registered from here on is described in /api/openapi.json.
  registerOpenApi(app);
  const limitLogin = registerAuthRateLimits(app, { shared, enabled: config.rateLimits });
  const ctx: HttpContext = {
    auth,
    users,
    messages,
    conversations,
    isOnline: (userIds) => bus.isOnline(userIds),
    limiter: shared.limiter('http', config.socketFramesPerSec, config.socketFramesPerSec * 2, config.rateLimits),
    limitLogin,
    logger,
  };
  registerAuthRoutes(app, ctx);
  registerChatRoutes(app, ctx);
  registerGroupRoutes(app, ctx, groups);
  registerHealthRoutes(app, {
    ready: async () => {
      await storage.ping();
      await bus.ping();
    },
    backends: { storage: storage.kind, bus: bus.kind },
    metrics,
    logger,
    metricsAllowed: (req) => metricsAllowed(config, req.raw),
  });
  registerMedia(app, media, {
    authenticate: (req) => authenticate(ctx, req),
    logger,
    onUploaded: (e) => metrics.uploadBytes(e.kind).inc(e.size),
  });
  await registerWechatRoutes(app, { ...ctx, storage }, { wechat, media: wechatHooks.media, checkText: moderation?.checkText });
  registerAdmin(app, { config, storage, bus, audit, auth, revocations, messages, directory, groups, logger });
  await registerWebRoutes(app, config.webDir ? path.resolve(config.webDir) : path.join(REPO_ROOT, 'examples/web/dist'));

  // Expired and revoked login sessions are deleted at start and every hour.
  const prune = () => {
    storage
      .pruneSessions(Date.now())
      .then((n) => n > 0 && logger.info({ sessions: n }, 'pruned expired and revoked sessions'))
      .catch((err) => logger.warn({ err }, 'pruning sessions failed'));
  };
  const pruning = setInterval(prune, 3600_000).unref();
  prune();
  const gateway = new Gateway({ config, auth, revocations, messages, conversations, bus, shared, logger, metrics });
  gateway.attach(app.server);

  let metricsServer: import('node:http').Server | undefined;
  let closed: Promise<void> | null = null;
  return {
    config,
    app,
    storage,
    bus,
    shared,
    gateway,
    messages,
    revocations,
    logger,
    routes,
    wechat: { wechat: wechat.wechat, flush: () => wechatHooks.flush() },
    async listen() {
      // A rolling restart moves every client of the stopped node here within the SDK's first
      // reconnect window (≤ 500 ms): Node's default backlog of 511 overflowed with 10,000 clients and
      // dropped connection attempts cost nginx its 2 s connect timeout. The kernel caps this at somaxconn.
      await app.listen({ port: config.port, host: config.host, backlog: 4096 });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.port;
      if (config.devLogin && !isLoopbackHost(config.host)) {
        logger.warn({ host: config.host }, 'dev login is on and the server is reachable beyond this machine: anyone who can reach it can log in as any user');
      }
      let metricsPort: number | undefined;
      if (config.metrics && config.metricsPort !== undefined) {
        const m = await listenMetrics(config, metrics.registry);
        metricsServer = m.server;
        metricsPort = m.port;
        logger.info({ port: m.port, host: m.host }, 'metrics listening');
      }
      logger.info({ port, host: config.host, storage: storage.kind, bus: bus.kind, devLogin: config.devLogin }, 'listening');
      return metricsPort === undefined ? { port, host: config.host } : { port, host: config.host, metricsPort };
    },
    close() {
      closed ??= (async () => {
        clearInterval(pruning);
        metricsServer?.close();
        metricsServer?.closeAllConnections();
        await gateway.shutdown();
        // A connection that never sent its request (or whose client went silent) would hold the
        // close for minutes: requests in flight get HTTP_DRAIN_MS, then every connection is cut.
        const force = setTimeout(() => app.server.closeAllConnections(), HTTP_DRAIN_MS);
        await app.close();
        clearTimeout(force);
        await messages.flush();
        await wechatHooks.flush();
        await audit.flush();
        await bus.close();
        await shared.close();
        await media.store.close?.();
        if (!opts.storage) await storage.close();
      })();
      return closed;
    },
  };
}
