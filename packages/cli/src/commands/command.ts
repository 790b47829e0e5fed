/** What a command module needs to add itself to the `aac` program: its commander command and the outside world. */

import type { Command } from 'commander'
import type { CliIo } from '../io.ts'

export interface CommandContext {
  io: CliIo
  /**
   * The code run() resolves to when the command ends without throwing. Only `aac doctor` needs it: a failing
   * check is reported, not thrown. A thrown error's code comes from exitCodeFor instead.
   */
  setExitCode(code: number): void
}

/**
 * Each module under commands/ exports one: it declares the command, its arguments and options (with the one
 * interface `.opts<T>()` reads them as), and its action.
 *
 * @example
 * export const register: RegisterCommand = (program, { io }) =>
 *   program.command('token').option('--json', 'print it as JSON').action(async (_options, command) => {
 *     await tokenCommand(command.opts<TokenOptions>(), io)
 *   })
 */
export type RegisterCommand = (program: Command, context: CommandContext) => Command
