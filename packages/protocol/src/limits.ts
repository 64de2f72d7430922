/** Default limits of the v1 contract; the server announces the ones in force in `hello.limits`. */
export const DEFAULT_LIMITS = {
  maxFrameBytes: 64 * 1024,
  maxTextChars: 5000,
  maxCustomBytes: 8 * 1024,
  /** Deepest nesting of a `custom` body (checked before it is serialised). */
  maxCustomDepth: 32,
  historyMaxLimit: 100,
  historyDefaultLimit: 30,
  recallWindowMs: 120_000,
  presenceMaxUsers: 500,
  maxRidChars: 64,
  maxClientMsgIdChars: 64,
  maxUrlChars: 2048,
  maxNicknameChars: 64,
  maxMentions: 100,
  /** Ids per batch profile lookup (`GET /api/users?ids=`, extension). */
  userLookupMaxIds: 100,
} as const;
