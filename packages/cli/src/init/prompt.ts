/**
 * Questions on the terminal for `aac init`, through node:readline: answers to hidden questions (the tokens) are
 * not echoed, and nothing is written to stdout (the prompts go to stderr, so `aac init > log` still asks).
 */

import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import type { Prompter } from '../io.ts'

/** Ctrl-C or Ctrl-D at a question: nothing was written. */
export class PromptCancelled extends Error {
  override readonly name = 'PromptCancelled'
}

/**
 * A prompter on a terminal: `input` is stdin (a TTY), `output` where the questions go (stderr).
 *
 * @example
 * const prompter = terminalPrompter(process.stdin, process.stderr)
 * const token = await prompter.ask('Access token: ', { hidden: true })
 */
export function terminalPrompter(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Prompter {
  let muted = false
  // readline echoes what is typed to its output: for a hidden answer that output swallows it.
  const echo = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) output.write(chunk)
      done()
    },
  })
  const rl = createInterface({ input, output: echo, terminal: true })
  let pending: ((error: Error) => void) | undefined
  const cancel = () => {
    muted = false
    output.write('\n')
    pending?.(new PromptCancelled('cancelled'))
  }
  rl.on('SIGINT', cancel)
  rl.on('close', () => pending?.(new PromptCancelled('stdin closed')))
  return {
    ask(question, options = {}) {
      return new Promise<string>((resolve, reject) => {
        pending = reject
        output.write(question)
        muted = options.hidden === true
        rl.question('', (answer) => {
          pending = undefined
          if (muted) output.write('\n')
          muted = false
          resolve(answer)
        })
      })
    },
    write(text) {
      output.write(text)
    },
    close() {
      pending = undefined
      rl.close()
    },
  }
}
