// tooling/fixtures/onnx/add.onnx (y = a + b): created once per device at init() to prove the
// execution provider really loads, before any real model is opened.
export const PROBE_MODEL_BASE64 =
  'CAgSDGl2bC1maXh0dXJlczpLCg4KAWEKAWISAXkiA0FkZBIDYWRkWhAKAWESCwoJCAESBQoDEgFuWhAKAWISCwoJCAESBQoDEgFuYhAKAXkSCwoJCAESBQoDEgFuQgQKABAR';
