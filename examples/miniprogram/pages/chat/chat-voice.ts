/**
 * Voice input of the chat: the microphone permission asked up front (lib/permissions.ts) and
 * hold-to-talk recording with `wx.getRecorderManager()`.
 */
import { type AppWx, toast } from '../../lib/app-wx.js';
import { ensureMicrophone } from '../../lib/permissions.js';
import type { PickedFile } from './chat-items.js';

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
    private readonly onError: (errMsg: string) => void = () => {},
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
      r.onError((e) => {
        this.recording = false;
        this.onError(e.errMsg);
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

/** Permission + recorder, as the chat page uses them. */
export class VoiceInput {
  private recorder: VoiceRecorder | undefined;

  constructor(
    private readonly wx: AppWx,
    private readonly send: (file: PickedFile) => void,
  ) {}

  /** Asks for the microphone (at once when granted; settings page when refused before). */
  async allow(): Promise<boolean> {
    if ((await ensureMicrophone(this.wx)) === 'granted') return true;
    toast(this.wx, '未获得麦克风权限，无法发送语音');
    return false;
  }

  start(): void {
    this.recorder ??= new VoiceRecorder(
      this.wx,
      this.send,
      () => toast(this.wx, '说话时间太短'),
      () => toast(this.wx, '录音失败，请检查麦克风权限'),
    );
    this.recorder.start();
  }

  end(cancel: boolean): void {
    if (cancel) this.recorder?.cancel();
    else this.recorder?.stop();
  }
}
