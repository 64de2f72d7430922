/**
 * One shared InnerAudioContext for voice messages: a tap stops whatever played before (a second
 * tap on the same message stops it), plays through the mute switch (`wx.setInnerAudioOption({
 * obeyMuteSwitch: false })`, since the context's own property no longer works from base library
 * 2.3.0), and reports which message plays so its bubble can animate.
 */
import type { AppWx } from './app-wx.js';

export class VoicePlayer {
  /** Key of the message playing ('' for none). */
  playingKey = '';
  private ctx: WechatMiniprogram.InnerAudioContext | undefined;
  /** A `stop()` we asked for while switching clips: its onStop is not the end of the new one. */
  private switching = 0;

  constructor(
    private readonly wx: AppWx,
    private readonly onChange: (playingKey: string) => void,
    private readonly onError: () => void = () => {},
  ) {}

  private context(): WechatMiniprogram.InnerAudioContext {
    if (this.ctx) return this.ctx;
    this.wx.setInnerAudioOption({ obeyMuteSwitch: false });
    const ctx = this.wx.createInnerAudioContext();
    ctx.onEnded(() => this.set(''));
    ctx.onStop(() => {
      if (this.switching > 0) this.switching--;
      else this.set('');
    });
    ctx.onError(() => {
      this.set('');
      this.onError();
    });
    this.ctx = ctx;
    return ctx;
  }

  private set(key: string): void {
    if (key === this.playingKey) return;
    this.playingKey = key;
    this.onChange(key);
  }

  /** Tap on a voice bubble: play it (stopping the previous one), or stop it when it is the one playing. */
  toggle(key: string, url: string): void {
    const ctx = this.context();
    if (this.playingKey === key) {
      ctx.stop();
      this.set('');
      return;
    }
    if (this.playingKey) {
      this.switching++;
      ctx.stop();
    }
    ctx.src = url;
    ctx.play();
    this.set(key);
  }

  /** The page went away: stop and free the context. */
  destroy(): void {
    this.ctx?.stop();
    this.ctx?.destroy();
    this.ctx = undefined;
    this.playingKey = '';
  }
}
