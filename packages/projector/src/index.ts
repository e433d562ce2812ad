export { pixelShuffle } from './pixel-shuffle.js';
export type { ProjectEmbeddingsOptions } from './project-embeddings.js';
export { projectEmbeddings } from './project-embeddings.js';
