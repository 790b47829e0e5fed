/** Types of ascii-only.mjs, for the test that imports it. */

/**
 * Writes every character of the JavaScript file `file` outside ASCII as `\uXXXX` and moves the columns of its
 * source map to match; resolves to how many characters were escaped.
 *
 * @example
 * await escapeNonAscii('dist/main.cjs')
 */
export function escapeNonAscii(file: string): Promise<number>
