/** A client message id: unique enough per sender, ≤ 64 chars, no crypto dependency (mini-programs lack it). */
export function newClientMsgId(): string {
  const rand = () => Math.floor(Math.random() * 0x100000000).toString(36);
  return `c${Date.now().toString(36)}${rand()}${rand()}`;
}
