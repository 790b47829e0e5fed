// The TokenStorage contract (packages/core/test/storage-contract.ts) on every store of the list
// (packages/core/test/storage-stores.ts) this runtime can run.
import { storeContracts } from '../../packages/core/test/storage-stores.ts'
import { type Harness, tempDir } from './harness.ts'

export function storageBehaviour(t: Harness): void {
  storeContracts(t, { tempDir })
}
