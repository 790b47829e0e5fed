import { afterEach, describe, expect, it } from 'vitest'
import { anySignal } from '../src/internal/abort.ts'

describe('anySignal without AbortSignal.any (older runtimes)', () => {
  const native = AbortSignal.any
  afterEach(() => {
    AbortSignal.any = native
  })

  it('aborts with the reason of the first signal that fires', () => {
    ;(AbortSignal as { any?: unknown }).any = undefined
    const a = new AbortController()
    const b = new AbortController()
    const combined = anySignal([a.signal, b.signal])
    expect(combined.aborted).toBe(false)
    b.abort(new Error('b first'))
    a.abort(new Error('a later'))
    expect(combined.aborted).toBe(true)
    expect((combined.reason as Error).message).toBe('b first')
  })

  it('is aborted at once when a signal already is', () => {
    ;(AbortSignal as { any?: unknown }).any = undefined
    const done = AbortSignal.abort(new Error('already'))
    const combined = anySignal([new AbortController().signal, done])
    expect(combined.aborted).toBe(true)
    expect((combined.reason as Error).message).toBe('already')
  })
})
