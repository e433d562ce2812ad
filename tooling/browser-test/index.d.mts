export function findChromium(): string | undefined;
export function runInChromium<T = unknown>(options: {
  entry: string;
  files?: Record<string, string>;
  directories?: Record<string, string>;
  webgpu?: boolean;
  timeoutMs?: number;
}): Promise<T>;
