/** `aac creds status` for people: one labelled line per fact, as `aac whoami` prints them. */

import { type CliIo, painter } from '../io.ts'
import { duration } from '../time.ts'
import { expiryText } from './pair-facts.ts'
import type { PairStatus, StatusReport } from './status.ts'

/**
 * The report as text lines; no token, ever (the report holds none).
 *
 * @example
 * io.stdout.write(statusText(report, io))
 */
export function statusText(report: StatusReport, io: CliIo): string {
  const paint = painter(io.stdout, io.env)
  const row = (label: string, text: string) => `${paint('bold', label.padEnd(10))} ${text}\n`
  const dim = (text: string) => paint('dim', text)
  const { store, pair } = report
  let text = row('store', store.location)
  text += row('setting', `${store.setting} ${dim(`(${store.reason})`)}`)
  if (!pair) return text + row('pair', report.problem ? 'none usable: see the error below' : 'none')
  return text + pairRows(pair, row, dim)
}

function pairRows(
  pair: PairStatus,
  row: (label: string, text: string) => string,
  dim: (text: string) => string,
): string {
  const token = pair.access_token
  let text = row(
    'access',
    token.expires_at
      ? expiryText(new Date(token.expires_at), Date.now())
      : 'its expiry is unknown (the token does not decode)',
  )
  if (token.issuer)
    text += row('issuer', `${token.issuer}${token.client_id ? dim(` (client ${token.client_id})`) : ''}`)
  const rotated = pair.last_rotated
  text += row(
    'rotated',
    rotated.at
      ? `${rotated.at} ${dim(`(${duration(Date.now() - Date.parse(rotated.at))} ago; ${rotated.known_from === 'access token iat' ? 'when its access token was issued: each refresh brings a new pair' : 'when creds.json was last written'})`)}`
      : 'unknown: the access token carries no issue time, and the store keeps no date',
  )
  const record = pair.interrupted_refresh
  if (!record) text += row('refresh', 'no interrupted refresh on record')
  else {
    const who = `${record.program}${record.pid === undefined ? '' : ` (pid ${record.pid}${record.host ? ` on ${record.host}` : ''})`}`
    const what = record.about_this_pair
      ? record.state === 'spent'
        ? 'the server spent its refresh token: generate a new pair'
        : 'its refresh token may have been spent: the next run tries it once and says'
      : 'about an earlier refresh token, so void'
    text += row(
      'refresh',
      `interrupted: sent at ${record.at} by ${who}, ${record.state}${record.detail ? ` (${record.detail})` : ''}; ${what}`,
    )
  }
  if (pair.clock_offset_ms !== null && Math.abs(pair.clock_offset_ms) >= 1000) {
    const ahead = pair.clock_offset_ms > 0 ? 'behind' : 'ahead of'
    text += row(
      'clock',
      `this machine is ${duration(pair.clock_offset_ms)} ${ahead} the token server (allowed for)`,
    )
  }
  return text
}
