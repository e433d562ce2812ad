/** Bytes per second moved by `threads` threads at once (the higher of a memcmp and a memcpy probe). */
export function memoryBandwidth(threads: number): Promise<number>;
