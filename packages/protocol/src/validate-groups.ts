/** Validators of the group HTTP bodies. */

import { DEFAULT_LIMITS } from './limits.js';
import { bad, idField, idList, int, isObject, optStr, str } from './validate.js';

/** Upper bound of ids in one request body (the server's configured group size may be lower). */
export const MAX_IDS_PER_REQUEST = 10_000;

export function validateCreateGroup(v: unknown): { name: string; members: string[]; avatarUrl?: string } {
  if (!isObject(v)) throw bad('body must be a JSON object');
  const out: { name: string; members: string[]; avatarUrl?: string } = {
    name: str(v, 'name', 1, 64),
    members: idList(v, 'members', MAX_IDS_PER_REQUEST),
  };
  const avatarUrl = optStr(v, 'avatarUrl', 0, DEFAULT_LIMITS.maxUrlChars);
  if (avatarUrl !== undefined) out.avatarUrl = avatarUrl;
  return out;
}

export function validateGroupPatch(v: unknown): { name?: string; avatarUrl?: string; muted?: boolean } {
  if (!isObject(v)) throw bad('body must be a JSON object');
  const out: { name?: string; avatarUrl?: string; muted?: boolean } = {};
  const name = optStr(v, 'name', 1, 64);
  if (name !== undefined) out.name = name;
  const avatarUrl = optStr(v, 'avatarUrl', 0, DEFAULT_LIMITS.maxUrlChars);
  if (avatarUrl !== undefined) out.avatarUrl = avatarUrl;
  if (v.muted !== undefined) {
    if (typeof v.muted !== 'boolean') throw bad('muted must be a boolean');
    out.muted = v.muted;
  }
  return out;
}

export function validateUserIds(v: unknown): { userIds: string[] } {
  if (!isObject(v)) throw bad('body must be a JSON object');
  const userIds = idList(v, 'userIds', MAX_IDS_PER_REQUEST);
  if (userIds.length === 0) throw bad('userIds must not be empty');
  return { userIds };
}

export function validateMemberPatch(v: unknown): { role?: 'admin' | 'member'; mutedUntil?: number } {
  if (!isObject(v)) throw bad('body must be a JSON object');
  const out: { role?: 'admin' | 'member'; mutedUntil?: number } = {};
  if (v.role !== undefined) {
    if (v.role !== 'admin' && v.role !== 'member') throw bad('role must be "admin" or "member"');
    out.role = v.role;
  }
  if (v.mutedUntil !== undefined) out.mutedUntil = int(v, 'mutedUntil', 0, Number.MAX_SAFE_INTEGER);
  if (out.role === undefined && out.mutedUntil === undefined) throw bad('body must set role or mutedUntil');
  return out;
}

export function validateTransfer(v: unknown): { userId: string } {
  if (!isObject(v)) throw bad('body must be a JSON object');
  return { userId: idField(v, 'userId') };
}
