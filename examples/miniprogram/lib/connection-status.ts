/**
 * The connection banner of every page, from the phone's network (`wx.onNetworkStatusChange`) and
 * the client's state: "网络不可用" while the phone is offline, "正在重新连接…" while the client
 * reconnects (a restart or deploy of the server looks like this, never like a logout),
 * "连接中…" on the first connect, nothing when connected.
 */
import type { ConnectionState } from '@miniim/sdk/wx';
import type { AppWx } from './app-wx.js';

/** Banner text for a network and client state. */
export function bannerText(online: boolean, state: ConnectionState): string {
  if (!online) return '网络不可用';
  if (state === 'connected') return '';
  if (state === 'reconnecting') return '正在重新连接…';
  if (state === 'connecting') return '连接中…';
  return '未连接';
}

type Listener = (text: string) => void;

/** Follows the network and the client state; pages subscribe to the banner text. */
export class ConnectionStatus {
  online = true;
  state: ConnectionState = 'disconnected';
  private listeners: Listener[] = [];
  private onlineListeners: Array<(online: boolean) => void> = [];

  constructor(wx: AppWx) {
    if (typeof wx.onNetworkStatusChange === 'function') wx.onNetworkStatusChange((r) => this.setOnline(r.isConnected));
    if (typeof wx.getNetworkType === 'function') wx.getNetworkType({ success: (r) => this.setOnline(r.networkType !== 'none') });
  }

  /** The banner now. */
  get text(): string {
    return bannerText(this.online, this.state);
  }

  /** Calls `l` with the banner text now and on every change; returns the unsubscribe. */
  watch(l: Listener): () => void {
    this.listeners.push(l);
    l(this.text);
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l);
    };
  }

  /** Calls `l` when the network goes or comes back. */
  onOnline(l: (online: boolean) => void): void {
    this.onlineListeners.push(l);
  }

  setState(state: ConnectionState): void {
    if (state === this.state) return;
    const before = this.text;
    this.state = state;
    if (this.text !== before) this.tell();
  }

  private setOnline(online: boolean): void {
    if (online === this.online) return;
    const before = this.text;
    this.online = online;
    for (const l of [...this.onlineListeners]) l(online);
    if (this.text !== before) this.tell();
  }

  private tell(): void {
    const text = this.text;
    for (const l of [...this.listeners]) l(text);
  }
}
