// Test videos made by the real ffmpeg at test time (not committed).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestVideos {
  readonly dir: string;
  readonly h264: string;
  readonly vp9: string;
  readonly vfr: string;
  readonly rotated: string;
  readonly audioOnly: string;
  readonly corrupt: string;
}

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

export function makeTestVideos(): TestVideos {
  const dir = mkdtempSync(join(tmpdir(), 'ivl-video-'));
  const h264 = join(dir, 'testsrc2-640x480-30fps.mp4');
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=duration=5:size=640x480:rate=30',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '48',
    '-bf',
    '2',
    h264,
  ]);
  const vp9 = join(dir, 'testsrc2-320x240-24fps.webm');
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=duration=3:size=320x240:rate=24',
    '-c:v',
    'libvpx-vp9',
    '-deadline',
    'realtime',
    '-cpu-used',
    '8',
    '-b:v',
    '500k',
    vp9,
  ]);
  const vfr = join(dir, 'vfr.mkv');
  // Frames at irregular times: 10 fps for 1 s, then 2.5 fps for 2 s.
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=duration=3:size=160x120:rate=10',
    '-vf',
    "select='lt(t\\,1)+not(mod(n\\,4))'",
    '-fps_mode',
    'vfr',
    '-c:v',
    'libx264',
    vfr,
  ]);
  const rotated = join(dir, 'rotated.mp4');
  ffmpeg(['-i', h264, '-metadata:s:v:0', 'rotate=90', '-c', 'copy', rotated]);
  const audioOnly = join(dir, 'tone.m4a');
  ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', audioOnly]);
  const corrupt = join(dir, 'corrupt.mp4');
  writeFileSync(corrupt, Buffer.concat([Buffer.from('\x00\x00\x00\x18ftypmp42'), Buffer.alloc(5000, 0x5a)]));
  return { dir, h264, vp9, vfr, rotated, audioOnly, corrupt };
}

/** Every frame of `path` decoded by ffmpeg in one go, as the reference for exact-frame tests. */
export function fullDecode(path: string): Buffer {
  return execFileSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-noautorotate',
      '-i',
      path,
      '-map',
      '0:v:0',
      '-fps_mode',
      'passthrough',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    {
      maxBuffer: 1 << 30,
    },
  );
}
