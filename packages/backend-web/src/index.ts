export type { WebBackendSettings, WebDevice } from './web-backend.js';
export { createWebBackend } from './web-backend.js';
