// Kept while the stores move (see abort.ts, the one home of these helpers).
export { anySignal } from './abort.ts'
