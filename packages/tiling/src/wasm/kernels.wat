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
  ;; an odd last tap is paired with a zero weight. The pixels are spread into those lanes by one
  ;; swizzle whose out-of-range indices (128) give 0: one x86 pshufb, where the same spread as a
  ;; shuffle with a zero vector compiled to about twice the time of the whole step.
  ;; Rows go four at a time ($rows4), each pair of weights loaded once for the four (the weights of
  ;; a whole output row are several hundred KB, read from cache at every row otherwise), then the
  ;; rest one at a time ($row1). Output rows are $outWidth · 3 bytes, back to back.
  (func (export "horizontal")
    (param $src i32) (param $srcRowBytes i32) (param $rowCount i32) (param $outWidth i32)
    (param $bounds i32) (param $pairs i32) (param $pairStride i32) (param $dst i32)
    (local $y i32) (local $outRowBytes i32)
    (local.set $outRowBytes (i32.mul (local.get $outWidth) (i32.const 3)))
    (block $fours_done
      (loop $fours
        (br_if $fours_done (i32.gt_u (i32.add (local.get $y) (i32.const 4)) (local.get $rowCount)))
        (call $rows4
          (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $srcRowBytes)))
          (local.get $srcRowBytes) (local.get $outWidth) (local.get $bounds) (local.get $pairs)
          (local.get $pairStride)
          (i32.add (local.get $dst) (i32.mul (local.get $y) (local.get $outRowBytes)))
          (local.get $outRowBytes))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (br $fours)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $y) (local.get $rowCount)))
        (call $row1
          (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $srcRowBytes)))
          (local.get $outWidth) (local.get $bounds) (local.get $pairs) (local.get $pairStride)
          (i32.add (local.get $dst) (i32.mul (local.get $y) (local.get $outRowBytes))))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))

  ;; One source row at $row into one output row at $out.
  (func $row1
    (param $row i32) (param $outWidth i32) (param $b i32) (param $k i32) (param $pairStride i32)
    (param $out i32)
    (local $xx i32) (local $p i32) (local $kp i32) (local $kend i32) (local $pix v128)
    (local $hi v128) (local $lo v128) (local $spread v128)
    (local.set $spread (v128.const i8x16 0 128 3 128 1 128 4 128 2 128 5 128 128 128 128 128))
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
              (i8x16.swizzle (v128.load64_zero (local.get $p)) (local.get $spread)))
            (local.set $hi (i32x4.add (local.get $hi) (i32x4.dot_i16x8_s (local.get $pix) (v128.load (local.get $kp)))))
            (local.set $lo (i32x4.add (local.get $lo) (i32x4.dot_i16x8_s (local.get $pix) (v128.load offset=16 (local.get $kp)))))
            (local.set $p (i32.add (local.get $p) (i32.const 6)))
            (local.set $kp (i32.add (local.get $kp) (i32.const 32)))
            (br $taps_loop)))
        ;; (hi·2^8 + lo + 2^21) >> 22 per lane, Pillow's rounding, then clamped to 0…255 by the
        ;; narrowing packs (all written inline here: a call per pixel costs as much as the taps).
        (local.set $hi (i32x4.shr_s (i32x4.add (i32x4.splat (i32.const 2097152)) (i32x4.add (i32x4.shl (local.get $hi) (i32.const 8)) (local.get $lo))) (i32.const 22)))
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
        (br $cols))))

  ;; Four source rows from $row, $srcRowBytes apart, into four output rows from $out.
  (func $rows4
    (param $row i32) (param $srcRowBytes i32) (param $outWidth i32) (param $b i32) (param $k i32)
    (param $pairStride i32) (param $out i32) (param $outRowBytes i32)
    (local $xx i32) (local $p i32) (local $kp i32) (local $kend i32) (local $s2 i32) (local $s3 i32)
    (local $o2 i32) (local $o3 i32) (local $wh v128) (local $wl v128) (local $pix v128)
    (local $h0 v128) (local $l0 v128) (local $h1 v128) (local $l1 v128)
    (local $h2 v128) (local $l2 v128) (local $h3 v128) (local $l3 v128) (local $spread v128)
    (local.set $spread (v128.const i8x16 0 128 3 128 1 128 4 128 2 128 5 128 128 128 128 128))
    (local.set $s2 (i32.shl (local.get $srcRowBytes) (i32.const 1)))
    (local.set $s3 (i32.add (local.get $s2) (local.get $srcRowBytes)))
    (local.set $o2 (i32.shl (local.get $outRowBytes) (i32.const 1)))
    (local.set $o3 (i32.add (local.get $o2) (local.get $outRowBytes)))
    (block $cols_done
      (loop $cols
        (br_if $cols_done (i32.ge_u (local.get $xx) (local.get $outWidth)))
        (local.set $p (i32.add (local.get $row) (i32.mul (i32.load (local.get $b)) (i32.const 3))))
        (local.set $kend
          (i32.add (local.get $k)
            (i32.shl (i32.shr_u (i32.add (i32.load offset=4 (local.get $b)) (i32.const 1)) (i32.const 1))
                     (i32.const 5))))
        (local.set $kp (local.get $k))
        (local.set $h0 (v128.const i32x4 0 0 0 0))
        (local.set $l0 (local.get $h0))
        (local.set $h1 (local.get $h0))
        (local.set $l1 (local.get $h0))
        (local.set $h2 (local.get $h0))
        (local.set $l2 (local.get $h0))
        (local.set $h3 (local.get $h0))
        (local.set $l3 (local.get $h0))
        (block $taps_done
          (loop $taps_loop
            (br_if $taps_done (i32.ge_u (local.get $kp) (local.get $kend)))
            (local.set $wh (v128.load (local.get $kp)))
            (local.set $wl (v128.load offset=16 (local.get $kp)))
            (local.set $pix (i8x16.swizzle (v128.load64_zero (local.get $p)) (local.get $spread)))
            (local.set $h0 (i32x4.add (local.get $h0) (i32x4.dot_i16x8_s (local.get $pix) (local.get $wh))))
            (local.set $l0 (i32x4.add (local.get $l0) (i32x4.dot_i16x8_s (local.get $pix) (local.get $wl))))
            (local.set $pix (i8x16.swizzle (v128.load64_zero (i32.add (local.get $p) (local.get $srcRowBytes))) (local.get $spread)))
            (local.set $h1 (i32x4.add (local.get $h1) (i32x4.dot_i16x8_s (local.get $pix) (local.get $wh))))
            (local.set $l1 (i32x4.add (local.get $l1) (i32x4.dot_i16x8_s (local.get $pix) (local.get $wl))))
            (local.set $pix (i8x16.swizzle (v128.load64_zero (i32.add (local.get $p) (local.get $s2))) (local.get $spread)))
            (local.set $h2 (i32x4.add (local.get $h2) (i32x4.dot_i16x8_s (local.get $pix) (local.get $wh))))
            (local.set $l2 (i32x4.add (local.get $l2) (i32x4.dot_i16x8_s (local.get $pix) (local.get $wl))))
            (local.set $pix (i8x16.swizzle (v128.load64_zero (i32.add (local.get $p) (local.get $s3))) (local.get $spread)))
            (local.set $h3 (i32x4.add (local.get $h3) (i32x4.dot_i16x8_s (local.get $pix) (local.get $wh))))
            (local.set $l3 (i32x4.add (local.get $l3) (i32x4.dot_i16x8_s (local.get $pix) (local.get $wl))))
            (local.set $p (i32.add (local.get $p) (i32.const 6)))
            (local.set $kp (i32.add (local.get $kp) (i32.const 32)))
            (br $taps_loop)))
        ;; As in $row1; row r's pixel lands in bytes 4r … 4r + 2 (byte 4r + 3 is 0).
        (local.set $pix
          (i8x16.narrow_i16x8_u
            (i16x8.narrow_i32x4_s (i32x4.shr_s (i32x4.add (i32x4.splat (i32.const 2097152)) (i32x4.add (i32x4.shl (local.get $h0) (i32.const 8)) (local.get $l0))) (i32.const 22)) (i32x4.shr_s (i32x4.add (i32x4.splat (i32.const 2097152)) (i32x4.add (i32x4.shl (local.get $h1) (i32.const 8)) (local.get $l1))) (i32.const 22)))
            (i16x8.narrow_i32x4_s (i32x4.shr_s (i32x4.add (i32x4.splat (i32.const 2097152)) (i32x4.add (i32x4.shl (local.get $h2) (i32.const 8)) (local.get $l2))) (i32.const 22)) (i32x4.shr_s (i32x4.add (i32x4.splat (i32.const 2097152)) (i32x4.add (i32x4.shl (local.get $h3) (i32.const 8)) (local.get $l3))) (i32.const 22)))))
        (if (i32.lt_u (i32.add (local.get $xx) (i32.const 1)) (local.get $outWidth))
          (then
            (v128.store32_lane 0 (local.get $out) (local.get $pix))
            (v128.store32_lane 1 (i32.add (local.get $out) (local.get $outRowBytes)) (local.get $pix))
            (v128.store32_lane 2 (i32.add (local.get $out) (local.get $o2)) (local.get $pix))
            (v128.store32_lane 3 (i32.add (local.get $out) (local.get $o3)) (local.get $pix)))
          (else
            (v128.store16_lane 0 (local.get $out) (local.get $pix))
            (v128.store8_lane offset=2 2 (local.get $out) (local.get $pix))
            (v128.store16_lane 2 (i32.add (local.get $out) (local.get $outRowBytes)) (local.get $pix))
            (v128.store8_lane offset=2 6 (i32.add (local.get $out) (local.get $outRowBytes)) (local.get $pix))
            (v128.store16_lane 4 (i32.add (local.get $out) (local.get $o2)) (local.get $pix))
            (v128.store8_lane offset=2 10 (i32.add (local.get $out) (local.get $o2)) (local.get $pix))
            (v128.store16_lane 6 (i32.add (local.get $out) (local.get $o3)) (local.get $pix))
            (v128.store8_lane offset=2 14 (i32.add (local.get $out) (local.get $o3)) (local.get $pix))))
        (local.set $out (i32.add (local.get $out) (i32.const 3)))
        (local.set $b (i32.add (local.get $b) (i32.const 8)))
        (local.set $k (i32.add (local.get $k) (local.get $pairStride)))
        (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
        (br $cols))))

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
