export { AbortedError, throwIfAborted } from './aborted-error.js';
export { BackendUnavailableError } from './backend-unavailable-error.js';
export { ImageDecodeError } from './image-decode-error.js';
export { ImageTooLargeError } from './image-too-large-error.js';
export { InvalidArgumentError } from './invalid-argument-error.js';
export { IvlError } from './ivl-error.js';
export { ModelLoadError } from './model-load-error.js';
export { ShapeMismatchError } from './shape-mismatch-error.js';
