/** Picking media and files, and hold-to-talk voice recording, for the chat page. */
import { ImError } from '@miniim/sdk/wx';
import type { AppWx } from '../../lib/app-wx.js';
import type { PickedFile } from './chat-items.js';

/** `wx.chooseMedia`: images and videos from the album or the camera (up to 9). */
export function pickMedia(wxApi: AppWx, source: 'album' | 'camera'): Promise<PickedFile[]> {
  return new Promise((resolve) => {
    wxApi.chooseMedia({
      count: source === 'camera' ? 1 : 9,
      mediaType: ['image', 'video'],
      sourceType: [source],
      maxDuration: 60,
      sizeType: ['compressed'],
      success: (res) =>
        resolve(
          res.tempFiles.map((f) => {
            const video = (f.fileType ?? res.type) === 'video';
            const out: PickedFile = { kind: video ? 'video' : 'image', path: f.tempFilePath, size: f.size };
            if (f.width) out.width = f.width;
            if (f.height) out.height = f.height;
            if (video && f.duration) out.duration = Math.round(f.duration * 1000);
            return out;
          }),
        ),
      fail: () => resolve([]), // cancelled
    });
  });
}

/** `wx.chooseMessageFile`: a file from a WeChat chat (the only file source a mini-program has). */
export function pickFile(wxApi: AppWx): Promise<PickedFile[]> {
  if (typeof wxApi.chooseMessageFile !== 'function') return Promise.reject(new ImError('bad_request', '当前环境不支持发送文件'));
  return new Promise((resolve) => {
    wxApi.chooseMessageFile({
      count: 1,
      type: 'file',
      success: (res) => resolve(res.tempFiles.map((f) => ({ kind: 'file' as const, path: f.path, size: f.size, name: f.name }))),
      fail: () => resolve([]),
    });
  });
}

/** Shortest voice message kept (shorter presses are taken as a slip). */
export const MIN_VOICE_MS = 1_000;

/**
 * Hold to talk with `wx.getRecorderManager()`: `start()` on touchstart, `stop()` on touchend,
 * `cancel()` when the finger slides away. `onDone` gets the recording when it is kept.
 */
export class VoiceRecorder {
  private recorder: WechatMiniprogram.RecorderManager | undefined;
  private cancelled = false;
  recording = false;

  constructor(
    private readonly wxApi: AppWx,
    private readonly onDone: (file: PickedFile) => void,
    private readonly onTooShort: () => void = () => {},
  ) {}

  private get rec(): WechatMiniprogram.RecorderManager {
    if (!this.recorder) {
      const r = this.wxApi.getRecorderManager();
      r.onStop((res) => {
        this.recording = false;
        if (this.cancelled) return;
        if (!res.duration || res.duration < MIN_VOICE_MS) {
          this.onTooShort();
          return;
        }
        this.onDone({ kind: 'audio', path: res.tempFilePath, duration: Math.round(res.duration), size: res.fileSize });
      });
      r.onError(() => {
        this.recording = false;
      });
      this.recorder = r;
    }
    return this.recorder;
  }

  start(): void {
    this.cancelled = false;
    this.recording = true;
    this.rec.start({ format: 'mp3', duration: 60_000, sampleRate: 16000, numberOfChannels: 1, encodeBitRate: 48000 });
  }

  stop(): void {
    if (this.recording) this.rec.stop();
  }

  cancel(): void {
    this.cancelled = true;
    if (this.recording) this.rec.stop();
  }
}

/** Body shown while a picked file uploads (its temp path as the URL). */
export function localBody(f: PickedFile): Record<string, unknown> {
  const b: Record<string, unknown> = { url: f.path };
  if (f.width) b.width = f.width;
  if (f.height) b.height = f.height;
  if (f.duration) b.duration = f.duration;
  if (f.size) b.size = f.size;
  if (f.name) b.name = f.name;
  return b;
}

/** Body of the message sent once the upload answered. */
export function sentBody(f: PickedFile, res: { url: string; size?: number; width?: number; height?: number; duration?: number }): Record<string, unknown> {
  const b: Record<string, unknown> = { url: res.url };
  const size = res.size ?? f.size;
  if (size) b.size = size;
  if (f.kind === 'image') {
    const w = res.width ?? f.width;
    const h = res.height ?? f.height;
    if (w) b.width = w;
    if (h) b.height = h;
  }
  if (f.kind === 'video' || f.kind === 'audio') {
    const d = res.duration ?? f.duration;
    if (d) b.duration = d;
  }
  if (f.kind === 'file') b.name = f.name || 'file';
  return b;
}
