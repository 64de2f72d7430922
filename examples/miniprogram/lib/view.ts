/**
 * What a logic module needs from a page: its `data` and `setData`. A `Page` instance is one;
 * tests pass `captureView()` from test/support to record every update.
 */
export interface ViewSink<D extends object = Record<string, unknown>> {
  data: D;
  setData(patch: Record<string, unknown>, callback?: () => void): void;
}
