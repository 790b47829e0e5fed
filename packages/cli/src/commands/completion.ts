/**
 * `aac completion bash|zsh|fish`: a completion script written from the commander program itself, so new
 * commands and options complete without anyone editing a script. Values complete by the placeholder an option
 * declares: `<file>` files, `<dir>` folders, `<method>` the HTTP methods, choices (`<shell>`) themselves.
 */

import { Argument, type Command, type Option } from 'commander'
import { UsageError } from '../exit-codes.ts'
import type { RegisterCommand } from './command.ts'

const SHELLS = ['bash', 'zsh', 'fish'] as const
type Shell = (typeof SHELLS)[number]

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']

export const register: RegisterCommand = (program, { io }) =>
  program
    .command('completion')
    .description('Print a shell completion script: source <(aac completion bash), or see --help.')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(SHELLS))
    .addHelpText(
      'after',
      `
Load it in the current shell, or each time one starts:
  bash  source <(aac completion bash)         in ~/.bashrc
  zsh   source <(aac completion zsh)          in ~/.zshrc, after compinit
  fish  aac completion fish | source          or save it as ~/.config/fish/completions/aac.fish`,
    )
    .action((shell: Shell, _options: unknown, command: Command) => {
      const root = command.parent
      if (!root) throw new UsageError('completion: no program to describe')
      io.stdout.write(completionScript(shell, describe(root)))
    })

/** What a completion needs of one option. */
interface OptionSpec {
  flags: string[]
  description: string
  /** May be given more than once. */
  repeatable: boolean
  /** What its value is, when it takes one. */
  value: 'file' | 'dir' | 'method' | 'any' | undefined
}

interface CommandSpec {
  name: string
  description: string
  options: OptionSpec[]
  /** Values the first argument may take (`aac completion <shell>`). */
  choices: string[]
}

interface ProgramSpec {
  name: string
  options: OptionSpec[]
  commands: CommandSpec[]
}

const HELP: OptionSpec = {
  flags: ['-h', '--help'],
  description: 'display help',
  repeatable: false,
  value: undefined,
}

