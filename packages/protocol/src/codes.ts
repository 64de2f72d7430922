/** Error codes of the v1 contract (protocol-v1.md section 4). */
export const ErrorCodes = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'too_large',
  'unsupported_media',
  'content_rejected',
  'recall_window_passed',
  'rate_limited',
  'internal',
  'unavailable',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

/** HTTP status for each error code. */
export const HttpStatus: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  content_rejected: 422,
  recall_window_passed: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

/** WebSocket close codes of the v1 contract. */
export const CloseCodes = {
  normal: 1000,
  goingAway: 1001,
  invalidFrame: 1007,
  tooBig: 1009,
  /** Service restart: graceful shutdown or deploy; the client reconnects and keeps its login. */
  serviceRestart: 1012,
  /** Try again later: overloaded or slow consumer; the client reconnects and keeps its login. */
  tryAgainLater: 1013,
  unauthorized: 4401,
  forbidden: 4403,
  heartbeatTimeout: 4408,
  replaced: 4409,
  flood: 4429,
} as const;

export type CloseCode = (typeof CloseCodes)[keyof typeof CloseCodes];

/** Body of an HTTP error answer and the payload of a WS `error` frame. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
}

/**
 * The one error type thrown across the server and SDK; mapped once to an HTTP
 * status (HttpStatus) or a WS `error` frame.
 */
export class ImError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterMs?: number;

  constructor(code: ErrorCode, message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'ImError';
    this.code = code;
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
  }

  get status(): number {
    return HttpStatus[this.code];
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.retryAfterMs !== undefined) body.retryAfterMs = this.retryAfterMs;
    return body;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ErrorCodes as readonly string[]).includes(value);
}
