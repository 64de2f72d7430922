/**
 * The admin feature: the admin API under `/api/admin/` (users, bans, messages, groups,
 * notices, data-subject requests, node stats) and the audit log it and the moderation
 * pipeline write to. app.ts builds the audit log first (moderation takes its sink), then
 * registers the routes once the core services exist.
 */
import { parseConvId } from '@miniim/protocol';
import type { FastifyInstance } from 'fastify';
import type { Bus } from '../cluster/bus.js';
import type { AuthService } from '../core/auth-service.js';
import type { GroupDirectory } from '../core/group-directory.js';
import type { GroupService } from '../core/group-service.js';
import type { MessageService } from '../core/message-service.js';
import type { SessionRevocations } from '../core/session-revocations.js';
import type { Logger } from '../logger.js';
import type { Storage } from '../storage/storage.js';
import { AdminAuth } from './admin-auth.js';
import { AdminContent } from './admin-content.js';
import { AdminGroups } from './admin-groups.js';
import { registerAdminRoutes } from './admin-routes.js';
import { AdminUsers } from './admin-users.js';
import { AuditLog } from './audit-log.js';

export { adminConfigSection, adminConfigShape } from './admin-config.js';
export { AuditLog } from './audit-log.js';

export interface AdminDeps {
  config: { adminToken?: string | undefined; adminUsers: readonly string[] };
  storage: Storage;
  bus: Bus;
  audit: AuditLog;
  auth: AuthService;
  revocations: SessionRevocations;
  messages: MessageService;
  directory: GroupDirectory;
  groups: GroupService;
  logger: Logger;
}

/** The audit log over the storage's admin repository. */
export function createAuditLog(storage: Storage, logger: Logger): AuditLog {
  return new AuditLog(storage.admin, logger);
}

/** Whether a user is banned (AuthService refuses their logins and refreshes). */
export function banCheck(storage: Storage): (userId: string) => Promise<boolean> {
  return async (userId) => (await storage.admin.getBan(userId)) !== undefined;
}

/** Registers every `/api/admin/` route. */
export function registerAdmin(app: FastifyInstance, d: AdminDeps): void {
  const membersOf = async (conv: string): Promise<readonly string[]> => {
    const c = parseConvId(conv);
    if (!c) return [];
    return c.kind === 'group' ? d.directory.allMembers(c.groupId) : [c.a, c.b];
  };
  registerAdminRoutes(app, {
    auth: new AdminAuth(d.auth, d.config.adminToken, d.config.adminUsers),
    audit: d.audit,
    users: new AdminUsers({
      storage: d.storage,
      bus: d.bus,
      revocations: d.revocations,
      membersOf,
      releaseMedia: (conv, seq) => d.messages.releaseMedia(conv, seq),
    }),
    content: new AdminContent({ storage: d.storage, messages: d.messages, groups: d.directory, logger: d.logger }),
    groups: new AdminGroups({ storage: d.storage, directory: d.directory, groups: d.groups }),
    bus: d.bus,
    logger: d.logger,
  });
}