function optionSpec(option: Option): OptionSpec {
  const flags = [option.short, option.long].filter((flag): flag is string => typeof flag === 'string')
  const placeholder = /[<[]([\w-]+)/.exec(option.flags)?.[1] ?? ''
  const takesValue = option.required || option.optional
  const value = !takesValue
    ? undefined
    : /^(file|path)$/.test(placeholder)
      ? 'file'
      : /^(dir|folder)$/.test(placeholder)
        ? 'dir'
        : placeholder === 'method'
          ? 'method'
          : 'any'
  const repeatable = option.variadic || typeof (option as { parseArg?: unknown }).parseArg === 'function'
  return { flags, description: option.description, repeatable, value }
}

/**
 * The program as the scripts need it: commands, their options and argument choices.
 *
 * @example
 * completionScript('bash', describe(program))
 */
export function describe(program: Command): ProgramSpec {
  const visible = (option: Option) => !option.hidden
  return {
    name: program.name(),
    options: [...program.options.filter(visible).map(optionSpec), HELP],
    commands: program.commands
      .filter((command) => !(command as { _hidden?: boolean })._hidden)
      .map((command) => ({
        name: command.name(),
        description: command.description(),
        options: [...command.options.filter(visible).map(optionSpec), HELP],
        choices: [...(command.registeredArguments[0]?.argChoices ?? [])],
      })),
  }
}

/** The script for `shell`. */
export function completionScript(shell: Shell, spec: ProgramSpec): string {
  if (shell === 'bash') return bashScript(spec)
  if (shell === 'zsh') return zshScript(spec)
  return fishScript(spec)
}

/** A function name from the program's name: `aac` → `_aac`. */
const fn = (spec: ProgramSpec) => `_${spec.name.replace(/\W/g, '_')}`
const words = (options: OptionSpec[]) => options.flatMap((option) => option.flags)
const withValue = (options: OptionSpec[]) => words(options.filter((option) => option.value !== undefined))

function bashScript(spec: ProgramSpec): string {
  const valueCases = (options: OptionSpec[]) =>
    options
      .filter((option) => option.value !== undefined)
      .map((option) => {
        const reply =
          option.value === 'method'
            ? `COMPREPLY=($(compgen -W "${METHODS.join(' ')}" -- "$cur"))`
            : option.value === 'dir'
              ? 'COMPREPLY=($(compgen -d -- "$cur"))'
              : // A file, or a free value: nothing here, and `-o default` offers file names.
                'COMPREPLY=()'
        return `        ${option.flags.join('|')}) ${reply}; return ;;`
      })
      .join('\n')
  const commandCases = spec.commands
    .map((command) => {
      // Options after a dash; else the argument's choices, or nothing (so `-o default` offers file names).
      const other = command.choices.length > 0 ? compgen(command.choices) : 'COMPREPLY=()'
      const values = valueCases(command.options)
      const byPrevious = values ? `        case $prev in\n${values}\n        esac\n` : ''
      return `      ${command.name})
${byPrevious}        if [[ $cur == -* ]]; then ${compgen(words(command.options))}; else ${other}; fi ;;`
    })
    .join('\n')
  return `# ${spec.name} completion for bash, written by \`${spec.name} completion bash\`.
# Load it with: source <(${spec.name} completion bash)
${fn(spec)}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} command= i
  # The command is the first word that is neither an option nor the value of a global option.
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in
      ${withValue(spec.options).join('|') || '--never-a-flag'}) ((i++)) ;;
      -*) ;;
      *) command=\${COMP_WORDS[i]}; break ;;
    esac
  done
  case $command in
    '')
      case $prev in
${valueCases(spec.options)}
      esac
      ${compgen([...spec.commands.map((command) => command.name), ...words(spec.options)])} ;;
${commandCases}
  esac
}
complete -o default -F ${fn(spec)} ${spec.name}
`
}

function compgen(list: string[]): string {
  return `COMPREPLY=($(compgen -W "${list.join(' ')}" -- "$cur"))`
}

/** Text inside a zsh `'…[description]'` spec: no quote, bracket or colon left to end it early. */
function zshText(text: string): string {
  return text.replace(/([[\]:\\])/g, '\\$1').replace(/'/g, "'\\''")
}

function zshArgs(options: OptionSpec[]): string {
  return options
    .map((option) => {
      // A repeatable option (-f, -F, -H: commander collects them through a parser) may be given again.
      const exclusive = option.repeatable ? "'*'" : `'(${option.flags.join(' ')})'`
      const names =
        option.flags.length > 1
          ? `${exclusive}{${option.flags.join(',')}}`
          : `'${option.repeatable ? '*' : ''}${option.flags[0]}`
      const open = option.flags.length > 1 ? "'" : ''
      const action =
        option.value === undefined
          ? ''
          : option.value === 'file'
            ? ':file:_files'
            : option.value === 'dir'
              ? ':folder:_files -/'
              : option.value === 'method'
                ? `:method:(${METHODS.join(' ')})`
                : ':value: '
      return `${names}${open}[${zshText(option.description)}]${action}'`
    })
    .join(' \\\n        ')
}

function zshScript(spec: ProgramSpec): string {
  const commands = spec.commands.map(
    (command) => `'${zshText(command.name)}:${zshText(command.description)}'`,
  )
  const cases = spec.commands
    .map((command) => {
      const argument =
        command.choices.length > 0 ? ` \\\n        '1:${command.name}:(${command.choices.join(' ')})'` : ''
      return `      ${command.name})
        _arguments -s \\
        ${zshArgs(command.options)}${argument} ;;`
    })
    .join('\n')
  return `#compdef ${spec.name}
# ${spec.name} completion for zsh, written by \`${spec.name} completion zsh\`.
# Load it with: source <(${spec.name} completion zsh)   (after compinit), or save it as _${spec.name} on $fpath.
${fn(spec)}() {
  local context state state_descr line
  typeset -A opt_args
  local -a commands
  commands=(${commands.join(' ')})
  _arguments -C \\
        ${zshArgs(spec.options)} \\
        '1: :->command' '*:: :->args'
  case $state in
    command) _describe -t commands 'command' commands ;;
    args)
      case $line[1] in
${cases}
      esac ;;
  esac
}
if [[ $funcstack[1] == ${fn(spec)} ]]; then
  ${fn(spec)} "$@"
else
  compdef ${fn(spec)} ${spec.name}
fi
`
}

/** Text inside a fish single-quoted string. */
function fishText(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

function fishOptions(spec: ProgramSpec, condition: string, options: OptionSpec[]): string[] {
  return options.map((option) => {
    const names = option.flags.map((flag) =>
      flag.startsWith('--') ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`,
    )
    const value =
      option.value === undefined
        ? ''
        : option.value === 'file'
          ? ' -r -F'
          : option.value === 'dir'
            ? " -r -f -a '(__fish_complete_directories)'"
            : option.value === 'method'
              ? ` -x -a ${fishText(METHODS.join(' '))}`
              : ' -x'
    return `complete -c ${spec.name} -n ${fishText(condition)} ${names.join(' ')}${value} -d ${fishText(option.description)}`
  })
}

function fishScript(spec: ProgramSpec): string {
  const names = spec.commands.map((command) => command.name).join(' ')
  const lines = [
    `# ${spec.name} completion for fish, written by \`${spec.name} completion fish\`.`,
    `# Load it with: ${spec.name} completion fish | source   (or save it in ~/.config/fish/completions/${spec.name}.fish)`,
    `complete -c ${spec.name} -f`,
    ...fishOptions(spec, `not __fish_seen_subcommand_from ${names}`, spec.options),
    ...spec.commands.map(
      (command) =>
        `complete -c ${spec.name} -n ${fishText(`not __fish_seen_subcommand_from ${names}`)} -a ${command.name} -d ${fishText(command.description)}`,
    ),
  ]
  for (const command of spec.commands) {
    const seen = `__fish_seen_subcommand_from ${command.name}`
    lines.push(...fishOptions(spec, seen, command.options))
    if (command.choices.length > 0) {
      lines.push(`complete -c ${spec.name} -n ${fishText(seen)} -a ${fishText(command.choices.join(' '))}`)
    }
  }
  return `${lines.join('\n')}\n`
}
