export type { ConformanceFixtures } from './describe-backend-conformance.js';
export { describeBackendConformance } from './describe-backend-conformance.js';
