/** Callbacks a transport reports socket events to. */
export interface SocketHandlers {
  onOpen(): void;
  onMessage(data: string): void;
  /** The socket is gone. `code` is the WebSocket close code (1006 when unknown). */
  onClose(code: number, reason: string): void;
  /** A transport error; a close may or may not follow (mini-program sockets sometimes stay silent). */
  onError(message: string): void;
}

/** One open (or opening) socket. */
export interface TransportSocket {
  send(data: string): void;
  /** Closes the socket; the transport must not call handlers after this returns. */
  close(code?: number, reason?: string): void;
}

/**
 * A platform socket factory: the mini-program `SocketTask`, or a standard
 * `WebSocket` (browsers, Node `ws`). The core never touches platform globals.
 */
export interface Transport {
  readonly name: string;
  /** Opens a socket to `url`, authenticating with `token` the way the platform allows. */
  open(url: string, token: string, handlers: SocketHandlers): TransportSocket;
}
