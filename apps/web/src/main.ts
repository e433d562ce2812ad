import type { ChatMessage, ChatResult, ContentPart } from '@ivl/runtime';
import { cacheStorageWeightCache, connectRuntime, type RemoteRuntime } from '@ivl/runtime/web';
import { sampleVideoFrames } from '@ivl/video/web';
import { drawImage } from './draw-image.js';
import { eta, formatBytes } from './format.js';
import type { EngineInit } from './worker.js';

/** Frames sampled from a video (one tile each), as the model card's examples use. */
const FRAMES = 8;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  modelUrl: $<HTMLInputElement>('model-url'),
  modelFolder: $<HTMLInputElement>('model-folder'),
  device: $<HTMLSelectElement>('device'),
  form: $<HTMLFormElement>('model-form'),
  clearCache: $<HTMLButtonElement>('clear-cache'),
  loadStatus: $<HTMLDivElement>('load-status'),
  loadProgress: $<HTMLProgressElement>('load-progress'),
  dropZone: $<HTMLDivElement>('drop-zone'),
  mediaInput: $<HTMLInputElement>('media-input'),
  images: $<HTMLDivElement>('images'),
  frames: $<HTMLDivElement>('frames'),
  question: $<HTMLTextAreaElement>('question'),
  maxTiles: $<HTMLInputElement>('max-tiles'),
  maxNewTokens: $<HTMLInputElement>('max-new-tokens'),
  temperature: $<HTMLInputElement>('temperature'),
  cot: $<HTMLInputElement>('cot'),
  votes: $<HTMLInputElement>('votes'),
  ask: $<HTMLButtonElement>('ask'),
  stop: $<HTMLButtonElement>('stop'),
  answer: $<HTMLPreElement>('answer'),
  answerStats: $<HTMLDivElement>('answer-stats'),
  voteTable: $<HTMLTableElement>('vote-table'),
};

interface Picture {
  readonly blob: Blob;
  readonly bitmap: ImageBitmap;
  readonly canvas: HTMLCanvasElement;
}

/** What the page holds, and what its end-to-end tests read (`window.__ivl`). */
const state = {
  runtime: undefined as RemoteRuntime | undefined,
  worker: undefined as Worker | undefined,
  pictures: [] as Picture[],
  video: undefined as Blob | undefined,
  history: [] as ChatMessage[],
  grids: [] as ReturnType<typeof drawImage>[],
  lastResult: undefined as ChatResult | undefined,
  answering: undefined as AbortController | undefined,
  frameIndices: [] as number[],
  /** Milliseconds from the last Stop to the answer's end. */
  stopMs: undefined as number | undefined,
  stoppedAt: undefined as number | undefined,
  /** Loads finished (successfully or not), so that a caller can wait for the next one. */
  loads: 0,
  /** Answers finished (done, stopped or failed), likewise: a short one may start and end between two looks. */
  answers: 0,
  phase: 'idle' as 'idle' | 'loading' | 'ready' | 'answering' | 'failed',
};
(globalThis as { __ivl?: typeof state }).__ivl = state;

ui.modelUrl.value = new URL('models/tiny/', location.href).href;

function redraw(grounding: ChatResult['grounding'] = []) {
  const maxTiles = Number(ui.maxTiles.value) || 12;
  // The budget is shared by the images (spec §1.3), as the runtime shares it.
  const each = Math.max(1, Math.floor(maxTiles / Math.max(1, state.pictures.length)));
  state.grids = state.pictures.map((picture, index) =>
    drawImage(
      picture.canvas,
      picture.bitmap,
      each,
      index === 0 && state.pictures.length === 1 ? grounding : [],
    ),
  );
}

/** The frames the model will see (the official 8-segment sampling), as a strip. */
async function showFrames(video: Blob) {
  const sampled = await sampleVideoFrames(video, { segments: FRAMES });
  const canvases: HTMLCanvasElement[] = [];
  for await (const frame of sampled.frames) {
    const { width, height, data } = frame.image;
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let i = 0, j = 0; i < data.length; i += 3, j += 4) {
      rgba[j] = data[i]!;
      rgba[j + 1] = data[i + 1]!;
      rgba[j + 2] = data[i + 2]!;
      rgba[j + 3] = 255;
    }
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    canvas.title = `frame ${frame.index}`;
    canvas.getContext('2d')!.putImageData(new ImageData(rgba, width, height), 0, 0);
    canvases.push(canvas);
  }
  ui.frames.replaceChildren(...canvases);
  state.frameIndices = [...sampled.indices];
}

