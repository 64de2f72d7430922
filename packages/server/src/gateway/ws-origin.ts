/** The WebSocket Origin allow-list (MINIIM_ALLOWED_ORIGINS). */
import type { IncomingMessage } from 'node:http';

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * The WebSocket Origin check. No Origin (mini-program, native and server clients) is
 * allowed; a browser page is allowed from this server's own origin and the configured
 * ones (`*` allows any).
 */
export function wsOriginAllowed(allowed: readonly string[], req: IncomingMessage): boolean {
  const o = req.headers.origin;
  if (o === undefined || allowed.includes('*')) return true;
  let host: string;
  try {
    host = new URL(o).host;
  } catch {
    return false;
  }
  if (host === req.headers.host) return true;
  return allowed.some((a) => a === o || originOf(a) === o);
}
