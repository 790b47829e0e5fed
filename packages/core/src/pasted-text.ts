/**
 * Rules for text a user pastes into the config files (aac_url.txt, client_id.txt, creds.json): what a copy adds
 * around it, and the characters that cannot travel in an HTTP header. Shared by the config parsers and the
 * token-pair codec, so that a stray character gets the same message wherever the pair is read.
 */

/** Strips a BOM and surrounding whitespace (CRLF, trailing newline, spaces). */
export function cleanText(text: string): string {
  return text.replace(/^\uFEFF/, '').trim()
}

/**
 * The first character that an HTTP header value cannot hold here (anything but visible ASCII, `!` to `~`), with
 * its 1-based position among the value's characters and a name for a person.
 */
export function firstNonHeaderCharacter(
  value: string,
): { position: number; length: number; name: string } | undefined {
  const chars = [...value]
  const index = chars.findIndex((char) => !/^[\x21-\x7e]$/.test(char))
  if (index < 0) return undefined
  return { position: index + 1, length: chars.length, name: characterName(chars[index]!) }
}

/** Names of the characters a copy most often adds; those outside ASCII are also given by code point. */
const CHARACTER_NAMES: Record<string, string> = {
  ' ': 'a space',
  '\t': 'a tab',
  '\n': 'a line break',
  '\r': 'a line break',
  '\u00a0': 'a no-break space',
  '\u200b': 'a zero-width space',
  '\u200c': 'a zero-width non-joiner',
  '\u200d': 'a zero-width joiner',
  '\u2060': 'a word joiner',
  '\ufeff': 'a byte order mark',
  '\u2018': 'a curly quote',
  '\u2019': 'a curly quote',
  '\u201c': 'a curly quote',
  '\u201d': 'a curly quote',
  '\u2010': 'a typographic hyphen',
  '\u2011': 'a non-breaking hyphen',
  '\u2013': 'an en dash',
  '\u2014': 'an em dash',
  '\u2026': 'an ellipsis character',
}

function characterName(char: string): string {
  const code = char.codePointAt(0)!
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
  const named = CHARACTER_NAMES[char]
  if (named) return code < 0x80 ? named : `${named} (${hex})`
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return `a control character (${hex})`
  if (/^[\p{L}\p{N}\p{P}\p{S}]$/u.test(char)) return `a non-ASCII character, "${char}" (${hex})`
  return `an invisible or non-ASCII character (${hex})`
}
