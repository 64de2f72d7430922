/** The 表情 panel: a grid of common emoji inserted at the cursor of the composer. */
import { h } from './dom.js';

const EMOJI =
  '😀 😁 😂 🤣 😊 😍 😘 😎 🤔 😏 😴 😭 😡 😱 😳 🥰 😅 😉 🙄 😬 🤗 🤝 👍 👎 👏 🙏 💪 👌 ✌️ 🤞 👋 🎉 🎂 🌹 💔 ❤️ 🔥 ⭐ ☕ 🍺 🍉 🧧 💰 📷 ⏰ ✅ ❌ ❓'.split(' ');

/** Inserts text at the textarea's cursor and keeps focus there. */
export function insertAtCursor(input: HTMLTextAreaElement, text: string): void {
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? start;
  input.setRangeText(text, start, end, 'end');
  input.dispatchEvent(new Event('input', { bubbles: true }));
  input.focus();
}

/** Fills the panel once and wires the toggle button. */
export function setupEmojiPanel(panel: HTMLElement, toggle: HTMLElement, input: HTMLTextAreaElement): void {
  panel.replaceChildren(
    ...EMOJI.map((e) => {
      const b = h('button', { className: 'emoji', text: e, attrs: { type: 'button', 'aria-label': e } });
      b.addEventListener('click', () => insertAtCursor(input, e));
      return b;
    }),
  );
  toggle.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
    toggle.setAttribute('aria-expanded', String(!panel.hidden));
  });
}
