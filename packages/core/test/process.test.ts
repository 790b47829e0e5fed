import process from 'node:process'
import { afterEach, describe, expect, it } from 'vitest'
import { debugRequested, stopOnSignals } from '../src/process.ts'

// process.emit runs the listeners as a delivered signal would, without ending the test process.
describe('stopOnSignals', () => {
  afterEach(() => {
    process.exitCode = undefined
  })

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)(
    '%s: aborts the signal, exit code %i, and only a later second one quits at once',
    async (name, code) => {
      const exits: number[] = []
      const notices: string[] = []
      const stop = stopOnSignals({
        exit: (c) => exits.push(c),
        write: (t) => notices.push(t),
        graceMs: 60_000,
      })
      try {
        process.emit(name)
        expect(stop.signal.aborted).toBe(true)
        expect(stop.received()).toBe(name)
        expect(stop.exitCode()).toBe(code)
        expect(process.exitCode).toBe(code)
        // The same signal delivered twice (npm's shell): not a request to quit now.
        process.emit(name)
        expect(exits).toEqual([])
        await new Promise((resolve) => setTimeout(resolve, 600))
        expect(notices.join('')).toMatch(/finishing the token refresh already sent/)
        process.emit(name)
        expect(exits).toEqual([code])
      } finally {
        stop.dispose()
      }
    },
  )

  it('after dispose, listens no more', () => {
    const stop = stopOnSignals({ exit: () => undefined, write: () => undefined })
    const before = process.listenerCount('SIGTERM')
    stop.dispose()
    expect(process.listenerCount('SIGTERM')).toBe(before - 1)
  })
})

describe('debugRequested', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['0', false],
    ['false', false],
    ['No', false],
    [' off ', false],
    ['1', true],
    ['yes', true],
    ['true', true],
  ])('AAC_DEBUG=%j → %s', (value, expected) => {
    expect(debugRequested({ AAC_DEBUG: value })).toBe(expected)
  })
})
