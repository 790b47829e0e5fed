// aac completion: scripts written from the program, loaded and asked for completions in real bash, zsh and fish.
import { writeFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { runAac } from './api-run.ts'
import { bin, execute, useCloud } from './helpers.ts'

// Only for its temp folders: completion needs no configuration.
const fake = useCloud()

/** Lines a bash completion function offers for `line` (a trailing space starts a new, empty word). */
const BASH_ASK = `ask() {
  read -ra COMP_WORDS <<< "$1"
  [[ $1 == *' ' ]] && COMP_WORDS+=('')
  COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _aac
  echo "$1=> \${COMPREPLY[*]}"
}`

describe('aac completion', () => {
  it('bash: loads with source <(aac completion bash) and completes commands, options and values', async () => {
    const script = `source <("${process.execPath}" "${bin}" completion bash) || exit 1
complete -p aac
${BASH_ASK}
ask 'aac ap'
ask 'aac api --pag'
ask 'aac api --paginate --sl'
ask 'aac api -X P'
ask 'aac completion '
ask 'aac --config-dir /tmp comp'
ask 'aac doctor --'`
    const result = await execute('bash', ['-c', script])
    expect(result.stderr).toBe('')
    expect(result.stdout.split('\n')).toEqual([
      'complete -o default -F _aac aac',
      'aac ap=> api',
      'aac api --pag=> --paginate',
      'aac api --paginate --sl=> --slurp',
      'aac api -X P=> POST PUT PATCH',
      'aac completion => bash zsh fish',
      'aac --config-dir /tmp comp=> completion',
      expect.stringMatching(/^aac doctor --=> .*--json.* --help$/),
      '',
    ])
  })

  it('stays in sync with the program: every command of aac --help, every option of aac api', async () => {
    const bash = (await runAac(['completion', 'bash'])).stdout
    const help = (await runAac(['--help'])).stdout
    const commands = [...help.matchAll(/^ {2}([a-z]+)\b/gm)].map((match) => match[1]!)
    expect(commands).toEqual(expect.arrayContaining(['api', 'token', 'doctor', 'completion']))
    for (const command of commands.filter((name) => name !== 'help'))
      expect(bash).toContain(`      ${command})`)
    const apiHelp = (await runAac(['api', '--help'])).stdout
    for (const [flag] of apiHelp.matchAll(/--[a-z-]+/g)) expect(bash).toContain(flag)
  })

  it('zsh: the script parses and registers _aac for aac after compinit', async () => {
    const dir = await fake.tempDir()
    const file = `${dir}/_aac`
    await writeFile(file, (await runAac(['completion', 'zsh'])).stdout)
    const syntax = await execute('zsh', ['-n', file])
    expect(syntax).toMatchObject({ code: 0, stderr: '' })
    const loaded = await execute('zsh', [
      '-fc',
      `autoload -U compinit && compinit -u -d "${dir}/zcompdump" && source "${file}" && print -r -- $_comps[aac]`,
    ])
    expect(loaded).toMatchObject({ code: 0, stdout: '_aac\n', stderr: '' })
  })

  it('fish: the script parses and completes through complete -C', async () => {
    const dir = await fake.tempDir()
    const file = `${dir}/aac.fish`
    await writeFile(file, (await runAac(['completion', 'fish'])).stdout)
    expect(await execute('fish', ['--no-execute', file])).toMatchObject({ code: 0, stderr: '' })
    const asked = await execute('fish', [
      '-c',
      `source "${file}"; complete -C 'aac ap'; complete -C 'aac api --sl'; complete -C 'aac api -X PU'; complete -C 'aac completion f'`,
    ])
    expect(asked.stderr).toBe('')
    expect(asked.stdout.split('\n').map((line) => line.split('\t')[0])).toEqual([
      'api',
      '--slurp',
      'PUT',
      'fish',
      '',
    ])
  })

  it('refuses a shell it does not know', async () => {
    const result = await runAac(['completion', 'powershell'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(
      "'powershell' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish",
    )
  })
})
