/** Y'CbCr → R'G'B' matrices by WebCodecs `VideoColorSpace.matrix` name. */
const KR_KB: Readonly<Record<string, readonly [number, number]>> = {
  bt709: [0.2126, 0.0722],
  bt470bg: [0.299, 0.114],
  smpte170m: [0.299, 0.114],
  bt2020ncl: [0.2627, 0.0593],
};

/** Planes of a 4:2:0 frame: I420 (separate U and V) or NV12 (interleaved UV). */
export interface Yuv420Frame {
  readonly width: number;
  readonly height: number;
  readonly y: Uint8Array;
  readonly yStride: number;
  /** I420: the U plane; NV12: the interleaved UV plane. */
  readonly u: Uint8Array;
  readonly uStride: number;
  /** I420 only. */
  readonly v?: Uint8Array;
  readonly vStride?: number;
  readonly interleaved: boolean;
  /** WebCodecs matrix name; untagged video is BT.601, as ffmpeg (and so decord) assume. */
  readonly matrix?: string | null;
  readonly fullRange?: boolean | null;
}

/**
 * 4:2:0 → 8-bit RGB with each chroma sample covering its 2×2 block (as swscale's unscaled
 * converter does). Browsers assume BT.709 for untagged video where ffmpeg assumes BT.601, which
 * shifts colours by several levels; converting here keeps frames within about one level of the
 * ffmpeg decode the official pipeline sees.
 */
export function yuv420ToRgb(frame: Yuv420Frame): Uint8Array {
  const [kr, kb] = KR_KB[frame.matrix ?? ''] ?? KR_KB.smpte170m!;
  const kg = 1 - kr - kb;
  const full = frame.fullRange === true;
  const yScale = full ? 1 : 255 / 219;
  const cScale = full ? 1 : 255 / 224;
  const yOffset = full ? 0 : 16;
  const rv = 2 * (1 - kr) * cScale;
  const bu = 2 * (1 - kb) * cScale;
  const gu = ((2 * kb * (1 - kb)) / kg) * cScale;
  const gv = ((2 * kr * (1 - kr)) / kg) * cScale;
  const { width, height } = frame;
  const rgb = new Uint8Array(width * height * 3);
  const clamp = (value: number) => (value < 0 ? 0 : value > 255 ? 255 : Math.round(value));
  for (let row = 0; row < height; row++) {
    const chromaRow = row >> 1;
    for (let column = 0; column < width; column++) {
      const luma = (frame.y[row * frame.yStride + column]! - yOffset) * yScale;
      let u: number;
      let v: number;
      if (frame.interleaved) {
        const at = chromaRow * frame.uStride + (column >> 1) * 2;
        u = frame.u[at]! - 128;
        v = frame.u[at + 1]! - 128;
      } else {
        u = frame.u[chromaRow * frame.uStride + (column >> 1)]! - 128;
        v = frame.v![chromaRow * frame.vStride! + (column >> 1)]! - 128;
      }
      const target = (row * width + column) * 3;
      rgb[target] = clamp(luma + rv * v);
      rgb[target + 1] = clamp(luma - gu * u - gv * v);
      rgb[target + 2] = clamp(luma + bu * u);
    }
  }
  return rgb;
}
