// tooling/fixtures/onnx/add.onnx (y = a + b, opset 17).
const PROBE_MODEL_BASE64 =
  'CAgSDGl2bC1maXh0dXJlczpLCg4KAWEKAWISAXkiA0FkZBIDYWRkWhAKAWESCwoJCAESBQoDEgFuWhAKAWISCwoJCAESBQoDEgFuYhAKAXkSCwoJCAESBQoDEgFuQgQKABAR';

/**
 * A 99-byte ONNX model (y = a + b) a backend can load once per device in `init()` to prove the
 * device really works before any real model is opened.
 * @remarks For backend authors.
 */
export function probeModelBytes(): Uint8Array {
  return Uint8Array.from(atob(PROBE_MODEL_BASE64), (c) => c.charCodeAt(0));
}