async function setMedia(files: readonly Blob[]) {
  state.pictures = [];
  state.video = undefined;
  state.history = [];
  ui.images.replaceChildren();
  ui.frames.replaceChildren();
  state.frameIndices = [];
  for (const file of files) {
    if (file.type.startsWith('video/')) {
      state.video = file;
      await showFrames(file);
      continue;
    }
    const bitmap = await createImageBitmap(file);
    const canvas = document.createElement('canvas');
    canvas.dataset.testid = 'picture';
    ui.images.append(canvas);
    state.pictures.push({ blob: file, bitmap, canvas });
  }
  redraw();
}

function describeDevice(runtime: RemoteRuntime, wanted: readonly string[]): Promise<string> {
  const device = runtime.backend.capabilities.device;
  if (device === 'webgpu' || !wanted.includes('webgpu')) return Promise.resolve(device);
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return Promise.resolve(`${device} (WebGPU: navigator.gpu is undefined in this browser)`);
  return gpu
    .requestAdapter()
    .then((adapter) => `${device} (WebGPU: ${adapter ? 'the adapter failed the probe' : 'no GPU adapter'})`);
}

async function loadModel(event: Event) {
  event.preventDefault();
  await state.runtime?.dispose();
  state.runtime = undefined;
  state.history = [];
  ui.ask.disabled = true;
  state.phase = 'loading';
  const device = ui.device.value.split(',') as EngineInit['device'];
  const folder = ui.modelFolder.files;
  const model: EngineInit['model'] =
    folder && folder.length > 0
      ? {
          // webkitRelativePath is `<folder>/<path>`: the path inside the model directory follows.
          files: new Map(
            [...folder].map((file) => [file.webkitRelativePath.split('/').slice(1).join('/'), file]),
          ),
        }
      : { baseUrl: ui.modelUrl.value };
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  state.worker = worker;
  const started = performance.now();
  ui.loadProgress.hidden = false;
  ui.loadStatus.textContent = 'Loading…';
  try {
    state.runtime = await connectRuntime<EngineInit>(
      worker,
      { model, device, wasmPaths: new URL('ort/', location.href).href },
      {
        onProgress: ({ loadedBytes, totalBytes, file }) => {
          ui.loadProgress.value = totalBytes ? loadedBytes / totalBytes : 0;
          ui.loadStatus.textContent = `Loading ${file}: ${formatBytes(loadedBytes)} of ${formatBytes(totalBytes)}, ETA ${eta(loadedBytes, totalBytes, started)}`;
        },
      },
    );
    const { manifest } = state.runtime;
    const threads = crossOriginIsolated
      ? 'multi-threaded wasm (cross-origin isolated)'
      : 'single-threaded wasm (not cross-origin isolated)';
    ui.loadStatus.textContent = `${manifest.family} LLM, InternViT-${manifest.vision.toUpperCase()}, ${state.runtime.dtype}, on ${await describeDevice(state.runtime, device)}; ${threads}; loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`;
    ui.loadStatus.dataset.device = state.runtime.backend.capabilities.device;
    ui.ask.disabled = false;
    state.phase = 'ready';
  } catch (error) {
    worker.terminate();
    ui.loadStatus.textContent = `Could not load the model: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    state.phase = 'failed';
  } finally {
    ui.loadProgress.hidden = true;
    state.loads++;
  }
}

async function ask() {
  const runtime = state.runtime;
  if (!runtime) return;
  const question = ui.question.value.trim();
  if (!question) return;
  const media: ContentPart[] =
    state.history.length > 0
      ? []
      : [
          ...state.pictures.map((picture): ContentPart => ({ type: 'image', image: picture.blob })),
          ...(state.video ? [{ type: 'video', video: state.video, frames: FRAMES } as ContentPart] : []),
        ];
  const messages: ChatMessage[] = [
    ...state.history,
    { role: 'user', content: [...media, { type: 'text', text: question }] },
  ];
  const votes = Number(ui.votes.value) || 1;
  const controller = new AbortController();
  state.answering = controller;
  state.phase = 'answering';
  ui.ask.disabled = true;
  ui.stop.disabled = false;
  ui.answer.textContent = '';
  ui.answerStats.textContent = '';
  ui.voteTable.hidden = true;
  try {
    for await (const event of runtime.chat(messages, {
      maxTiles: Number(ui.maxTiles.value) || 12,
      maxNewTokens: Number(ui.maxNewTokens.value) || 64,
      ...(ui.cot.checked && { reasoning: 'cot' as const }),
      // 0 is greedy; votes need samples (temperature 0.7 unless one is set).
      ...(Number(ui.temperature.value) > 0 && { doSample: true, temperature: Number(ui.temperature.value) }),
      ...(votes > 1 && {
        votes,
        doSample: true,
        temperature: Number(ui.temperature.value) || 0.7,
        topP: 0.95,
      }),
      signal: controller.signal,
    })) {
      if (event.type === 'image-encoded')
        ui.answerStats.textContent = `encoded ${event.tiles} tiles in ${event.ms.toFixed(0)} ms…`;
      else if (event.type === 'token-delta' && votes === 1) ui.answer.textContent += event.text;
      else if (event.type === 'sample-done' && votes > 1)
        ui.answer.textContent += `— sample ${event.sample + 1}: ${event.answer ?? '(no answer)'}\n`;
      else if (event.type === 'done') {
        state.lastResult = event;
        if (votes > 1) ui.answer.textContent += `\n${event.text}`;
        const { usage, timings } = event;
        ui.answerStats.textContent = `${usage.promptTokens} prompt tokens (${usage.imageTokens} image, ${usage.reusedTokens} reused), ${usage.generatedTokens} generated; prefill ${timings.prefillMs.toFixed(0)} ms, ${timings.decodeTokensPerSecond.toFixed(1)} tokens/s; ${event.finishReason}`;
        if (event.vote) {
          ui.voteTable.tBodies[0]!.replaceChildren(
            ...event.vote.votes.map((vote) => {
              const row = document.createElement('tr');
              row.innerHTML = `<td></td><td>${vote.count}</td>`;
              row.cells[0]!.textContent = vote.answer;
              return row;
            }),
          );
          ui.voteTable.hidden = false;
        }
        redraw(event.grounding);
        state.history = [...messages, { role: 'assistant', content: event.text }];
      }
    }
  } catch (error) {
    const stopped = controller.signal.aborted;
    ui.answerStats.textContent = stopped
      ? 'Stopped.'
      : `Failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  } finally {
    if (state.stoppedAt !== undefined) state.stopMs = performance.now() - state.stoppedAt;
    state.stoppedAt = undefined;
    state.answering = undefined;
    state.answers++;
    state.phase = 'ready';
    ui.ask.disabled = false;
    ui.stop.disabled = true;
  }
}

