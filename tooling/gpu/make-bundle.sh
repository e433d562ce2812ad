#!/usr/bin/env bash
# Assembles .gpu/ (git-ignored) for a one-shot run on a lent GPU machine that has no Node:
# an xz'd node binary, onnxruntime-node (its libonnxruntime xz'd), the built @ivl/core and
# @ivl/backend-node, the ONNX fixtures and check.mjs (backend conformance); llm-gpu.mjs, the LLM
# bench of issue 15 bundled with the packages it runs (it makes and converts its model there) and
# the tokenizer it needs; and .gl/ with the Vulkan/GLVND loader debs. Run there (device tool, carry
# [".gpu", ".gl"]):
#   for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig; cd .gpu && xz -d node.xz && chmod +x node &&
#   xz -dc libonnxruntime.so.1.xz > node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1 &&
#   export XDG_RUNTIME_DIR=/tmp VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json &&
#   ./node check.mjs && ./node llm-gpu.mjs webgpu fp16,q4 /tmp/ivl-gpu   (appends to $OUT/llm-gpu.jsonl)
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.gpu/' .git/info/exclude || echo '/.gpu/' >> .git/info/exclude
grep -qx '/.gl/' .git/info/exclude || echo '/.gl/' >> .git/info/exclude
ORT=$(dirname "$(readlink -f node_modules/.pnpm/onnxruntime-node@1.30.0/node_modules/onnxruntime-node/package.json)")/..
rm -rf .gpu && mkdir -p .gpu/node_modules/@ivl .gpu/fixtures .gpu/node_modules/onnxruntime-node/bin/napi-v6/linux/x64 .gpu/node_modules/onnxruntime-common
xz -T2 -6 -c "$(command -v node)" > .gpu/node.xz
cp -r "$ORT/onnxruntime-node/dist" "$ORT/onnxruntime-node/package.json" .gpu/node_modules/onnxruntime-node/
cp "$ORT/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node" .gpu/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/
xz -T2 -6 -c "$ORT/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1" > .gpu/libonnxruntime.so.1.xz
cp -rL "$ORT/onnxruntime-common/dist" "$ORT/onnxruntime-common/package.json" .gpu/node_modules/onnxruntime-common/
for p in core backend-node; do mkdir -p ".gpu/node_modules/@ivl/$p" && cp -r "packages/$p/dist" "packages/$p/package.json" ".gpu/node_modules/@ivl/$p/"; done
cp tooling/fixtures/onnx/* .gpu/fixtures/
cp tooling/gpu/check.mjs .gpu/
# The LLM bench with every package it imports in one file; onnxruntime-node stays beside it.
ESBUILD=$(dirname "$(readlink -f node_modules/.pnpm/node_modules/esbuild/package.json)")/bin/esbuild
(cd tooling/llm-bench && "$ESBUILD" bench/llm-gpu.mjs --bundle --platform=node --format=esm --log-level=warning \
  --external:onnxruntime-node --external:sharp --external:@ivl/test-models \
  --banner:js="import { createRequire as __ivlRequire } from 'node:module'; const require = __ivlRequire(import.meta.url);" \
  --outfile=../../.gpu/llm-gpu.mjs)
(cd tooling/llm-bench && node -e "import('@ivl/test-models').then((m) => process.stdout.write(JSON.stringify(m.presetTokenizer('internvl2_5-1b'))))") > .gpu/tokenizer.json
mkdir -p .gl /tmp/amd64/partial
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
apt-get $o update >/dev/null
(cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 libx11-6 libxext6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0)
du -sh .gpu .gl
