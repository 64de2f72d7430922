/**
 * `<privacy-popup>`: the 用户隐私保护指引 prompt shown while WeChat holds a privacy API
 * (`wx.onNeedPrivacyAuthorization`, lib/privacy.ts). The agreement button has
 * `open-type="agreePrivacyAuthorization"` and the id WeChat checks before the held call goes on.
 * Events: `agree`, `disagree`, `contract` (open the guide).
 */
import { AGREE_BUTTON_ID, privacyPurpose } from '../../lib/privacy.js';

Component({
  properties: {
    shown: { type: Boolean, value: false },
    /** The API that asked (`chooseMedia`, …): says what the agreement is for. */
    referrer: { type: String, value: '' },
  },
  data: { buttonId: AGREE_BUTTON_ID, purpose: privacyPurpose('') },
  observers: {
    referrer: function (this: WechatMiniprogram.Component.TrivialInstance, referrer: string) {
      this.setData({ purpose: privacyPurpose(referrer) });
    },
  },
  methods: {
    onAgree() {
      this.triggerEvent('agree', {});
    },
    onDisagree() {
      this.triggerEvent('disagree', {});
    },
    onContract() {
      this.triggerEvent('contract', {});
    },
  },
});
