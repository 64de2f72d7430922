/**
 * Committed messages, for features that act after a message is stored and fanned
 * out (WeChat offline notifications and media checks). The feed is built before
 * MessageService (which emits into it) and features subscribe when they are
 * constructed — after MessageService, whose content removal they need — so the
 * wiring stays in dependency order without patching a hook in afterwards.
 */
import type { Msg } from '@miniim/protocol';
import type { Logger } from '../logger.js';

/** Runs after a new (non-duplicate, non-system) message was committed; must not block. */
export type CommitListener = (msg: Msg, members: readonly string[]) => void;

export class CommitFeed {
  private readonly listeners: CommitListener[] = [];

  constructor(private readonly logger: Logger) {}

  /** Adds a listener; returns a function that removes it. */
  subscribe(listener: CommitListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Calls every listener; one that throws is logged and the others still run. */
  readonly emit = (msg: Msg, members: readonly string[]): void => {
    for (const listener of this.listeners) {
      try {
        listener(msg, members);
      } catch (err) {
        this.logger.error({ err, conv: msg.conv }, 'commit listener failed');
      }
    }
  };
}
