/**
 * Media uploads with a real progress bar: `POST /api/media` over XMLHttpRequest (fetch has
 * no upload progress), shown as a bubble of its own until the message is sent.
 */
import type { MediaUploadResponse } from '@miniim/sdk/web';

/** One upload in flight, as the chat view draws it. */
export interface Upload {
  id: string;
  conv: string;
  kind: 'image' | 'video' | 'file';
  name: string;
  loaded: number;
  total: number;
  /** Local preview (object URL) for images. */
  preview?: string;
  abort: () => void;
}

export class UploadError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Uploads a file; `onProgress(loaded, total)` on every progress event. Resolves with the server's answer. */
export function uploadWithProgress(
  baseUrl: string,
  token: string,
  file: File,
  kind: string,
  onProgress: (loaded: number, total: number) => void,
): { done: Promise<MediaUploadResponse>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<MediaUploadResponse>((resolve, reject) => {
    xhr.open('POST', `${baseUrl}/api/media`);
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response as MediaUploadResponse);
      else {
        const err = (xhr.response as { error?: { code?: string; message?: string } } | null)?.error;
        reject(
          new UploadError(
            err?.code ?? (xhr.status === 401 ? 'unauthorized' : xhr.status >= 500 ? 'unavailable' : 'bad_request'),
            err?.message ?? `HTTP ${xhr.status}`,
          ),
        );
      }
    };
    xhr.onerror = () => reject(new TypeError('network error'));
    xhr.onabort = () => reject(new UploadError('aborted', 'cancelled'));
    const form = new FormData();
    form.append('kind', kind);
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

/** "1.2 MB" style sizes. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** "0:07" / "1:05" from milliseconds. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
