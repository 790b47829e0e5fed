// jq-web ships no types: a CommonJS module whose export is a promise of { raw, json }. See jq.ts.
declare module 'jq-web' {
  const jq: Promise<unknown>
  export default jq
}