ui.form.addEventListener('submit', (event) => void loadModel(event));
ui.ask.addEventListener('click', () => void ask());
ui.stop.addEventListener('click', () => {
  state.stoppedAt = performance.now();
  state.answering?.abort();
});
ui.maxTiles.addEventListener('change', () => redraw(state.lastResult?.grounding));
ui.clearCache.addEventListener('click', async () => {
  await cacheStorageWeightCache().clear();
  ui.loadStatus.textContent = 'Weight cache cleared: the next load downloads the weights again.';
});
ui.mediaInput.addEventListener('change', () => void setMedia([...(ui.mediaInput.files ?? [])]));
ui.dropZone.addEventListener('dragover', (event) => {
  event.preventDefault();
  ui.dropZone.classList.add('over');
});
ui.dropZone.addEventListener('dragleave', () => ui.dropZone.classList.remove('over'));
ui.dropZone.addEventListener('drop', (event) => {
  event.preventDefault();
  ui.dropZone.classList.remove('over');
  void setMedia([...(event.dataTransfer?.files ?? [])]);
});

// The bundled sample picture (a PNG: decoded to the same pixels everywhere), so that the first
// question needs nothing but a model.
void fetch(new URL('sample.png', location.href))
  .then((response) => response.blob())
  .then((blob) => setMedia([blob]));
