/**
 * creds.json still holding a real pair while another store is in force: two copies of a single-use chain. The
 * next refresh rotates one of them and leaves the other stale, and a program that later sends the stale refresh
 * token (a tool still reading creds.json, Alteryx's own scripts) gets invalid_grant, or gets the whole chain
 * revoked as a reuse. `aac creds move` puts a pair in one place and leaves creds.json the placeholders and a note.
 */

import type { StoredTokens } from '@aac/core'
import { CREDS_FILE, CREDS_FILE_MAX_BYTES, readTextFile, STORE_ENV, type StoreSpec } from '@aac/core/fs'
import { decodePairText } from '@aac/core/storage/pair-codec'
import { showSetting } from '../creds/context.ts'
import { pairFacts } from '../creds/pair-facts.ts'
import type { Check, Findings, SelectedStore } from './check.ts'
import type { Step } from './steps.ts'

/** Why one copy must go, said in every case. */
const ONE_PLACE =
  'A refresh token works once: after the next refresh, whichever copy was not rotated is stale, and a program that sends its refresh token gets invalid_grant (a reuse can get the whole chain revoked).'

export const secondCopy: Check = async ({ credsPath, found }) => {
  const { store } = found
  if (!store || store.spec.kind === 'file') return { steps: [] }
  const copy = await realPair(credsPath)
  if (!copy) return { steps: [] }
  return { steps: [copyStep(store, found, copy)], found: { credsCopy: true } }
}

/** The pair in creds.json, if it holds one: not the placeholders, not the note `aac creds move` leaves. */
async function realPair(credsPath: string): Promise<StoredTokens | undefined> {
  const text = await readTextFile(credsPath, { maxBytes: CREDS_FILE_MAX_BYTES }).catch(() => undefined)
  if (text === undefined) return undefined
  const read = decodePairText(text, { where: credsPath })
  return read.ok ? read.tokens : undefined
}

function copyStep(store: SelectedStore, found: Readonly<Findings>, copy: StoredTokens): Step {
  const place = store.storage.location
  const to = settingArgument(store.spec)
  const warn = (detail: string, fix: string): Step => ({ name: CREDS_FILE, status: 'warn', detail, fix })
  const held = found.tokens
  if (found.storeHolds === 'none') {
    return warn(
      `holds a token pair, but programs look for it in ${place}, which holds none`,
      `Move it there: aac creds move --to ${to} (creds.json then keeps the placeholders and a note of where the pair went). Until then two places claim the chain: ${ONE_PLACE}`,
    )
  }
  if (!held) {
    return warn(
      `also holds a token pair, besides ${place}`,
      `${ONE_PLACE} Once ${place} can be read (see above), aac creds status shows what it holds; then keep one copy with aac creds move (creds.json then keeps the placeholders and a note).`,
    )
  }
  if (held.refreshToken === copy.refreshToken) {
    return warn(
      `holds a second copy of the pair in ${place}`,
      `${ONE_PLACE} Put the placeholders in creds.json: aac creds move --from file --to ${to} (the same pair is already there; creds.json keeps a note of where it is).`,
    )
  }
  const copyIssued = pairFacts(copy).issuedAt?.getTime()
  const heldIssued = pairFacts(held).issuedAt?.getTime()
  const copyNewer = copyIssued !== undefined && heldIssued !== undefined && copyIssued > heldIssued
  const keepStore = `aac creds move --to file --force, then aac creds move --to ${to} (the store's pair replaces creds.json's, then goes back, leaving the placeholders)`
  const keepCopy = `aac creds move --from file --to ${to} --force (creds.json's pair replaces the store's)`
  return copyNewer
    ? warn(
        `holds another token pair, issued after the one in ${place}`,
        `${ONE_PLACE} If programs still read creds.json, its newer pair is the live one: ${keepCopy}. Otherwise: ${keepStore}.`,
      )
    : warn(
        `holds another token pair, not newer than the one in ${place}`,
        `${ONE_PLACE} Programs use the store's pair; to put the placeholders in creds.json: ${keepStore}. If creds.json's pair is the one you want: ${keepCopy}.`,
      )
}

/**
 * The setting as `aac creds move --to` takes it: `"$AAC_STORE"` when it came from there (a URL's password is
 * never printed), else its value, quoted for a shell when needed; a value with a password is named, not shown.
 */
function settingArgument(spec: StoreSpec): string {
  if (spec.source === STORE_ENV) return `"$${STORE_ENV}"`
  const shown = showSetting(spec.value)
  if (shown !== spec.value) return `'<the URL in ${spec.source}>'`
  return /^[\w:./@%+-]+$/.test(shown) ? shown : `'${shown.replaceAll("'", `'\\''`)}'`
}
