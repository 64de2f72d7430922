/**
 * `<input-bar>`: the chat's composer. Owns the text it shows (so sending clears it even when
 * the page's draft did not change), the emoji panel and the "+" panel; the page decides voice
 * mode (the microphone permission is asked there first).
 * Events: `textchange` {value} on every keystroke (the page keeps it as the draft), `send` {text},
 * `modechange` {voice} (the keyboard/microphone switch was tapped), `voicestart`, `voiceend`
 * {cancel} (finger slid up more than 60px = cancel), `pick` {source}, `mention` (typed "@" in a group).
 */
import { EMOJI, ICONS } from '../../lib/icons.js';

const CANCEL_DISTANCE_PX = 60;

Component({
  properties: {
    /** The saved draft: shown when the bar appears (or when the page resets it). */
    value: { type: String, value: '' },
    disabled: { type: Boolean, value: false },
    /** Hold-to-talk instead of the keyboard (set by the page once the microphone is allowed). */
    voice: { type: Boolean, value: false },
    /** In a group: typing "@" asks the page for the member picker. */
    group: { type: Boolean, value: false },
  },
  data: { text: '', panel: '', recording: false, cancelZone: false, startY: 0, icons: ICONS, emoji: EMOJI },
  observers: {
    value: function (this: WechatMiniprogram.Component.TrivialInstance, value: string) {
      this.setData({ text: value });
    },
  },
  methods: {
    onInput(e: WechatMiniprogram.Input) {
      const value = e.detail.value;
      const before = String(this.data.text ?? '');
      this.setData({ text: value });
      this.triggerEvent('textchange', { value });
      if (this.data.group && value.length === before.length + 1 && value.endsWith('@')) this.triggerEvent('mention', {});
    },
    onSend() {
      const text = String(this.data.text ?? '');
      if (!text.trim() || this.data.disabled) return;
      this.setData({ text: '', panel: '' });
      this.triggerEvent('send', { text });
      this.triggerEvent('textchange', { value: '' });
    },
    toggleMode() {
      this.setData({ panel: '' });
      this.triggerEvent('modechange', { voice: !this.data.voice });
    },
    togglePanel() {
      this.setData({ panel: this.data.panel === 'more' ? '' : 'more' });
    },
    toggleEmoji() {
      if (this.data.voice) this.triggerEvent('modechange', { voice: false });
      this.setData({ panel: this.data.panel === 'emoji' ? '' : 'emoji' });
    },
    onEmoji(e: WechatMiniprogram.BaseEvent) {
      const value = String(this.data.text ?? '') + String(e.currentTarget.dataset.emoji ?? '');
      this.setData({ text: value });
      this.triggerEvent('textchange', { value });
    },
    onBackspace() {
      const chars = Array.from(String(this.data.text ?? ''));
      chars.pop();
      const value = chars.join('');
      this.setData({ text: value });
      this.triggerEvent('textchange', { value });
    },
    onPick(e: WechatMiniprogram.BaseEvent) {
      this.setData({ panel: '' });
      this.triggerEvent('pick', { source: e.currentTarget.dataset.source });
    },
    onTalkStart(e: WechatMiniprogram.TouchEvent) {
      if (this.data.disabled) return;
      const y = e.touches?.[0]?.clientY ?? 0;
      this.setData({ recording: true, cancelZone: false, startY: y });
      this.triggerEvent('voicestart', {});
    },
    onTalkMove(e: WechatMiniprogram.TouchEvent) {
      if (!this.data.recording) return;
      const y = e.touches?.[0]?.clientY ?? this.data.startY;
      const cancelZone = this.data.startY - y > CANCEL_DISTANCE_PX;
      if (cancelZone !== this.data.cancelZone) this.setData({ cancelZone });
    },
    onTalkEnd() {
      if (!this.data.recording) return;
      const cancel = this.data.cancelZone;
      this.setData({ recording: false, cancelZone: false });
      this.triggerEvent('voiceend', { cancel });
    },
    onTalkCancel() {
      if (!this.data.recording) return;
      this.setData({ recording: false, cancelZone: false });
      this.triggerEvent('voiceend', { cancel: true });
    },
  },
});
