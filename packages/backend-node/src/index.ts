export type { NodeBackendSettings, NodeDevice } from './node-backend.js';
export { createNodeBackend } from './node-backend.js';
