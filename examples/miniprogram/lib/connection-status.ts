/**
 * The connection banner of every page, from the client's state (the SDK follows the phone's
 * network with `wx.onNetworkStatusChange`): "网络不可用" while offline, "正在重新连接…" while it
 * reconnects (a restart or deploy of the server looks like this, never like a logout), "连接中…"
 * on the first connect, nothing when connected.
 */
import type { ConnectionState } from '@miniim/sdk/wx';

/** Banner text for a client state. */
export function bannerText(state: ConnectionState): string {
  switch (state) {
    case 'connected':
      return '';
    case 'offline':
      return '网络不可用';
    case 'reconnecting':
      return '正在重新连接…';
    case 'connecting':
      return '连接中…';
    default:
      return '未连接';
  }
}

type Listener = (text: string) => void;

/** Follows the client state; pages subscribe to the banner text. */
export class ConnectionStatus {
  state: ConnectionState = 'disconnected';
  private listeners: Listener[] = [];

  /** The banner now. */
  get text(): string {
    return bannerText(this.state);
  }

  /** Calls `l` with the banner text now and on every change; returns the unsubscribe. */
  watch(l: Listener): () => void {
    this.listeners.push(l);
    l(this.text);
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l);
    };
  }

  setState(state: ConnectionState): void {
    if (state === this.state) return;
    const before = this.text;
    this.state = state;
    if (this.text === before) return;
    for (const l of [...this.listeners]) l(this.text);
  }
}
