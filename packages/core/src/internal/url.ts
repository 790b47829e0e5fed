/**
 * `value` as a URL (resolved against `base`), or undefined when it is not one. For the many places that only
 * name a host in a message, or fall back to a wording of their own, instead of failing on a bad URL.
 *
 * @example
 * parseUrl('https://api.us1.alteryxcloud.com/v4')?.origin // 'https://api.us1.alteryxcloud.com'
 * parseUrl('not a url') // undefined
 */
export function parseUrl(value: string, base?: string): URL | undefined {
  try {
    return new URL(value, base)
  } catch {
    return undefined
  }
}
