/**
 * Line icons (SVG data URIs for `<image>`), in the style of WeChat's own: 1.6-px strokes, no
 * colour emoji as UI. Dark mode inverts them in WXSS (`.icon` filter).
 */
const svg = (body: string) =>
  `data:image/svg+xml;utf8,${encodeURIComponent(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#1f1f1f" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round">${body}</svg>`,
  )}`;

export const ICONS = {
  voice: svg('<circle cx="12" cy="12" r="10"/><path d="M9 9.5a3.5 3.5 0 0 1 0 5"/><path d="M12 7.5a6.5 6.5 0 0 1 0 9"/>'),
  keyboard: svg('<circle cx="12" cy="12" r="10"/><path d="M7 10h.01M10 10h.01M13 10h.01M16 10h.01M8 14h8"/>'),
  emoji: svg('<circle cx="12" cy="12" r="10"/><path d="M8 14.5a4.5 4.5 0 0 0 8 0"/><path d="M9 9.5h.01M15 9.5h.01"/>'),
  plus: svg('<circle cx="12" cy="12" r="10"/><path d="M12 7.5v9M7.5 12h9"/>'),
  album: svg('<rect x="3" y="4" width="18" height="16" rx="2"/><circle cx="9" cy="10" r="1.8"/><path d="m21 16-5-5-8 9"/>'),
  camera: svg('<path d="M4 8h3l2-2.5h6L17 8h3v11H4z"/><circle cx="12" cy="13" r="3.5"/>'),
  file: svg('<path d="M6 3h8l4 4v14H6z"/><path d="M14 3v4h4"/>'),
  muted: svg('<path d="M6 9v6h3l4 4V5L9 9z"/><path d="m16 9.5 5 5M21 9.5l-5 5"/>'),
  at: svg('<circle cx="12" cy="12" r="4"/><path d="M16 8v5a3 3 0 0 0 6 0v-1a10 10 0 1 0-4 8"/>'),
};

/** The emoji panel's faces (text emoji inside messages are fine; they are content, not UI). */
export const EMOJI = [
  '😀',
  '😁',
  '😂',
  '🤣',
  '😊',
  '😍',
  '😘',
  '😎',
  '🤔',
  '😅',
  '😭',
  '😡',
  '😴',
  '😱',
  '🥳',
  '😇',
  '👍',
  '👎',
  '👏',
  '🙏',
  '💪',
  '👌',
  '✌️',
  '🤝',
  '❤️',
  '💔',
  '🔥',
  '🎉',
  '🌹',
  '☕',
  '🍺',
  '🧧',
];
