// pnpm bench: sample 32 frames (get_index) from a 1-minute 1080p H.264 video and tile them to
// pixel_values [32, 3, 448, 448], against the bound of ffmpeg decoding the whole stream alone
// (the select filter must decode every frame up to the last one sampled). Prints wall time and
// peak memory of this process and of the ffmpeg child.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadVideo } from '../dist/node/index.js';

const file = join(tmpdir(), 'ivl-bench-1080p-60s.mp4');
if (!existsSync(file)) {
  console.log('making a 60 s 1920×1080 30 fps H.264 test video (once)…');
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=duration=60:size=1920x1080:rate=30',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    file,
  ]);
}

// Peak RSS of ffmpeg children, polled from /proc (VmHWM is the child's own high-water mark).
let childPeakKb = 0;
const poll = setInterval(() => {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (!/^Name:\s+ffmpeg$/m.test(status) || !status.includes(`PPid:\t${process.pid}\n`)) continue;
      childPeakKb = Math.max(childPeakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {}
  }
}, 20);

const started = performance.now();
const video = await loadVideo(file, { segments: 32 });
const ours = (performance.now() - started) / 1000;
clearInterval(poll);

const boundStart = performance.now();
execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-f', 'null', '-']);
const bound = (performance.now() - boundStart) / 1000;

console.log(
  `video: 32 frames of a 60 s 1080p H.264 video (${video.info.frameCount} frames) -> [${video.pixelValues.dims.join(',')}] ` +
    `in ${ours.toFixed(2)} s; bound (ffmpeg decode-only of the stream) ${bound.toFixed(2)} s, ratio ${(ours / bound).toFixed(2)}×; ` +
    `peak RSS: node ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB, ffmpeg ${(childPeakKb / 1024).toFixed(0)} MB`,
);
