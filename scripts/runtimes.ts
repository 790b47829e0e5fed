// How each runtime's example is started, shared by the demo and the integration tests so they cannot drift.
import { join } from 'node:path'
import process from 'node:process'

export interface ExampleRun {
  /** What the demo calls it. */
  title: string
  command: string
  args: string[]
  /** The command as a user would type it. */
  display: string
}

export function nodeExample(root: string, script = 'get_workspace.ts'): ExampleRun {
  const file = join(root, 'examples', 'node', script)
  return {
    title: 'Node',
    command: process.execPath,
    args: ['--import', 'tsx', file],
    display: `tsx examples/node/${script}`,
  }
}

/** The examples the demo runs, in order. */
export function demoRuns(root: string): ExampleRun[] {
  return [nodeExample(root)]
}
