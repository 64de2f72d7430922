/**
 * The connection banner of every page: "网络不可用" as soon as the phone says it is offline
 * (`wx.onNetworkStatusChange`; the socket may look alive for seconds more), "正在重新连接…" while
 * the client reconnects (a restart or deploy of the server looks like this, never like a logout),
 * "连接中…" on the first connect, nothing when connected. Reconnecting itself is the SDK's job.
 */
import type { ConnectionState } from '@miniim/sdk/wx';
import type { AppWx } from './app-wx.js';

/** Banner text for the phone's network and the client state. */
export function bannerText(online: boolean, state: ConnectionState): string {
  if (!online) return '网络不可用';
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

/** Follows the network and the client state; pages subscribe to the banner text. */
export class ConnectionStatus {
  online = true;
  state: ConnectionState = 'disconnected';
  private listeners: Listener[] = [];

  constructor(wx: AppWx) {
    if (typeof wx.onNetworkStatusChange === 'function') wx.onNetworkStatusChange((r) => this.update(() => (this.online = r.isConnected)));
    if (typeof wx.getNetworkType === 'function') wx.getNetworkType({ success: (r) => this.update(() => (this.online = r.networkType !== 'none')) });
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

  setState(state: ConnectionState): void {
    this.update(() => (this.state = state));
  }

  private update(change: () => void): void {
    const before = this.text;
    change();
    if (this.text === before) return;
    for (const l of [...this.listeners]) l(this.text);
  }
}
