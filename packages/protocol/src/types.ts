/** Types of the v1 wire contract: objects, client frames and server frames. */
import type { ErrorCode } from './codes.js';

export interface User {
  id: string;
  nickname: string;
  avatarUrl: string;
}

export type GroupRole = 'owner' | 'admin' | 'member';

export interface Group {
  id: string;
  name: string;
  avatarUrl: string;
  owner: string;
  admins: string[];
  memberCount: number;
  createdAt: number;
  muted?: boolean;
}

export interface GroupMember {
  userId: string;
  role: GroupRole;
  joinedAt: number;
  mutedUntil?: number;
  /** Extension: the member's profile, so a member list needs no lookups ('' when unset). */
  nickname?: string;
  avatarUrl?: string;
}

export type MessageKind = 'text' | 'image' | 'video' | 'audio' | 'file' | 'custom' | 'system';
/** Kinds a client may send (system is written by the server only). */
export type ClientMessageKind = Exclude<MessageKind, 'system'>;

export interface TextBody {
  text: string;
  mentions?: string[];
  mentionAll?: boolean;
}
export interface ImageBody {
  url: string;
  width?: number;
  height?: number;
  size?: number;
}
export interface VideoBody {
  url: string;
  duration?: number;
  cover?: string;
  size?: number;
}
export interface AudioBody {
  url: string;
  duration?: number;
  size?: number;
}
export interface FileBody {
  url: string;
  name: string;
  size?: number;
}
export interface SystemBody {
  event: string;
  [key: string]: unknown;
}
export type MessageBody = TextBody | ImageBody | VideoBody | AudioBody | FileBody | SystemBody | Record<string, unknown>;

export interface Recalled {
  by: string;
  ts: number;
}

export interface Msg {
  id: string;
  conv: string;
  seq: number;
  from: string;
  kind: MessageKind;
  body: MessageBody;
  ts: number;
  clientMsgId?: string;
  recalled?: Recalled;
}

export interface Conv {
  conv: string;
  kind: 'direct' | 'group';
  peer?: User;
  group?: Group;
  lastMessage?: Msg;
  lastSeq: number;
  readSeq: number;
  unread: number;
  updatedAt: number;
  /** Extension: an unread message mentions this user (or everyone). */
  mentioned?: boolean;
}

export interface Limits {
  maxFrameBytes: number;
  maxTextChars: number;
  maxCustomBytes: number;
  historyMaxLimit: number;
  recallWindowMs: number;
  presenceMaxUsers: number;
}

// ---- client → server ----

export interface SendFrame {
  op: 'send';
  rid?: string;
  to: string;
  clientMsgId: string;
  kind: ClientMessageKind;
  body: MessageBody;
}
export interface ReadFrame {
  op: 'read';
  rid?: string;
  conv: string;
  seq: number;
}
export interface HistoryFrame {
  op: 'history';
  rid?: string;
  conv: string;
  before?: number;
  after?: number;
  limit?: number;
}
export interface ConvsFrame {
  op: 'convs';
  rid?: string;
  limit?: number;
  cursor?: string;
}
export interface RecallFrame {
  op: 'recall';
  rid?: string;
  conv: string;
  seq: number;
}
export interface TypingFrame {
  op: 'typing';
  to: string;
}
export interface PresenceFrame {
  op: 'presence';
  rid?: string;
  users: string[];
  watch?: boolean;
}
export interface PingFrame {
  op: 'ping';
  rid?: string;
}

export type ClientFrame = SendFrame | ReadFrame | HistoryFrame | ConvsFrame | RecallFrame | TypingFrame | PresenceFrame | PingFrame;
export type ClientOp = ClientFrame['op'];

// ---- server → client ----

export interface HelloFrame {
  op: 'hello';
  user: User;
  sessionId: string;
  serverTime: number;
  heartbeatMs: number;
  limits: Limits;
}
export interface MsgFrame {
  op: 'msg';
  msg: Msg;
}
export interface ReadEventFrame {
  op: 'read';
  conv: string;
  user: string;
  seq: number;
}
export interface RecalledFrame {
  op: 'recalled';
  conv: string;
  seq: number;
  by: string;
}
export interface TypingEventFrame {
  op: 'typing';
  conv: string;
  user: string;
}
export interface PresenceReplyFrame {
  op: 'presence';
  rid?: string;
  online: Record<string, boolean>;
}
export interface PresenceEventFrame {
  op: 'presence';
  user: string;
  online: boolean;
}
export interface KickedFrame {
  op: 'kicked';
  reason: string;
}
/**
 * Extension (docs/protocol.md): pushes may have been missed (the cluster bus was interrupted);
 * the client fetches its conversations and fills gaps as after a reconnect.
 */
export interface ResyncFrame {
  op: 'resync';
  reason: string;
}
export interface ErrorFrame {
  op: 'error';
  rid?: string;
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
}
export interface SendAckFrame {
  op: 'ack';
  rid?: string;
  msg: Msg;
}
export interface ReadAckFrame {
  op: 'ack';
  rid?: string;
  conv: string;
  readSeq: number;
  unread: number;
}
export interface RecallAckFrame {
  op: 'ack';
  rid?: string;
  conv: string;
  seq: number;
}
export interface HistoryReplyFrame {
  op: 'history';
  rid?: string;
  conv: string;
  messages: Msg[];
  hasMore: boolean;
}
export interface ConvsReplyFrame {
  op: 'convs';
  rid?: string;
  conversations: Conv[];
  nextCursor?: string;
}
export interface PongFrame {
  op: 'pong';
  rid?: string;
  ts: number;
}

export type ServerFrame =
  | HelloFrame
  | MsgFrame
  | ReadEventFrame
  | RecalledFrame
  | TypingEventFrame
  | PresenceReplyFrame
  | PresenceEventFrame
  | ResyncFrame
  | KickedFrame
  | ErrorFrame
  | SendAckFrame
  | ReadAckFrame
  | RecallAckFrame
  | HistoryReplyFrame
  | ConvsReplyFrame
  | PongFrame;

// ---- HTTP ----

export interface AuthResponse {
  token: string;
  expiresAt: number;
  user: User;
}
export interface HttpErrorResponse {
  error: { code: ErrorCode; message: string; retryAfterMs?: number };
}
export interface MediaUploadResponse {
  url: string;
  kind: 'image' | 'video' | 'audio' | 'file';
  mime: string;
  size: number;
  width?: number;
  height?: number;
  duration?: number;
}
