/** A tiny typed event emitter (socket.io `typed-events` style), no dependencies. */
// biome-ignore lint/suspicious/noExplicitAny: event maps are keyed listener signatures
export type EventMap = Record<string, any>;

export type Listener<T> = (payload: T) => void;

/** Typed `on` / `off` / `once` / `emit`; a throwing listener never breaks the others. */
export class Emitter<E extends EventMap> {
  private listeners = new Map<keyof E, Set<Listener<never>>>();

  /** Subscribes; returns a function that unsubscribes. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const off = this.on(event, (payload) => {
      off();
      listener(payload);
    });
    return off;
  }

  off<K extends keyof E>(event: K, listener?: Listener<E[K]>): void {
    if (!listener) this.listeners.delete(event);
    else this.listeners.get(event)?.delete(listener as Listener<never>);
  }

  protected emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<E[K]>)(payload);
      } catch (err) {
        // A broken app listener must not break the SDK's own bookkeeping.
        if (typeof console !== 'undefined') console.error('[miniim] listener error', err);
      }
    }
  }
}
