/**
 * The admin feature's part of the server config. The admin token itself
 * (`MINIIM_ADMIN_TOKEN`, at least 16 characters) is a shared key, since `/metrics`
 * accepts it too; this section adds the users who may call the admin API with their
 * own login token (`MINIIM_ADMIN_USERS`, comma-separated user ids).
 */
import { isValidId } from '@miniim/protocol';
import * as z from 'zod';
import type { ConfigSection } from '../config/config-section.js';

const ids = z
  .union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
  .refine((v) => v.every(isValidId), 'every admin user id must match ^[A-Za-z0-9_-]{1,64}$');

/** The top-level key the admin feature adds to the server config schema. */
export const adminConfigShape = {
  /** Users whose own token opens the admin API (their actor in the audit log is `admin:<id>`). */
  adminUsers: ids.default([]),
};

/** Env names of the admin keys. */
export const adminConfigSection: ConfigSection<{ adminUsers: string[] }> = {
  env: { MINIIM_ADMIN_USERS: 'adminUsers' },
};
