export { Admission, QueueFullError } from './admission.js';
export type { ChatRequest, RequestLimits } from './chat-request.js';
export { chatRequestSchema, toRuntimeRequest } from './chat-request.js';
export type { IvlServer, ServerSettings } from './create-server.js';
export { createServer } from './create-server.js';
export type { OpenAIErrorBody } from './openai-errors.js';
export { HttpError, toOpenAIError } from './openai-errors.js';
