export * from '../index.js';
export { loadTokenizer } from './load-tokenizer.js';
