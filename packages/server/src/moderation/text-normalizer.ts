// Separators dropped before matching: whitespace, punctuation, symbols (emoji
// included), control and format characters (zero-width space, joiners, BOM).
const SEPARATORS = /[\p{Z}\p{P}\p{S}\p{Cc}\p{Cf}]+/gu;

/**
 * Normalises text for keyword matching: NFKC (full-width → half-width and
 * other compatibility forms), lower case, separators removed. "Ｆ ｏ-ｏ" → "foo".
 */
export function normalizeForMatch(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(SEPARATORS, '');
}
