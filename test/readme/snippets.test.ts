// The code in the READMEs and docs/ compiles and the runnable snippets run: every ```ts block of README.md,
// docs/*.md and packages/*/README.md is type-checked by tsc, and the files of test/readme/snippets/, each shown
// verbatim in a README, run against the fake cloud.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fakeWorkspace, ROOT, run, type Workspace } from '../helpers.ts'

const SNIPPETS = join(ROOT, 'test/readme/snippets')
// Inside node_modules: ignored by git, and `@aac/*` resolve from there as from the repo.
const OUT = join(ROOT, 'node_modules/.cache/aac-readme-snippets')

/** The names a snippet may use without declaring them: a client, its config, a signal, a pair's tokens. */
const FREE_NAMES = `declare const client: import('@aac/core').Client
declare const config: import('@aac/core').AacConfig
declare const signal: AbortSignal
declare const accessToken: string
declare const refreshToken: string
`

async function markdownFiles(): Promise<string[]> {
  const docs = (await readdir(join(ROOT, 'docs')))
    .filter((name) => name.endsWith('.md'))
    .map((n) => `docs/${n}`)
  const packages = await readdir(join(ROOT, 'packages'))
  return ['README.md', ...docs, ...packages.map((name) => `packages/${name}/README.md`)]
}

async function tsBlocks(file: string): Promise<Array<{ line: number; code: string }>> {
  const text = await readFile(join(ROOT, file), 'utf8').catch(() => '')
  return [...text.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```/gm)].map((match) => ({
    line: text.slice(0, match.index).split('\n').length,
    code: match[1] ?? '',
  }))
}

describe('the documentation snippets', () => {
  it('type-check, every ```ts block of the READMEs and docs/', async () => {
    await rm(OUT, { recursive: true, force: true })
    await mkdir(OUT, { recursive: true })
    const files: string[] = []
    for (const markdown of await markdownFiles()) {
      for (const { line, code } of await tsBlocks(markdown)) {
        const name = `${markdown.replace(/[/.]/g, '_')}_line${line}.ts`
        // A module of its own (top-level await, its own names), saying where it came from.
        await writeFile(join(OUT, name), `// ${markdown}:${line}\n${code}export {}\n`)
        files.push(name)
      }
    }
    expect(files.length).toBeGreaterThan(5)
    await writeFile(join(OUT, 'free-names.d.ts'), FREE_NAMES)
    const tsconfig = {
      extends: join(ROOT, 'tsconfig.base.json'),
      compilerOptions: { types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] },
      files: ['free-names.d.ts', ...files],
    }
    await writeFile(join(OUT, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
    await expectTypeChecks(join(OUT, 'tsconfig.json'))
  })

  it('type-check, the runnable snippets of test/readme/snippets', async () => {
    await expectTypeChecks(join(ROOT, 'test/readme'))
  })

  it('are shown verbatim in a README, each file of test/readme/snippets', async () => {
    const shown = (await Promise.all((await markdownFiles()).map(tsBlocks))).flat().map(({ code }) => code)
    for (const name of await readdir(SNIPPETS)) {
      expect(shown, `${name} is not a \`\`\`ts block of any README`).toContain(
        await readFile(join(SNIPPETS, name), 'utf8'),
      )
    }
  })

  describe('run against the fake cloud', () => {
    let ws: Workspace
    beforeAll(async () => {
      ws = await fakeWorkspace({ people: 12 })
    })
    afterAll(() => ws.close())
    const tsx = (name: string) =>
      run(join(ROOT, 'node_modules/.bin/tsx'), [join(SNIPPETS, name)], { env: { AAC_CONFIG_DIR: ws.dir } })

    it('the first program: the workspace and its admins, after one refresh', async () => {
      const result = await tsx('first-program.ts')
      expect(result).toMatchObject({ code: 0, stderr: '' })
      expect(result.stdout).toMatch(/^Fake Workspace: 12 members\n\d+ admins\n$/)
      expect(ws.cloud.stats().refreshes).toBe(1)
    })

    it('the error handling: a 404 is an ApiError with its status', async () => {
      const result = await tsx('errors.ts')
      expect(result).toMatchObject({ code: 0, stdout: 'no flow 0\n', stderr: '' })
    })
  })
})

/** `tsc --noEmit -p project` prints nothing and succeeds. */
async function expectTypeChecks(project: string): Promise<void> {
  const result = await run(join(ROOT, 'node_modules/.bin/tsc'), ['--noEmit', '-p', project])
  expect(result.stdout + result.stderr).toBe('')
  expect(result.code).toBe(0)
}
