/**
 * Points the Vulkan loader at Chromium's SwiftShader so that onnxruntime-node's WebGPU device finds
 * an adapter without a GPU; on a GPU machine (IVL_GPU) changes nothing. Call before the first
 * WebGPU session of the test file.
 */
export function useSoftwareWebGpu(): 'gpu' | 'swiftshader' | undefined;
