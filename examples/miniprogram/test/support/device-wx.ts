/**
 * The device side of the fake `wx`: the privacy agreement (`__usePrivacyCheck__: true`), scope
 * permissions (`authorize` / `getSetting` / `openSetting`), pickers, the recorder and the
 * InnerAudioContext — each failing the way WeChat does:
 * - a privacy API (album, camera, file picker, recorder, clipboard) called before the user agreed
 *   fires `onNeedPrivacyAuthorization`; without a listener, or on `resolve({event: 'disagree'})`,
 *   it fails with `<api>:fail privacy permission is not authorized` (the text in the API docs).
 *   `resolve({event: 'agree', buttonId})` only counts after that `<button
 *   open-type="agreePrivacyAuthorization">` was tapped (`tapAgreeButton`), as the base library checks;
 * - `authorize({scope: 'scope.record'})` asks once; after a refusal it fails at once
 *   (`authorize:fail auth deny`) until `openSetting` turns the scope on;
 * - `RecorderManager.start()` without the microphone scope fails through `onError`.
 */
import { StrictWx, type StrictWxOptions } from './strict-wx.js';

type Fail = (e: { errMsg: string }) => void;
interface Cbs<T> {
  success?: (r: T) => void;
  fail?: Fail;
  complete?: (r: unknown) => void;
}
type PrivacyResolve = (r: { event: 'agree' | 'disagree' | 'exposureAuthorization'; buttonId?: string }) => void;

/** One fake InnerAudioContext. */
export class FakeAudio {
  src = '';
  paused = true;
  destroyed = false;
  readonly log: string[] = [];
  private ls: Record<string, Array<(r?: unknown) => void>> = {};
  private on(kind: string, l: (r?: unknown) => void) {
    this.ls[kind] = [...(this.ls[kind] ?? []), l];
  }
  fire(kind: string, r?: unknown): void {
    for (const l of this.ls[kind] ?? []) l(r);
  }
  onPlay(l: () => void) {
    this.on('play', l);
  }
  onStop(l: () => void) {
    this.on('stop', l);
  }
  onEnded(l: () => void) {
    this.on('ended', l);
  }
  onError(l: (r?: unknown) => void) {
    this.on('error', l);
  }
  offPlay() {}
  offStop() {}
  offEnded() {}
  offError() {}
  play(): void {
    if (this.destroyed) return;
    this.paused = false;
    this.log.push(`play ${this.src}`);
    queueMicrotask(() => this.fire('play'));
  }
  stop(): void {
    if (this.destroyed) return;
    const was = !this.paused;
    this.paused = true;
    this.log.push('stop');
    if (was) queueMicrotask(() => this.fire('stop'));
  }
  pause(): void {
    this.paused = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** Test control: the clip played to its end. */
  end(): void {
    this.paused = true;
    this.fire('ended');
  }
}

/** A picked media file as `chooseMedia` gives it. */
export interface FakeMediaFile {
  tempFilePath: string;
  size: number;
  fileType: 'image' | 'video';
  width?: number;
  height?: number;
  duration?: number;
  thumbTempFilePath?: string;
}

export class DeviceWx extends StrictWx {
  /** Whether the user agreed to the privacy guide (WeChat remembers it per version). */
  privacyAgreed = false;
  /** Every privacy prompt raised, by the API that raised it. */
  readonly privacyPrompts: string[] = [];
  /** `authSetting` (`scope.record` …): undefined = never asked. */
  readonly authSetting: Record<string, boolean> = {};
  /** What the user answers the next scope prompt. */
  nextAuthorize: 'allow' | 'deny' = 'allow';
  /** What the user turns on in `openSetting`. */
  nextOpenSetting: Record<string, boolean> = {};
  openSettingCalls = 0;
  readonly audios: FakeAudio[] = [];
  audioOption: Record<string, unknown> = {};
  clipboard = '';
  /** Files the next chooseMedia / chooseMessageFile returns (empty: the user cancels). */
  nextMedia: FakeMediaFile[] = [];
  nextFiles: Array<{ path: string; size: number; name: string; type: string }> = [];
  /** What the next recording returns on stop. */
  nextRecording = { tempFilePath: '/tmp/voice.mp3', duration: 3000, fileSize: 4000 };
  readonly recorderLog: string[] = [];
  /** Called with every code `login` hands out (tests register it at the fake WeChat server). */
  onLoginCode: ((code: string) => void) | undefined;
  private privacyListener: ((resolve: PrivacyResolve, info: { referrer: string }) => void) | undefined;
  private tappedButtons = new Set<string>();

  constructor(options: StrictWxOptions = {}) {
    super(options);
  }

  override login(o: Cbs<{ code: string; errMsg: string }>): void {
    super.login({
      success: (r) => {
        this.onLoginCode?.(r.code);
        o.success?.(r);
      },
      fail: o.fail,
    });
  }

  // ---- privacy ----

  onNeedPrivacyAuthorization(l: (resolve: PrivacyResolve, info: { referrer: string }) => void): void {
    this.privacyListener = l;
  }
  getPrivacySetting(o: Cbs<{ needAuthorization: boolean; privacyContractName: string; errMsg: string }>): void {
    const needAuthorization = !this.privacyAgreed;
    queueMicrotask(() => o.success?.({ needAuthorization, privacyContractName: '《MiniIM 隐私保护指引》', errMsg: 'getPrivacySetting:ok' }));
  }
  requirePrivacyAuthorize(o: Cbs<{ errMsg: string }>): void {
    this.guard('requirePrivacyAuthorize', o.fail, () => o.success?.({ errMsg: 'requirePrivacyAuthorize:ok' }));
  }
  openPrivacyContract(o: Cbs<{ errMsg: string }> = {}): void {
    this.privacyPrompts.push('contract');
    queueMicrotask(() => o.success?.({ errMsg: 'openPrivacyContract:ok' }));
  }
  /** Test control: the user taps `<button id="…" open-type="agreePrivacyAuthorization">`. */
  tapAgreeButton(buttonId: string): void {
    this.tappedButtons.add(buttonId);
  }

