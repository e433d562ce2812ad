import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';

// Chromium's SwiftShader: a Vulkan driver on the CPU, installed with the browser tests' Chromium.
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const VULKAN_LOADER = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/lib/x86_64-linux-gnu/libvulkan.so.1'];

/**
 * Points the Vulkan loader at SwiftShader, so that onnxruntime-node's WebGPU device (Dawn on
 * Vulkan) finds an adapter on a machine without a GPU, and says whether it did. On a GPU machine
 * (IVL_GPU set) nothing is changed and the real adapter is used. Call it at the top of a test file,
 * before the first WebGPU session: the loader reads the variable once, when Dawn starts (each test
 * file runs in a process of its own).
 * @returns {'gpu' | 'swiftshader' | undefined} the adapter WebGPU tests get, or undefined: skip them
 */
export function useSoftwareWebGpu() {
  if (process.env.IVL_GPU) return 'gpu';
  if (!existsSync(SWIFTSHADER) || !VULKAN_LOADER.some((path) => existsSync(path))) return undefined;
  process.env.VK_ICD_FILENAMES = SWIFTSHADER;
  // The loader warns on every start without it.
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
  return 'swiftshader';
}
