//! Reading a refusal from Rust for display: its messages say what is wrong, then, in their last
//! sentence, what to do about it. Only the layout depends on this; nothing branches on the words.

/** "X has no photo … publish." and "Record the family's consent …", or the whole message as `what`. */
export function splitReason(message: string): { what: string; fix: string } {
  const text = message.trim();
  const cut = text.lastIndexOf(". ");
  return cut < 0 ? { what: text, fix: "" } : { what: text.slice(0, cut + 1), fix: text.slice(cut + 2) };
}
