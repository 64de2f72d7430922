/** In-process bus for a single node: deliveries are direct calls. */
import type { Bus, BusEvent, BusEventHandler, Delivery, DeliveryHandler, LoadSource, NodeLoad, PresenceHandler } from './bus.js';

export class LocalBus implements Bus {
  readonly kind = 'local';
  private deliveryHandlers: DeliveryHandler[] = [];
  private presenceHandlers: PresenceHandler[] = [];
  private readonly online = new Set<string>();
  private load: LoadSource = () => ({ sockets: 0, users: this.online.size });

  publish(d: Delivery): void {
    for (const h of this.deliveryHandlers) h(d);
  }

  onDelivery(handler: DeliveryHandler): void {
    this.deliveryHandlers.push(handler);
  }

  setLocalOnline(userId: string, online: boolean): void {
    const was = this.online.has(userId);
    if (was === online) return;
    if (online) this.online.add(userId);
    else this.online.delete(userId);
    for (const h of this.presenceHandlers) h(userId, online);
  }

  async isOnline(userIds: readonly string[]): Promise<Map<string, boolean>> {
    const out = new Map<string, boolean>();
    for (const id of userIds) out.set(id, this.online.has(id));
    return out;
  }

  onPresence(handler: PresenceHandler): void {
    this.presenceHandlers.push(handler);
  }

  /** A single node has no other nodes to tell. */
  broadcast(_e: BusEvent): void {}

  onEvent(_handler: BusEventHandler): void {}

  /** In-process delivery is never interrupted. */
  onRecovered(_handler: () => void): void {}

  setLoadSource(read: LoadSource): void {
    this.load = read;
  }

  async nodeLoads(): Promise<NodeLoad[]> {
    return [{ node: 'local', ...this.load(), at: Date.now() }];
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.deliveryHandlers = [];
    this.presenceHandlers = [];
  }
}
