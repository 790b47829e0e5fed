import { readFile } from 'node:fs/promises'

/**
 * Reads a config file as text whatever Windows saved it as: UTF-8 with or without a BOM, or UTF-16 LE/BE with
 * a BOM (what PowerShell 5's `>` and `Out-File` write). The BOM is dropped; line ends are left to the parsers,
 * which trim. File-system errors are thrown as they come (`code` `ENOENT`, `EACCES`…).
 *
 * @example
 * const url = await readTextFile('/home/me/aac/aac_url.txt')
 */
export async function readTextFile(path: string): Promise<string> {
  return decodeText(await readFile(path))
}

/** The decoding half of {@link readTextFile}: TextDecoder drops the BOM it recognizes. */
export function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes)
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes)
  return new TextDecoder('utf-8').decode(bytes)
}
