// Kept while the stores move (see abort.ts, the one home of these helpers).
export { abortReason, backoffDelay, sleep, untilAborted } from './abort.ts'
