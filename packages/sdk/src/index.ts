/**
 * `@miniim/sdk` core: platform-free. Use `@miniim/sdk/web` (browsers, Node) or
 * `@miniim/sdk/wx` (WeChat mini-programs) to get a client wired to a platform.
 */

export type {
  AuthResponse,
  Conv,
  Group,
  GroupMember,
  MediaUploadResponse,
  MessageKind,
  Msg,
  User,
} from '@miniim/protocol';
export {
  CloseCodes,
  directConvId,
  ImError,
  messagePreview,
  type NameOf,
  parseConvId,
  previewText,
  recalledText,
  systemText,
} from '@miniim/protocol';
export {
  type AuthRefreshed,
  type AuthToken,
  type GetToken,
  type RefreshOutcome,
  type TokenContext,
  TokenKeeper,
} from './auth/token-keeper.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { type ClientEvents, type ClientOptions, type EnvironmentTarget, ImClient, type SendOptions } from './client.js';
export { type CloseVerdict, classifyClose, kickEndsSession, type SessionEnded, type SessionEndReason } from './close-policy.js';
export { Connection, type ConnectionOptions } from './connection.js';
export { Emitter, type Listener } from './emitter.js';
export {
  ApiClient,
  devLogin,
  type HttpAdapter,
  type HttpRequest,
  type HttpResponse,
  toImError,
  type UploadRequest,
  type UploadSource,
} from './http.js';
export { newClientMsgId } from './ids.js';
export { DEFAULT_HEARTBEAT, type HeartbeatOptions, Liveness } from './liveness.js';
export { Outbox, type OutboxItem } from './outbox.js';
export {
  memoryPersistence,
  type PersistenceAdapter,
  type StorageLike,
  webStoragePersistence,
} from './persistence.js';
export { type ProfileEvents, type ProfileSource, ProfileStore } from './profiles.js';
export {
  type ConnectionState,
  type ConnectReason,
  type DisconnectReason,
  type StateChange,
  type StateReason,
  transition,
} from './state.js';
export {
  type ClientMessage,
  type Conversation,
  ConversationStore,
  type MessageStatus,
  type StoreSnapshot,
} from './store.js';
export { Sync } from './sync.js';
export { formatTime, timeSeparators } from './time-separators.js';
export type { SocketHandlers, Transport, TransportSocket } from './transport/transport.js';
