/** Server-generated identifiers. */
import { randomBytes } from 'node:crypto';

let counter = 0;
const nodeTag = randomBytes(3).toString('hex');

/** Roughly time-ordered, unique across nodes: base36 ms + node tag + counter. */
export function newMessageId(now = Date.now()): string {
  counter = (counter + 1) % 1_679_616;
  return `${now.toString(36)}${nodeTag}${counter.toString(36).padStart(4, '0')}`;
}

export function newSessionId(): string {
  return randomBytes(12).toString('base64url');
}
