// The TokenStorage contract (packages/core/test/storage-contract.ts) on the adapters a runtime can use.
import { join } from 'node:path'
import { fileStorage } from '../../packages/core/src/fs.ts'
import { memoryStorage } from '../../packages/core/src/index.ts'
import { storageContract } from '../../packages/core/test/storage-contract.ts'
import { type Harness, tempDir } from './harness.ts'

export function storageBehaviour(t: Harness): void {
  storageContract(t, 'memoryStorage', async () => ({ storage: memoryStorage(), cleanup: async () => {} }))
  storageContract(t, 'fileStorage', async () => {
    const dir = await tempDir()
    return {
      storage: fileStorage({ path: join(dir.path, 'creds.json'), lockTimeoutMs: 10_000 }),
      cleanup: dir.remove,
    }
  })
}
