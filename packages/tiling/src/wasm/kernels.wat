;; SIMD kernels of @ivl/tiling: the Pillow-exact 8-bit bicubic resampler (see ../resize-bicubic.ts)
;; and ToTensor + Normalize (see ../pixel-values.ts).
;; Same integer arithmetic as Pillow: int32 accumulators starting at 1 << 21, weights with 22
;; fractional bits, clip8(acc) == clamp(acc >> 22, 0, 255). Buffers must have 16 bytes of slack
;; after them: the kernels read whole 8- and 16-byte vectors past the last pixel. They write only
;; their own rows, so that threads sharing the memory can each run a band of rows (the memory is
;; then imported, shared: see scripts/build-wasm.mjs).
(module
  (memory (export "memory") 1)

  ;; Two taps per step: the pixels of taps t and t+1 as i16 lanes [R R G G B B 0 0], each weight
  ;; split as w = hi·2^8 + lo (hi = w >> 8 fits i16 as |w| < 2^23; lo in [0, 256)), so that one
  ;; i32x4.dot_i16x8_s per half sums both taps per channel. Σ p·w = (Σ p·hi)·2^8 + Σ p·lo exactly
  ;; (mod 2^32, as Pillow's int32 sum), so the result is Pillow's bit for bit.
  ;; $pairs: per output pixel, $pairStride bytes of [hi v128, lo v128] pairs from pairWeights();
  ;; an odd last tap is paired with a zero weight.
  (func (export "horizontal")
    (param $src i32) (param $srcRowBytes i32) (param $rowCount i32) (param $outWidth i32)
    (param $bounds i32) (param $pairs i32) (param $pairStride i32) (param $dst i32)
    (local $y i32) (local $xx i32) (local $row i32) (local $p i32) (local $kp i32)
    (local $b i32) (local $k i32) (local $kend i32) (local $out i32) (local $pix v128)
    (local $hi v128) (local $lo v128)
    (local.set $out (local.get $dst))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $y) (local.get $rowCount)))
        (local.set $row (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $srcRowBytes))))
        (local.set $b (local.get $bounds))
        (local.set $k (local.get $pairs))
        (local.set $xx (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $xx) (local.get $outWidth)))
            (local.set $p (i32.add (local.get $row) (i32.mul (i32.load (local.get $b)) (i32.const 3))))
            ;; (count + 1) >> 1 pairs of 32 bytes.
            (local.set $kend
              (i32.add (local.get $k)
                (i32.shl (i32.shr_u (i32.add (i32.load offset=4 (local.get $b)) (i32.const 1)) (i32.const 1))
                         (i32.const 5))))
            (local.set $kp (local.get $k))
            (local.set $hi (v128.const i32x4 0 0 0 0))
            (local.set $lo (v128.const i32x4 0 0 0 0))
            (block $taps_done
              (loop $taps_loop
                (br_if $taps_done (i32.ge_u (local.get $kp) (local.get $kend)))
                (local.set $pix
                  (i8x16.shuffle 0 16 3 16 1 16 4 16 2 16 5 16 16 16 16 16
                    (v128.load64_zero (local.get $p)) (v128.const i32x4 0 0 0 0)))
                (local.set $hi (i32x4.add (local.get $hi) (i32x4.dot_i16x8_s (local.get $pix) (v128.load (local.get $kp)))))
                (local.set $lo (i32x4.add (local.get $lo) (i32x4.dot_i16x8_s (local.get $pix) (v128.load offset=16 (local.get $kp)))))
                (local.set $p (i32.add (local.get $p) (i32.const 6)))
                (local.set $kp (i32.add (local.get $kp) (i32.const 32)))
                (br $taps_loop)))
            ;; clamp(acc >> 22, 0, 255) per lane, packed to bytes (written inline: a call per
            ;; pixel costs as much as the taps).
            (local.set $hi
              (i32x4.shr_s
                (i32x4.add (i32x4.splat (i32.const 2097152))
                  (i32x4.add (i32x4.shl (local.get $hi) (i32.const 8)) (local.get $lo)))
                (i32.const 22)))
            (local.set $hi (i16x8.narrow_i32x4_s (local.get $hi) (local.get $hi)))
            (local.set $hi (i8x16.narrow_i16x8_u (local.get $hi) (local.get $hi)))
            ;; 4 bytes, the 4th overwritten by the next pixel; the row's last pixel writes exactly
            ;; 3, since the next row may be another thread's.
            (if (i32.lt_u (i32.add (local.get $xx) (i32.const 1)) (local.get $outWidth))
              (then (v128.store32_lane 0 (local.get $out) (local.get $hi)))
              (else
                (v128.store16_lane 0 (local.get $out) (local.get $hi))
                (v128.store8_lane offset=2 2 (local.get $out) (local.get $hi))))
            (local.set $out (i32.add (local.get $out) (i32.const 3)))
            (local.set $b (i32.add (local.get $b) (i32.const 8)))
            (local.set $k (i32.add (local.get $k) (local.get $pairStride)))
            (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
            (br $cols)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))

  ;; 16 bytes of one output row at a time, four i32x4 accumulators; a row's last 16 bytes are
  ;; computed again where the row is not a multiple of 16 long, so nothing past the row is written
  ;; (rows must be at least 16 bytes: the caller resizes narrower images on one thread).
  (func (export "vertical")
    (param $src i32) (param $rowBytes i32) (param $outHeight i32) (param $bounds i32)
    (param $weights i32) (param $taps i32) (param $rowOffset i32) (param $dst i32)
    (local $yy i32) (local $i i32) (local $first i32) (local $count i32) (local $kp i32) (local $kend i32)
    (local $p i32) (local $out i32) (local $k v128) (local $v v128) (local $lo v128) (local $hi v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $yy) (local.get $outHeight)))
        (local.set $first
          (i32.add (local.get $src)
            (i32.mul
              (i32.sub (i32.load (i32.add (local.get $bounds) (i32.shl (local.get $yy) (i32.const 3))))
                       (local.get $rowOffset))
              (local.get $rowBytes))))
        (local.set $count (i32.load offset=4 (i32.add (local.get $bounds) (i32.shl (local.get $yy) (i32.const 3)))))
        (local.set $kp (i32.add (local.get $weights) (i32.shl (i32.mul (local.get $yy) (local.get $taps)) (i32.const 2))))
        (local.set $kend (i32.add (local.get $kp) (i32.shl (local.get $count) (i32.const 2))))
        (local.set $out (i32.add (local.get $dst) (i32.mul (local.get $yy) (local.get $rowBytes))))
        (local.set $i (i32.const 0))
        (block $chunks_done
          (loop $chunks
            (br_if $chunks_done (i32.ge_u (local.get $i) (local.get $rowBytes)))
            (if (i32.and (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $rowBytes))
                         (i32.ge_u (local.get $rowBytes) (i32.const 16)))
              (then (local.set $i (i32.sub (local.get $rowBytes) (i32.const 16)))))
            (local.set $a0 (i32x4.splat (i32.const 2097152)))
            (local.set $a1 (local.get $a0))
            (local.set $a2 (local.get $a0))
            (local.set $a3 (local.get $a0))
            (local.set $p (i32.add (local.get $first) (local.get $i)))
            (local.set $count (local.get $kp))
            (block $taps_done
              (loop $taps_loop
                (br_if $taps_done (i32.ge_u (local.get $count) (local.get $kend)))
                (local.set $v (v128.load (local.get $p)))
                (local.set $k (i32x4.splat (i32.load (local.get $count))))
                (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
                (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
                (local.set $a0 (i32x4.add (local.get $a0) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $lo)) (local.get $k))))
                (local.set $a1 (i32x4.add (local.get $a1) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $lo)) (local.get $k))))
                (local.set $a2 (i32x4.add (local.get $a2) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $hi)) (local.get $k))))
                (local.set $a3 (i32x4.add (local.get $a3) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $hi)) (local.get $k))))
                (local.set $p (i32.add (local.get $p) (local.get $rowBytes)))
                (local.set $count (i32.add (local.get $count) (i32.const 4)))
                (br $taps_loop)))
            (v128.store (i32.add (local.get $out) (local.get $i))
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a0) (i32.const 22)) (i32x4.shr_s (local.get $a1) (i32.const 22)))
                (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a2) (i32.const 22)) (i32x4.shr_s (local.get $a3) (i32.const 22)))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $chunks)))
        (local.set $yy (i32.add (local.get $yy) (i32.const 1)))
        (br $rows))))
  ;; ToTensor + Normalize of interleaved RGB into three float32 planes by table: $tables holds
  ;; 3 × 256 float32, channel c's value for byte v at (c · 256 + v) · 4, each computed in JS with
  ;; every op IEEE-rounded as torchvision's (see channelTable in ../pixel-values.ts). A lookup is
  ;; exact by construction and beats the two float divisions per element it replaces.
  ;; The source is $height rows of $width pixels, $srcRowBytes apart, so that a tile is read
  ;; straight out of the resized image, without cropping it first; the three planes lie
  ;; $planeBytes apart (a band of a tile's rows writes into the tile's planes).
  (func (export "normalize")
    (param $src i32) (param $srcRowBytes i32) (param $width i32) (param $height i32)
    (param $tables i32) (param $dst i32) (param $planeBytes i32)
    (local $y i32) (local $in i32) (local $end i32) (local $out i32)
    (local.set $out (local.get $dst))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $y) (local.get $height)))
        (local.set $in (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $srcRowBytes))))
        (local.set $end (i32.add (local.get $in) (i32.mul (local.get $width) (i32.const 3))))
        (block $pixels_done
          (loop $pixels
            (br_if $pixels_done (i32.ge_u (local.get $in) (local.get $end)))
            (f32.store (local.get $out)
              (f32.load (i32.add (local.get $tables) (i32.shl (i32.load8_u offset=0 (local.get $in)) (i32.const 2)))))
            (f32.store (i32.add (local.get $out) (local.get $planeBytes))
              (f32.load offset=1024 (i32.add (local.get $tables) (i32.shl (i32.load8_u offset=1 (local.get $in)) (i32.const 2)))))
            (f32.store (i32.add (local.get $out) (i32.shl (local.get $planeBytes) (i32.const 1)))
              (f32.load offset=2048 (i32.add (local.get $tables) (i32.shl (i32.load8_u offset=2 (local.get $in)) (i32.const 2)))))
            (local.set $in (i32.add (local.get $in) (i32.const 3)))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))
            (br $pixels)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))
)
