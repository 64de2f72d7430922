/**
 * `<input-bar>`: the chat's composer. Owns the text it shows (so sending clears it even when
 * the page's draft did not change), switches to hold-to-talk, and opens the "+" panel.
 * Events: `textchange` {value} on every keystroke (the page keeps it as the draft), `send` {text},
 * `voicestart`, `voiceend` {cancel} (finger slid up more than 60px = cancel), `pick` {source}.
 */

const CANCEL_DISTANCE_PX = 60;

Component({
  properties: {
    /** The saved draft: shown when the bar appears (or when the page resets it). */
    value: { type: String, value: '' },
    disabled: { type: Boolean, value: false },
  },
  data: { text: '', mode: 'text', panel: false, recording: false, cancelZone: false, startY: 0 },
  observers: {
    value: function (this: WechatMiniprogram.Component.TrivialInstance, value: string) {
      this.setData({ text: value });
    },
  },
  methods: {
    onInput(e: WechatMiniprogram.Input) {
      const value = e.detail.value;
      this.setData({ text: value });
      this.triggerEvent('textchange', { value });
    },
    onSend() {
      const text = String(this.data.text ?? '');
      if (!text.trim() || this.data.disabled) return;
      this.setData({ text: '' });
      this.triggerEvent('send', { text });
      this.triggerEvent('textchange', { value: '' });
    },
    toggleMode() {
      this.setData({ mode: this.data.mode === 'text' ? 'voice' : 'text', panel: false });
    },
    togglePanel() {
      this.setData({ panel: !this.data.panel });
    },
    onPick(e: WechatMiniprogram.BaseEvent) {
      this.setData({ panel: false });
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
