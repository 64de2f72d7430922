/** `<time-separator>`: the time shown above a message when more than a minute passed (SDK `timeSeparators`). */
import { formatTime } from '../../lib/format.js';

Component({
  properties: {
    /** Epoch milliseconds. */
    ts: { type: Number, value: 0 },
    /** "Now" for the formatting (tests); default: the clock. */
    now: { type: Number, value: 0 },
  },
  data: { text: '' },
  observers: {
    'ts, now': function (this: WechatMiniprogram.Component.TrivialInstance, ts: number, now: number) {
      this.setData({ text: formatTime(ts, now || Date.now()) });
    },
  },
});
