/**
 * `<conversation-item>`: one row of the conversation list: avatar with unread badge (a dot
 * when muted), title, time, "[有人@我]" / "[草稿]" marks and the last-message preview.
 * Tap: `open` with `{conv}`; long press: `menu` with `{conv}` (pin, delete).
 */
import { badgeText, formatListTime } from '../../lib/format.js';
import { ICONS } from '../../lib/icons.js';
import type { ConvItem } from '../../pages/index/list-logic.js';

type Item = Pick<ConvItem, 'conv' | 'title' | 'preview' | 'draft' | 'ts' | 'unread' | 'mentioned' | 'muted'>;

Component({
  properties: {
    /** A row built by the list page (`ConvItem`). */
    item: { type: Object, value: {} },
    baseUrl: { type: String, value: '' },
    /** "Now" for the time (tests); default: the clock. */
    now: { type: Number, value: 0 },
  },
  data: { time: '', badge: '', line: '', mention: false, mutedIcon: ICONS.muted },
  observers: {
    'item, now': function (this: WechatMiniprogram.Component.TrivialInstance, item: Item, now: number) {
      this.setData({
        time: formatListTime(item.ts, now || Date.now()),
        badge: badgeText(item.unread),
        line: item.draft || item.preview || '',
        mention: !!item.mentioned && item.unread > 0,
      });
    },
  },
  methods: {
    onTap() {
      this.triggerEvent('open', { conv: (this.data.item as Item).conv });
    },
    onLongPress() {
      this.triggerEvent('menu', { conv: (this.data.item as Item).conv });
    },
  },
});