  /** Runs `go` once the privacy agreement allows `api`, else fails it the documented way. */
  protected guard(api: string, fail: Fail | undefined, go: () => void): void {
    if (this.privacyAgreed) {
      queueMicrotask(go);
      return;
    }
    const refuse = () => {
      const errMsg = `${api}:fail privacy permission is not authorized`;
      this.refused.push(errMsg);
      fail?.({ errMsg });
    };
    this.privacyPrompts.push(api);
    if (!this.privacyListener) {
      queueMicrotask(refuse);
      return;
    }
    let answered = false;
    this.privacyListener(
      (r) => {
        if (answered) return;
        answered = true;
        if (r.event === 'agree' && r.buttonId && this.tappedButtons.has(r.buttonId)) {
          this.privacyAgreed = true;
          go();
        } else if (r.event !== 'exposureAuthorization') refuse();
        else answered = false;
      },
      { referrer: api },
    );
  }

  // ---- scopes ----

  authorize(o: { scope: string } & Cbs<{ errMsg: string }>): void {
    this.guard('authorize', o.fail, () => {
      const current = this.authSetting[o.scope];
      const granted = current ?? this.nextAuthorize === 'allow';
      this.authSetting[o.scope] = granted;
      if (granted) o.success?.({ errMsg: 'authorize:ok' });
      else {
        this.refused.push('authorize:fail auth deny');
        o.fail?.({ errMsg: 'authorize:fail auth deny' });
      }
    });
  }
  getSetting(o: Cbs<{ authSetting: Record<string, boolean>; errMsg: string }>): void {
    const authSetting = { ...this.authSetting };
    queueMicrotask(() => o.success?.({ authSetting, errMsg: 'getSetting:ok' }));
  }
  openSetting(o: Cbs<{ authSetting: Record<string, boolean>; errMsg: string }> = {}): void {
    this.openSettingCalls++;
    Object.assign(this.authSetting, this.nextOpenSetting);
    const authSetting = { ...this.authSetting };
    queueMicrotask(() => o.success?.({ authSetting, errMsg: 'openSetting:ok' }));
  }

  // ---- pickers, clipboard ----

  chooseMedia(o: Cbs<{ tempFiles: FakeMediaFile[]; type: string; errMsg: string }>): void {
    this.guard('chooseMedia', o.fail, () => {
      const files = this.nextMedia;
      this.nextMedia = [];
      if (files.length) o.success?.({ tempFiles: files, type: 'mix', errMsg: 'chooseMedia:ok' });
      else o.fail?.({ errMsg: 'chooseMedia:fail cancel' });
    });
  }
  chooseMessageFile(o: Cbs<{ tempFiles: Array<{ path: string; size: number; name: string; type: string }>; errMsg: string }>): void {
    this.guard('chooseMessageFile', o.fail, () => {
      const files = this.nextFiles;
      this.nextFiles = [];
      if (files.length) o.success?.({ tempFiles: files, errMsg: 'chooseMessageFile:ok' });
      else o.fail?.({ errMsg: 'chooseMessageFile:fail cancel' });
    });
  }
  setClipboardData(o: { data: string } & Cbs<{ errMsg: string }>): void {
    this.guard('setClipboardData', o.fail, () => {
      this.clipboard = o.data;
      o.success?.({ errMsg: 'setClipboardData:ok' });
    });
  }

  // ---- audio ----

  createInnerAudioContext(): FakeAudio {
    const a = new FakeAudio();
    this.audios.push(a);
    return a;
  }
  setInnerAudioOption(o: Record<string, unknown> & Cbs<{ errMsg: string }>): void {
    const { success, fail: _f, complete: _c, ...opts } = o;
    Object.assign(this.audioOption, opts);
    queueMicrotask(() => success?.({ errMsg: 'setInnerAudioOption:ok' }));
  }

  getRecorderManager() {
    const ls: Record<string, Array<(r: unknown) => void>> = {};
    const fire = (k: string, r: unknown) => {
      for (const l of ls[k] ?? []) l(r);
    };
    const on = (k: string) => (l: (r: unknown) => void) => {
      ls[k] = [...(ls[k] ?? []), l];
    };
    let recording = false;
    return {
      onStart: on('start'),
      onStop: on('stop'),
      onError: on('error'),
      onPause: on('pause'),
      onFrameRecorded: on('frame'),
      onInterruptionBegin: on('ib'),
      onInterruptionEnd: on('ie'),
      onResume: on('resume'),
      start: () => {
        this.guard(
          'RecorderManager.start',
          (e) => fire('error', e),
          () => {
            if (this.authSetting['scope.record'] !== true) {
              this.recorderLog.push('refused');
              fire('error', { errMsg: 'operateRecorder:fail auth deny' });
              return;
            }
            recording = true;
            this.recorderLog.push('start');
            fire('start', {});
          },
        );
      },
      stop: () => {
        if (!recording) return;
        recording = false;
        this.recorderLog.push('stop');
        const r = { ...this.nextRecording };
        queueMicrotask(() => fire('stop', r));
      },
      pause: () => {},
      resume: () => {},
    };
  }
}
