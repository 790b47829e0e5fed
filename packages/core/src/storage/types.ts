/**
 * The token pair as the library holds it. The file and web stores keep it as `{access_token, refresh_token}`
 * with {@link PairMeta} beside it under an `"aac"` key (the pair codec, storage/pair-codec.ts), which Alteryx's
 * own scripts ignore (and drop when they rewrite the file, which is right: what it says belongs to the pair it
 * was written with).
 */
export interface StoredTokens {
  /** The access token (a JWT) sent as `Authorization: Bearer`. */
  readonly accessToken: string
  /** The single-use refresh token that buys the next pair. */
  readonly refreshToken: string
  /** What the programs sharing the store learnt about this pair. Stores keep it with the pair, as given. */
  readonly meta?: PairMeta | undefined
}

/**
 * Knowledge that must outlive the process that learnt it, because the next program needs it to avoid spending
 * a refresh token twice or refreshing for nothing. Plain JSON: any store can keep it.
 */
export interface PairMeta {
  /**
   * The token server's clock minus this machine's, in ms, learnt from a token response. Without it, every new
   * process on a machine whose clock is minutes off would judge a fresh token stale and refresh again.
   */
  readonly clockOffsetMs?: number | undefined
  /** A refresh of this pair whose outcome was never saved: see {@link RefreshRecord}. */
  readonly refresh?: RefreshRecord | undefined
}

/**
 * Written with the pair just before its refresh token is sent, and dropped when the new pair is saved. Found
 * later, it means the request may have reached the server (which then spent the refresh token) and its answer
 * was lost: the program was killed, the connection dropped after sending, or the server failed mid-way.
 */
export interface RefreshRecord {
  /** When the request was sent (ISO 8601). */
  readonly at: string
  /** The program that sent it: `aac token`, `get_workspace.ts`, `deno`… */
  readonly program: string
  /** The process id of that program. */
  readonly pid?: number | undefined
  /** The host name of the computer it ran on. */
  readonly host?: string | undefined
  /**
   * `sent`: the request was sent and nothing more is known (the sender may have been killed);
   * `uncertain`: the sender saw a failure that leaves open whether the server spent the token (`detail` says
   * which); `spent`: the server is known to have spent it (it answered, but with nothing that could be kept).
   */
  readonly state: 'sent' | 'uncertain' | 'spent'
  /** A token-free reason for `uncertain` and `spent`: `connection reset after sending`, `HTTP 502`… */
  readonly detail?: string | undefined
  /** Identifies the refresh token this record is about (a short hash, never the token): a record about another token is void. */
  readonly tokenId: string
}

/** Options of {@link TokenStorage.withLock}: an abort signal for the wait. */
export interface WithLockOptions {
  /** Stops waiting for the lock (Ctrl-C): the call rejects with the signal's reason and `fn` never runs. */
  signal?: AbortSignal | undefined
}

/**
 * Where tokens live. Adapters are small factories returning plain objects: `memoryStorage` (storage/memory.ts),
 * `webStorage` (storage/web.ts), `fileStorage` (storage/file.ts, `@aac/core/storage/file`), your own. How to add
 * one: docs/stores.md.
 *
 * The contract every store keeps (one contract test suite, packages/core/test/storage-contract.ts, checks it for
 * each store of the list in packages/core/test/storage-stores.ts):
 * - `read` returns the last pair written by anyone sharing the store, never a half-written one, with the
 *   well-formed part of its `meta`, as a plain copy (changing it changes nothing stored); `undefined` when the
 *   store holds no pair. A stored value that holds no usable pair is an error, never returned: the pair codec
 *   (storage/pair-codec.ts) judges it and words the message, the same for every store (a ConfigError for
 *   creds.json, which the user edits; a StorageError elsewhere). A value that does not parse at all is the
 *   store's own concern (the file store retries, in case a writer is mid-write, then moves it aside under the
 *   lock, never deleting it);
 * - `write` replaces the pair (and its `meta`, dropping any it is not given) atomically for every reader, and
 *   throws rather than pretend: a write that may not have landed is an error. It refuses an empty or non-string
 *   token with a StorageError, leaving the store unchanged (the codec's `assertWritable`): that would replace a
 *   pair that still works. Writing back a pair exactly as `read` returned it restores the store as it was (the
 *   file store: byte for byte);
 * - `withLock` runs `fn` while no other holder of the same store (in this process or any other program) runs
 *   its own `fn`, returns what `fn` returns, rethrows what it throws, and releases the lock once `fn` settles,
 *   either way. The token manager re-reads the store inside it, so a rotation by another program is seen. It is
 *   not re-entrant: `withLock` inside `withLock` of the same store waits for itself. A store that stops waiting
 *   (the file and web stores) throws a `LOCK_TIMEOUT` StorageError naming the lock.
 *
 * Timing rule (`lockTiming` in lock-timing.ts; the defaults are `LOCK_TIMING`): a holder keeps the lock at most
 * for the refresh budget (40 s by default) plus a little I/O (the margin, 10 s). A store must therefore let a
 * waiter wait at least `budget + margin` before giving up, and may take a lock over as stale only after more
 * than `budget + margin` (or at once when its owner is provably dead). With a shorter wait, waiters fail while the
 * holder is still rotating for them; with a shorter stale age, two programs refresh at once. A store whose locks
 * can turn stale (the file store) also waits a little longer than its stale age (`waitMs` 62 s > `staleMs` 60
 * s), so that a waiter is still there to take over the lock of a holder that was killed; a store whose locks are
 * released for a dead holder (Web Locks, an in-process mutex) has no stale age to set.
 */
export interface TokenStorage {
  /**
   * Where the tokens are kept, for messages (never a token): a file path, `memory`,
   * `IndexedDB "aac" › tokens › "aac.tokens"`.
   */
  readonly location: string
  /**
   * How a user puts a new pair into this store, ending the message after invalid_grant ("Generate a new pair at
   * … and <this>"). Default: `paste both tokens into <location>`, right for a file; a keychain entry or a
   * database row is filled with `aac creds import` instead.
   */
  readonly newPairHint?: string | undefined
  /** The stored pair, or undefined when there is none; a store that cannot read it rejects. */
  read(): Promise<StoredTokens | undefined>
  /** Replaces the stored pair; resolves once it is stored for good. */
  write(tokens: StoredTokens): Promise<void>
  /**
   * Runs `fn` under the store's lock. `options.signal` stops the wait for the lock (rejecting with the
   * signal's reason, `fn` never called); once `fn` runs, it runs to the end. Adapters may ignore the option.
   */
  withLock<T>(fn: () => Promise<T>, options?: WithLockOptions): Promise<T>
  /**
   * Last resort after a rotation whose pair `write` could not store: the old refresh token is already dead, so
   * keep the new pair somewhere the user can find it. Returns where it went. Optional. A store that has one
   * must also find it again: `read` under the lock returns a recovered pair newer than the stored one and
   * completes the save (or, if that save fails too, the first later `write` of that pair or a newer one does),
   * then removes the copy.
   */
  saveRecovery?(tokens: StoredTokens): Promise<string>
}
