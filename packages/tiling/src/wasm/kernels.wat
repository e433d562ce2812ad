;; SIMD kernels of @ivl/tiling: the Pillow-exact 8-bit bicubic resampler (see ../resize-bicubic.ts)
;; and ToTensor + Normalize (see ../pixel-values.ts).
;; Same integer arithmetic as Pillow: int32 accumulators starting at 1 << 21, weights with 22
;; fractional bits, clip8(acc) == clamp(acc >> 22, 0, 255). Buffers must have 16 bytes of slack
;; after them: the kernels read and write whole 4- and 16-byte vectors past the last pixel.
(module
  (memory (export "memory") 1)

  ;; clamp(acc >> 22, 0, 255) per lane, packed to bytes (lanes 0-3 hold the result).
  (func $pack (param $acc v128) (result v128)
    (local $s v128)
    (local.set $s (i32x4.shr_s (local.get $acc) (i32.const 22)))
    (i8x16.narrow_i16x8_u
      (i16x8.narrow_i32x4_s (local.get $s) (local.get $s))
      (i16x8.narrow_i32x4_s (local.get $s) (local.get $s))))

  ;; One RGB pixel is one i32x4 (the 4th lane is ignored), so each tap costs one multiply-add.
  (func (export "horizontal")
    (param $src i32) (param $srcRowBytes i32) (param $rowCount i32) (param $outWidth i32)
    (param $bounds i32) (param $weights i32) (param $taps i32) (param $dst i32)
    (local $y i32) (local $xx i32) (local $row i32) (local $p i32) (local $count i32)
    (local $b i32) (local $k i32) (local $kend i32) (local $out i32) (local $acc v128)
    (local.set $out (local.get $dst))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $y) (local.get $rowCount)))
        (local.set $row (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $srcRowBytes))))
        (local.set $b (local.get $bounds))
        (local.set $k (local.get $weights))
        (local.set $xx (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $xx) (local.get $outWidth)))
            (local.set $p (i32.add (local.get $row) (i32.mul (i32.load (local.get $b)) (i32.const 3))))
            (local.set $count (i32.load offset=4 (local.get $b)))
            (local.set $acc (i32x4.splat (i32.const 2097152)))
            (local.set $kend (i32.add (local.get $k) (i32.shl (local.get $count) (i32.const 2))))
            (local.set $count (local.get $k))
            (block $taps_done
              (loop $taps_loop
                (br_if $taps_done (i32.ge_u (local.get $count) (local.get $kend)))
                (local.set $acc
                  (i32x4.add (local.get $acc)
                    (i32x4.mul
                      (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $p))))
                      (i32x4.splat (i32.load (local.get $count))))))
                (local.set $p (i32.add (local.get $p) (i32.const 3)))
                (local.set $count (i32.add (local.get $count) (i32.const 4)))
                (br $taps_loop)))
            ;; Writes 4 bytes; the 4th is overwritten by the next pixel (or lands in the slack).
            (v128.store32_lane 0 (local.get $out) (call $pack (local.get $acc)))
            (local.set $out (i32.add (local.get $out) (i32.const 3)))
            (local.set $b (i32.add (local.get $b) (i32.const 8)))
            (local.set $k (i32.add (local.get $k) (i32.shl (local.get $taps) (i32.const 2))))
            (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
            (br $cols)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rows))))

  ;; 16 bytes of one output row at a time, four i32x4 accumulators.
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
;; ToTensor + Normalize of interleaved RGB into three float32 planes: per element
  ;; ((v / 255) - mean) / std in float32, every op IEEE-rounded exactly as torchvision's.
  ;; 16 pixels per step: three shuffles split the 48 bytes into R, G and B vectors.
  (func $channel16 (param $bytes v128) (param $out i32) (param $mean v128) (param $std v128)
    (local $half v128) (local $scale v128)
    (local.set $scale (f32x4.splat (f32.const 255)))
    (local.set $half (i16x8.extend_low_i8x16_u (local.get $bytes)))
    (v128.store offset=0 (local.get $out)
      (f32x4.div (f32x4.sub (f32x4.div (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $half))) (local.get $scale)) (local.get $mean)) (local.get $std)))
    (v128.store offset=16 (local.get $out)
      (f32x4.div (f32x4.sub (f32x4.div (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $half))) (local.get $scale)) (local.get $mean)) (local.get $std)))
    (local.set $half (i16x8.extend_high_i8x16_u (local.get $bytes)))
    (v128.store offset=32 (local.get $out)
      (f32x4.div (f32x4.sub (f32x4.div (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $half))) (local.get $scale)) (local.get $mean)) (local.get $std)))
    (v128.store offset=48 (local.get $out)
      (f32x4.div (f32x4.sub (f32x4.div (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $half))) (local.get $scale)) (local.get $mean)) (local.get $std))))

  (func (export "normalize")
    (param $src i32) (param $pixels i32) (param $dst i32)
    (param $m0 f32) (param $m1 f32) (param $m2 f32) (param $s0 f32) (param $s1 f32) (param $s2 f32)
    (local $p i32) (local $in i32) (local $out i32) (local $planeBytes i32) (local $vectorEnd i32)
    (local $a v128) (local $b v128) (local $c v128)
    (local $mr v128) (local $mg v128) (local $mb v128) (local $sr v128) (local $sg v128) (local $sb v128)
    (local.set $planeBytes (i32.shl (local.get $pixels) (i32.const 2)))
    (local.set $mr (f32x4.splat (local.get $m0)))
    (local.set $mg (f32x4.splat (local.get $m1)))
    (local.set $mb (f32x4.splat (local.get $m2)))
    (local.set $sr (f32x4.splat (local.get $s0)))
    (local.set $sg (f32x4.splat (local.get $s1)))
    (local.set $sb (f32x4.splat (local.get $s2)))
    (local.set $vectorEnd (i32.and (local.get $pixels) (i32.const -16)))
    (local.set $in (local.get $src))
    (local.set $out (local.get $dst))
    (block $vectors_done
      (loop $vectors
        (br_if $vectors_done (i32.ge_u (local.get $p) (local.get $vectorEnd)))
        (local.set $a (v128.load offset=0 (local.get $in)))
        (local.set $b (v128.load offset=16 (local.get $in)))
        (local.set $c (v128.load offset=32 (local.get $in)))
        (call $channel16
          (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 17 20 23 26 29
            (i8x16.shuffle 0 3 6 9 12 15 18 21 24 27 30 0 0 0 0 0 (local.get $a) (local.get $b))
            (local.get $c))
          (local.get $out) (local.get $mr) (local.get $sr))
        (call $channel16
          (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 18 21 24 27 30
            (i8x16.shuffle 1 4 7 10 13 16 19 22 25 28 31 0 0 0 0 0 (local.get $a) (local.get $b))
            (local.get $c))
          (i32.add (local.get $out) (local.get $planeBytes)) (local.get $mg) (local.get $sg))
        (call $channel16
          (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 16 19 22 25 28 31
            (i8x16.shuffle 2 5 8 11 14 17 20 23 26 29 0 0 0 0 0 0 (local.get $a) (local.get $b))
            (local.get $c))
          (i32.add (local.get $out) (i32.shl (local.get $planeBytes) (i32.const 1))) (local.get $mb) (local.get $sb))
        (local.set $in (i32.add (local.get $in) (i32.const 48)))
        (local.set $out (i32.add (local.get $out) (i32.const 64)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $vectors)))
    (block $scalars_done
      (loop $scalars
        (br_if $scalars_done (i32.ge_u (local.get $p) (local.get $pixels)))
        (f32.store (local.get $out)
          (f32.div (f32.sub (f32.div (f32.convert_i32_u (i32.load8_u offset=0 (local.get $in))) (f32.const 255)) (local.get $m0)) (local.get $s0)))
        (f32.store (i32.add (local.get $out) (local.get $planeBytes))
          (f32.div (f32.sub (f32.div (f32.convert_i32_u (i32.load8_u offset=1 (local.get $in))) (f32.const 255)) (local.get $m1)) (local.get $s1)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $planeBytes) (i32.const 1)))
          (f32.div (f32.sub (f32.div (f32.convert_i32_u (i32.load8_u offset=2 (local.get $in))) (f32.const 255)) (local.get $m2)) (local.get $s2)))
        (local.set $in (i32.add (local.get $in) (i32.const 3)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $scalars))))
)
