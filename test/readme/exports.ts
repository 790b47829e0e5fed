// Lists every export of every @aac/core entry (package.json "exports") and whether its declaration carries a
// doc comment. TypeDoc cannot run on TypeScript 7 (it needs the compiler's JS API, which the native tsc lacks),
// so this reads the sources line by line: they are biome-formatted, one declaration per statement.
import { readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface ExportedName {
  /** The entry as a consumer imports it, e.g. '@aac/core/fs'. */
  entry: string
  /** The name the entry exports. */
  name: string
  /** Where it is declared, relative to the repo root, with the line. */
  at: string
  documented: boolean
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CORE = join(ROOT, 'packages/core')
const DECLARATION =
  /^(export\s+)?(declare\s+)?(async\s+)?(abstract\s+)?(function\*?|const|let|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/
const RE_EXPORT = /^export\s+(type\s+)?\{([^}]*)\}\s*(from\s+'([^']+)')?/s
const IMPORT = /^import\s+(?:type\s+)?\{([^}]*)\}\s*from\s+'([^']+)'/s
const STAR = /^export\s+\*\s+from\s+'([^']+)'/

/** The entries of @aac/core and the file each one points at. */
export function coreEntries(): Array<{ entry: string; file: string }> {
  const manifest = JSON.parse(readFileSync(join(CORE, 'package.json'), 'utf8')) as {
    exports: Record<string, string>
  }
  return Object.entries(manifest.exports).map(([key, target]) => ({
    entry: key === '.' ? '@aac/core' : `@aac/core/${key.slice(2)}`,
    file: resolve(CORE, target),
  }))
}

/** Every name exported by every entry, with its declaration and whether a `/** … *\/` comment precedes it. */
export function coreExports(): ExportedName[] {
  return coreEntries().flatMap(({ entry, file }) =>
    [...exportsOf(file)].map(([name, found]) => ({ entry, name, ...found })),
  )
}

type Found = { at: string; documented: boolean }
const cache = new Map<string, Map<string, Found>>()

function exportsOf(file: string): Map<string, Found> {
  const cached = cache.get(file)
  if (cached) return cached
  const result = new Map<string, Found>()
  cache.set(file, result)
  const text = readFileSync(file, 'utf8')
  for (const statement of topLevelStatements(text)) {
    const star = STAR.exec(statement.text)
    if (star?.[1]) {
      for (const [name, found] of exportsOf(join(dirname(file), star[1]))) result.set(name, found)
      continue
    }
    const list = RE_EXPORT.exec(statement.text)
    if (list?.[2] !== undefined) {
      for (const item of list[2].split(',').map((part) => part.trim().replace(/^type\s+/, ''))) {
        if (!item) continue
        const [original = item, alias = original] = item.split(/\s+as\s+/)
        const source = list[4] ? join(dirname(file), list[4]) : file
        result.set(alias, declarationOf(source, original))
      }
      continue
    }
    const declared = DECLARATION.exec(statement.text)
    if (declared?.[1] && declared[6]) result.set(declared[6], found(file, statement))
  }
  return result
}

function declarationOf(file: string, name: string): Found {
  const exported = exportsOf(file).get(name)
  if (exported) return exported
  for (const statement of topLevelStatements(readFileSync(file, 'utf8'))) {
    if (DECLARATION.exec(statement.text)?.[6] === name) return found(file, statement)
  }
  for (const statement of topLevelStatements(readFileSync(file, 'utf8'))) {
    const imported = IMPORT.exec(statement.text)
    if (!imported?.[1] || !imported[2]) continue
    for (const item of imported[1].split(',').map((part) => part.trim().replace(/^type\s+/, ''))) {
      const [original = item, alias = original] = item.split(/\s+as\s+/)
      if (alias === name) return declarationOf(join(dirname(file), imported[2]), original)
    }
  }
  throw new Error(`${relative(ROOT, file)} declares no ${name}`)
}

function found(file: string, statement: Statement): Found {
  return { at: `${relative(ROOT, file)}:${statement.line}`, documented: statement.documented }
}

const MEMBER = /^ {2}(?:readonly |declare |static |get |async )*([A-Za-z_$][\w$]*)[?!]?\s*[(:<]/

/**
 * The public members of an exported interface or class, each with whether a doc comment ends on the line right
 * above it. Constructors and `override`s (documented where they are first declared) are left out.
 */
export function membersOf(exported: ExportedName): ExportedName[] {
  const [path = '', line = '0'] = exported.at.split(/:(?=\d+$)/)
  const lines = readFileSync(join(ROOT, path), 'utf8').split('\n')
  const start = Number(line) - 1
  if (!/^export (declare )?(abstract )?(interface|class) /.test(lines[start] ?? '')) return []
  if (lines[start]?.trimEnd().endsWith('}')) return []
  const members: ExportedName[] = []
  for (let index = start + 1; index < lines.length && !lines[index]?.startsWith('}'); index++) {
    const name = MEMBER.exec(lines[index] ?? '')?.[1]
    if (!name || name === 'constructor') continue
    members.push({
      entry: exported.entry,
      name: `${exported.name}.${name}`,
      at: `${path}:${index + 1}`,
      documented: (lines[index - 1] ?? '').trimEnd().endsWith('*/'),
    })
  }
  return members
}

interface Statement {
  text: string
  line: number
  /** A doc comment (`/**`) ends on the line right above it. */
  documented: boolean
}

/** Statements that start at column 0 (biome indents everything nested), with the doc comment status. */
function topLevelStatements(text: string): Statement[] {
  const lines = text.split('\n')
  const statements: Statement[] = []
  let comment: 'none' | 'doc' | 'other' = 'none'
  let inComment = false
  for (const [index, line] of lines.entries()) {
    if (inComment) {
      if (line.includes('*/')) inComment = false
      continue
    }
    if (line.startsWith('/**')) {
      comment = 'doc'
      inComment = !line.includes('*/')
      continue
    }
    if (line.startsWith('/*')) {
      comment = 'other'
      inComment = !line.includes('*/')
      continue
    }
    if (line.startsWith('//')) continue
    if (line === '') {
      comment = 'none'
      continue
    }
    if (/^[A-Za-z]/.test(line)) {
      const rest = /^(export|import)( type)? \{/.test(line) ? lines.slice(index) : [line]
      const end = rest.findIndex((part) => part.includes('}'))
      statements.push({
        text: line.includes('{') && end >= 0 ? rest.slice(0, end + 1).join('\n') : line,
        line: index + 1,
        documented: comment === 'doc',
      })
    }
    comment = 'none'
  }
  return statements
}
