import { createHmac, timingSafeEqual } from 'node:crypto';
import { ImError } from '@miniim/protocol';
import type { MediaConfig } from './media-config.js';
import { isMediaKey } from './media-keys.js';
import type { MediaKind } from './media-types.js';

/** What checkMediaUrl found out about an accepted URL. */
export interface MediaUrlCheck {
  /** The URL to store: our own URLs without any signature or other query. */
  canonical: string;
  /** Blob key when the URL is one this server issued; undefined for allow-listed hosts. */
  key?: string;
}

const MAX_URL_LENGTH = 2048;
/** The `exp` of a link that does not expire (9999-12-31). */
const NEVER_EXPIRES = 253_402_300_799;

function trimSlash(s: string): string {
  return s.replace(/\/+$/, '');
}

/** `entry` is a host name, `name:port`, or `*.suffix` (any subdomain of suffix). */
function hostAllowed(url: URL, allowHosts: string[]): boolean {
  const name = url.hostname.toLowerCase();
  const withPort = url.host.toLowerCase();
  return allowHosts.some((entry) => {
    const e = entry.toLowerCase();
    if (e.startsWith('*.')) return name.endsWith(e.slice(1)) && name.length > e.length - 1;
    return name === e || withPort === e;
  });
}

/**
 * Which media URLs messages may carry, and how read links are signed.
 * One instance per server, shared by the media routes and the message path:
 * call `checkMediaUrl` / `checkMediaBody` before storing a message and
 * `signForRead` / `signMediaBody` when handing messages out.
 */
export class MediaUrlPolicy {
  private readonly base: URL | undefined;
  private readonly s3Base: URL | undefined;
  private readonly now: () => number;

  constructor(
    private readonly config: Pick<MediaConfig, 'publicBaseUrl' | 'store' | 'signedUrls' | 'allowHosts'>,
    options: { now?: () => number } = {},
  ) {
    this.base = config.publicBaseUrl ? new URL(`${trimSlash(config.publicBaseUrl)}/`) : undefined;
    const s3Public = config.store.type === 's3' ? config.store.publicBaseUrl : undefined;
    this.s3Base = s3Public ? new URL(`${trimSlash(s3Public)}/`) : undefined;
    this.now = options.now ?? Date.now;
    if (config.signedUrls && config.signedUrls.secret.length < 16) {
      throw new Error('media.signedUrls.secret must be at least 16 characters');
    }
  }

  /** Whether read links are signed and expire. */
  get signing(): boolean {
    return this.config.signedUrls !== undefined;
  }

  /**
   * The URL handed out for a newly stored blob: `<publicBaseUrl>/media/<key>` (signed when
   * signed URLs are on), or `<s3 publicBaseUrl>/<key>` for an S3 store with a public base.
   * `requestOrigin` (e.g. `https://host:port`) is used when publicBaseUrl is not configured.
   */
  issueUrl(key: string, requestOrigin?: string): string {
    if (this.s3Base) return new URL(key, this.s3Base).href;
    const url = this.base ? new URL(`media/${key}`, this.base).href : `${requestOrigin ?? ''}/media/${key}`;
    return this.signForRead(url);
  }

