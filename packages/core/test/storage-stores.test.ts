// The storage contract on every store of the list (storage-stores.ts) under Node: webStorage on doubles of
// IndexedDB and Web Locks, fileStorage in a temp folder of its own per case.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { it } from 'vitest'
import { storeContracts } from './storage-stores.ts'

storeContracts(
  { test: (name, fn) => it(name, fn) },
  {
    async tempDir() {
      const path = await mkdtemp(join(tmpdir(), 'aac-storage-'))
      return { path, remove: () => rm(path, { recursive: true, force: true }) }
    },
  },
)
