/** The token pair as the library holds it. The file adapter stores it as `{access_token, refresh_token}`. */
export interface StoredTokens {
  readonly accessToken: string
  readonly refreshToken: string
}

export interface WithLockOptions {
  /** Stops waiting for the lock (Ctrl-C): the call rejects with the signal's reason and `fn` never runs. */
  signal?: AbortSignal | undefined
}

/**
 * Where tokens live. Adapters are small factories returning plain objects (memory, file, browser, your own).
 *
 * The token manager relies on three promises:
 * - `read` returns the last pair written by anyone sharing the store, never a half-written one;
 * - `write` replaces the pair atomically for every reader;
 * - `withLock` runs `fn` while no other holder of the same store (in this process or any other program) runs
 *   its own `fn`. The token manager re-reads the store inside it, so a rotation by another program is seen.
 */
export interface TokenStorage {
  /** Where the tokens are kept, for messages: a file path, `memory`, `localStorage key "aac.tokens"`. */
  readonly location: string
  read(): Promise<StoredTokens | undefined>
  write(tokens: StoredTokens): Promise<void>
  /**
   * Runs `fn` under the store's lock. `options.signal` stops the wait for the lock (rejecting with the
   * signal's reason, `fn` never called); once `fn` runs, it runs to the end. Adapters may ignore the option.
   */
  withLock<T>(fn: () => Promise<T>, options?: WithLockOptions): Promise<T>
  /**
   * Last resort after a rotation whose pair `write` could not store: the old refresh token is already dead, so
   * keep the new pair somewhere the user can find it. Returns where it went. Optional.
   */
  saveRecovery?(tokens: StoredTokens): Promise<string>
}
