/**
 * Files on their way to becoming messages: each is a row with its upload progress and a cancel
 * (the `UploadTask`'s `abort()`); a video's cover (`thumbTempFilePath`) is uploaded with it.
 * A failed upload stays as a failed row (tap to retry); a cancelled one disappears.
 */
import { newClientMsgId } from '@miniim/sdk/wx';
import { type ImSession, UploadCancelled, type UploadHandle } from '../../lib/session.js';
import type { LocalUpload, PickedFile } from './chat-items.js';
import { localBody, sentBody } from './chat-media.js';

/** What came of an upload. */
export type UploadOutcome = { kind: 'done'; up: LocalUpload; body: Record<string, unknown> } | { kind: 'cancelled' } | { kind: 'failed'; error: unknown };

export class UploadQueue {
  /** Rows shown after the conversation's messages. */
  rows: LocalUpload[] = [];
  private readonly handles = new Map<string, UploadHandle[]>();

  constructor(
    private readonly session: ImSession,
    /** Something changed that the view shows (progress, status). */
    private readonly changed: () => void,
  ) {}

  /** A new row for a picked file (its id is the clientMsgId the message will use). */
  add(conv: string, from: string, file: PickedFile): LocalUpload {
    const up: LocalUpload = {
      id: newClientMsgId(),
      conv,
      seq: 0,
      from,
      kind: file.kind,
      body: localBody(file),
      ts: Date.now(),
      status: 'sending',
      progress: 0,
      file,
    };
    this.rows.push(up);
    return up;
  }

  /** Uploads the row's file (and a video's cover); resolves with the message body to send. */
  async run(up: LocalUpload): Promise<UploadOutcome> {
    up.status = 'sending';
    up.progress = 0;
    const main = this.session.startUpload(up.file.path, up.file.kind, (p) => {
      // Keep a little room: 100 % is shown when the message itself is sent.
      const shown = Math.min(99, p);
      if (shown !== up.progress) {
        up.progress = shown;
        this.changed();
      }
    });
    const cover = up.file.kind === 'video' && up.file.thumb ? this.session.startUpload(up.file.thumb, 'image') : undefined;
    this.handles.set(up.id, cover ? [main, cover] : [main]);
    try {
      const [res, coverRes] = await Promise.all([main.done, cover ? cover.done.catch(() => undefined) : undefined]);
      return { kind: 'done', up, body: sentBody(up.file, res, coverRes?.url) };
    } catch (error) {
      if (error instanceof UploadCancelled) return { kind: 'cancelled' };
      up.status = 'failed';
      return { kind: 'failed', error };
    } finally {
      this.handles.delete(up.id);
    }
  }

  /** Removes a row (sent, or cancelled). */
  remove(id: string): void {
    this.rows = this.rows.filter((u) => u.id !== id);
  }

  /** The bubble's "取消": aborts the upload and drops the row. False when there is nothing to cancel. */
  cancel(id: string): boolean {
    const handles = this.handles.get(id);
    const row = this.rows.find((u) => u.id === id);
    if (!row) return false;
    for (const h of handles ?? []) h.abort();
    this.remove(id);
    return true;
  }
}
