/** Media kinds a message can carry and the content types each accepts. */
export const MediaKinds = ['image', 'video', 'audio', 'file'] as const;

/** One of the media message kinds: image | video | audio | file. */
export type MediaKind = (typeof MediaKinds)[number];

export function isMediaKind(value: unknown): value is MediaKind {
  return typeof value === 'string' && (MediaKinds as readonly string[]).includes(value);
}

/** Sniffed image types accepted as `image` (HEIC may be reported as heif by its major brand). */
export const IMAGE_MIMES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/heic', 'image/heif'];
/** Sniffed video types accepted as `video`: mp4 and QuickTime (iPhone .mov). */
export const VIDEO_MIMES = ['video/mp4', 'video/quicktime'];
/** Sniffed audio types accepted as `audio`, including what WeChat's recorder produces (silk, amr, aac, mp3, m4a). */
export const AUDIO_MIMES = ['audio/mpeg', 'audio/aac', 'audio/x-m4a', 'audio/mp4', 'audio/silk', 'audio/amr'];

/**
 * Default allow-list of `file` uploads: common documents and archives plus every media type above.
 * `*` in the configured list accepts anything, including content that cannot be sniffed
 * (stored as application/octet-stream).
 */
export const DEFAULT_FILE_MIMES = [
  'application/pdf',
  'application/zip',
  'application/x-cfb',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/x-rar-compressed',
  'application/x-7z-compressed',
  'application/gzip',
  ...IMAGE_MIMES,
  ...VIDEO_MIMES,
  ...AUDIO_MIMES,
];

/** Mime type used for content that no sniffer recognises. */
export const UNKNOWN_MIME = 'application/octet-stream';

/** Kinds whose content is shown inline by browsers; everything else is served as an attachment. */
export function isInlineMime(mime: string): boolean {
  return IMAGE_MIMES.includes(mime) || VIDEO_MIMES.includes(mime) || AUDIO_MIMES.includes(mime);
}

/** The answer of `POST /api/media` (protocol-v1 section 1). */
export interface UploadedMedia {
  url: string;
  kind: MediaKind;
  mime: string;
  size: number;
  width?: number;
  height?: number;
  duration?: number;
}

/** What the optional content-safety hook receives once a blob is stored. */
export interface UploadedEvent {
  userId: string;
  url: string;
  key: string;
  kind: MediaKind;
  mime: string;
  size: number;
}
