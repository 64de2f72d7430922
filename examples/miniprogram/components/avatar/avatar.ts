/** `<avatar>`: the user's picture, or a coloured initial when there is none. */
import { avatarColor, initialOf, mediaUrl } from '../../lib/format.js';

Component({
  properties: {
    /** Picture URL (absolute, or a server path like `/media/...`). */
    src: { type: String, value: '' },
    /** Name used for the initial and the colour. */
    name: { type: String, value: '' },
    /** Base URL of the server, for relative picture paths. */
    baseUrl: { type: String, value: '' },
    /** small | medium | large */
    size: { type: String, value: 'medium' },
  },
  data: { url: '', initial: '?', color: '#999' },
  observers: {
    'src, name, baseUrl': function (this: WechatMiniprogram.Component.TrivialInstance, src: string, name: string, baseUrl: string) {
      this.setData({ url: mediaUrl(src, baseUrl), initial: initialOf(name), color: avatarColor(name) });
    },
  },
  methods: {
    onTap() {
      this.triggerEvent('avatartap', { name: this.data.name });
    },
  },
});