  /**
   * Throws ImError('bad_request', '<field> ...') unless `url` was issued by this server
   * (POST /api/media) or is on an allow-listed host. Signed URLs pass even when expired
   * (the message stores the canonical form and is re-signed on read).
   */
  checkMediaUrl(url: unknown, field = 'body.url'): MediaUrlCheck {
    if (typeof url !== 'string' || url.length === 0) throw new ImError('bad_request', `${field} is required`);
    if (url.length > MAX_URL_LENGTH) throw new ImError('bad_request', `${field} is too long`);
    const ours = this.ownKey(url);
    if (ours) return ours;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ImError('bad_request', `${field} is not a URL issued by POST /api/media`);
    }
    const httpish = parsed.protocol === 'https:' || parsed.protocol === 'http:';
    if (httpish && !parsed.username && !parsed.password && hostAllowed(parsed, this.config.allowHosts)) {
      return { canonical: parsed.href };
    }
    throw new ImError('bad_request', `${field} must be a URL issued by POST /api/media or on an allowed host`);
  }

  /** The blob key of one of our URLs, or undefined (foreign, malformed). */
  keyFromUrl(url: string): string | undefined {
    return this.ownKey(url)?.key;
  }

  /**
   * `url` with a fresh `exp`/`sig` when signed URLs are on and the URL is ours; other
   * URLs come back unchanged (never throws, so it is safe on the read path).
   * Expiry is rounded up to a tenth of the TTL so a link stays the same for a while
   * and clients can cache it.
   */
  signForRead(url: string): string {
    const signed = this.config.signedUrls;
    if (!signed) return url;
    const step = Math.max(1, Math.floor(signed.ttlSec / 10));
    return this.signUntil(url, Math.ceil((Math.floor(this.now() / 1000) + signed.ttlSec) / step) * step);
  }

  /**
   * `url` with a signature that does not expire, for links stored where they are not re-signed
   * on read: avatars of users and groups, which every client that sees them may show anyway.
   * Other URLs, and every URL when signing is off, come back unchanged.
   */
  permanentLink(url: string): string {
    return this.config.signedUrls ? this.signUntil(url, NEVER_EXPIRES) : url;
  }

  private signUntil(url: string, exp: number): string {
    const own = this.ownKey(url);
    if (!own?.key || (this.s3Base && own.canonical.startsWith(this.s3Base.href))) return url;
    // Without a public base the canonical form is a bare path: keep the origin the URL came with.
    const bare = own.canonical.startsWith('/') && !url.startsWith('/') ? url.split(/[?#]/)[0] : own.canonical;
    return `${bare}?exp=${exp}&sig=${this.signature(own.key, exp)}`;
  }

  /**
   * Checks the `exp`/`sig` query of a `GET /media/:key` when signed URLs are on; throws
   * ImError('forbidden') for a missing, wrong or expired signature.
   */
  verifyRead(key: string, query: { exp?: unknown; sig?: unknown }): void {
    if (!this.config.signedUrls) return;
    const { exp, sig } = query;
    if (typeof exp !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(exp)) {
      throw new ImError('forbidden', 'media link is not signed');
    }
    const expected = Buffer.from(this.signature(key, Number(exp)));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ImError('forbidden', 'media link signature is invalid');
    }
    if (Number(exp) * 1000 <= this.now()) throw new ImError('forbidden', 'media link has expired');
  }

  /** Seconds until a signed link expires (for Cache-Control); undefined when unsigned. */
  secondsLeft(query: { exp?: unknown }): number | undefined {
    if (!this.config.signedUrls || typeof query.exp !== 'string') return undefined;
    return Math.max(0, Number(query.exp) - Math.floor(this.now() / 1000));
  }

  /**
   * Validates the media part of a message body of kind image/video/audio/file and returns a
   * copy with canonical URLs: `url` (and a video's `cover`) must pass checkMediaUrl; `size`,
   * `width`, `height` must be non-negative integers and `duration` a non-negative number.
   * Other fields are kept as they are (the protocol validator checks them).
   */
  checkMediaBody(kind: MediaKind, body: unknown): Record<string, unknown> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ImError('bad_request', 'body must be an object');
    }
    const out: Record<string, unknown> = { ...(body as Record<string, unknown>) };
    out.url = this.checkMediaUrl(out.url, 'body.url').canonical;
    if (kind === 'video' && out.cover !== undefined) out.cover = this.checkMediaUrl(out.cover, 'body.cover').canonical;
    for (const field of ['size', 'width', 'height'] as const) {
      const v = out[field];
      if (v !== undefined && !(Number.isSafeInteger(v) && (v as number) >= 0)) {
        throw new ImError('bad_request', `body.${field} must be a non-negative integer`);
      }
    }
    const d = out.duration;
    if (d !== undefined && !(typeof d === 'number' && Number.isFinite(d) && d >= 0)) {
      throw new ImError('bad_request', 'body.duration must be a non-negative number');
    }
    return out;
  }

  /** A copy of a stored media body with `url` (and `cover`) re-signed for reading. */
  signMediaBody<T extends Record<string, unknown>>(body: T): T {
    if (!this.config.signedUrls) return body;
    const out: Record<string, unknown> = { ...body };
    if (typeof out.url === 'string') out.url = this.signForRead(out.url);
    if (typeof out.cover === 'string') out.cover = this.signForRead(out.cover);
    return out as T;
  }

  private signature(key: string, exp: number): string {
    const secret = this.config.signedUrls?.secret ?? '';
    return createHmac('sha256', secret).update(`${key}.${exp}`).digest('base64url').slice(0, 22);
  }

  /** Canonical form and key of one of our URLs, or undefined. */
  private ownKey(url: string): MediaUrlCheck | undefined {
    let parsed: URL;
    try {
      // A path-only URL is resolved against a dummy origin so it can be parsed.
      parsed = url.startsWith('/') && !url.startsWith('//') ? new URL(url, 'http://relative.invalid') : new URL(url);
    } catch {
      return undefined;
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
    if (parsed.username || parsed.password) return undefined;
    const relative = parsed.host === 'relative.invalid';
    for (const [base, route] of [
      [this.base, 'media/'],
      [this.s3Base, ''],
    ] as const) {
      if (!base || relative || parsed.origin !== base.origin) continue;
      const prefix = base.pathname + route;
      if (!parsed.pathname.startsWith(prefix)) continue;
      const key = parsed.pathname.slice(prefix.length);
      if (isMediaKey(key)) return { canonical: new URL(`${route}${key}`, base).href, key };
    }
    if (!this.base) {
      // Without a configured public base URL our own host is unknown: keep only the path, so the
      // stored message points at this server whatever host the client wrote (clients resolve it).
      const m = /^\/media\/([^/]+)$/.exec(parsed.pathname);
      if (m && isMediaKey(m[1])) return { canonical: `/media/${m[1]}`, key: m[1] };
    }
    return undefined;
  }
}
