// What aac prints goes straight to the file descriptor (io.ts, directOutput): the same bytes in the same order
// as through process.stdout, a reader that went away ends the run quietly, and a descriptor that would block
// hands the rest to the stream.
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, constants, openSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { directOutput } from '../src/io.ts'
import { bin, useCloud } from './helpers.ts'

const fake = useCloud()

/** A stand-in for process.stdout that keeps what it is given. */
function recordingStream() {
  const chunks: Buffer[] = []
  const stream = {
    write: (chunk: string | Uint8Array) => chunks.push(Buffer.from(chunk)) > 0,
    once: () => stream,
  }
  return { chunks, open: () => stream as unknown as NodeJS.WriteStream }
}

/** Everything waiting in a non-blocking descriptor. */
function drain(fd: number): Buffer {
  const parts: Buffer[] = []
  const buffer = Buffer.alloc(65_536)
  for (;;) {
    try {
      const n = readSync(fd, buffer)
      if (n === 0) break
      parts.push(Buffer.from(buffer.subarray(0, n)))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break
      throw error
    }
  }
  return Buffer.concat(parts)
}

describe('aac stdout', () => {
  it('a reader that went away (EPIPE) ends aac token with exit 0 and nothing on stderr', async () => {
    const dir = await fake.configDir()
    const child = spawn(process.execPath, [bin, 'token'], {
      env: { ...process.env, AAC_CONFIG_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    // Closed before aac writes its token.
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const code = await new Promise((done) => child.on('close', done))
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
  })

  it('writes to the descriptor in order; one that would block (EAGAIN) hands the rest, and every later write, to the stream', async () => {
    const fifo = join(await fake.tempDir(), 'out')
    execFileSync('mkfifo', [fifo])
    // Read-write and non-blocking: the pipe takes what fits in its buffer (64 KiB on Linux), then EAGAIN.
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK)
    try {
      const { chunks, open } = recordingStream()
      const out = directOutput(fd, open, (error) => {
        throw error
      })
      const big = Buffer.alloc(300_000, 'x')
      big.write('the end', big.length - 7)
      expect(out.write('first\n')).toBe(true)
      expect(chunks).toEqual([])
      out.write(big)
      out.write('last\n')
      const piped = drain(fd)
      expect(piped.length).toBeGreaterThan(6)
      expect(piped.length).toBeLessThan(6 + big.length)
      // The rest of the big write, then the later one: nothing lost, nothing twice, nothing reordered.
      expect(chunks).toHaveLength(2)
      expect(
        Buffer.concat([piped, ...chunks]).equals(
          Buffer.concat([Buffer.from('first\n'), big, Buffer.from('last\n')]),
        ),
      ).toBe(true)
    } finally {
      closeSync(fd)
    }
  })

  it('any other failed write goes to onError, and nothing to the stream', async () => {
    const file = join(await fake.tempDir(), 'read-only')
    closeSync(openSync(file, 'w'))
    const fd = openSync(file, 'r')
    try {
      const { chunks, open } = recordingStream()
      const errors: string[] = []
      const out = directOutput(fd, open, (error) => void errors.push(error.code ?? ''))
      out.write('token\n')
      expect(errors).toEqual(['EBADF'])
      expect(chunks).toEqual([])
    } finally {
      closeSync(fd)
    }
  })
})
