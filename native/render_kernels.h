// Pixel kernels of the software renderer: plain data in, pixels out. No Node API here, so the
// same source compiles once per instruction set (render_kernels_*.cc) and is picked at run time.
#pragma once
#include <cstddef>
#include <cstdint>

namespace stratum {
namespace render {

// Mirrors src/render/plan.ts: the op stream is Int32 headers of kOpHeaderInts followed by
// rectCount * 4 ints (left, top, right, bottom; disjoint, inside the target).
constexpr int kOpHeaderInts = 32;
enum OpKind : int32_t { kFill = 0, kSolidOver = 1, kBuffer = 2 };
enum Blend : int32_t { kBlendNone = 0, kBlendPremultiplied = 1, kBlendCoverage = 2 };
enum Filter : int32_t { kNearest = 0, kBilinear = 1 };
// Pixel formats: src/buffer/format.ts values.
enum Format : int32_t { kRGBA8888 = 1, kRGBX8888 = 2, kBGRA8888 = 3, kBGRX8888 = 4, kRGB565 = 5, kNV12 = 7 };

struct Op {
  int32_t kind;
  uint32_t color;  // FILL / SOLID_OVER: premultiplied RGBA as a little-endian word (r in the low byte)
  int32_t alpha;   // BUFFER: plane alpha 0..255
  const uint8_t* plane0;
  const uint8_t* chroma;
  int32_t format, stride_bytes, chroma_stride_bytes, width, height;
  int32_t filter, blend;
  int32_t dst_left, dst_top;
  int64_t ox, oy, dxx, dxy, dyx, dyy;  // 16.16 source position of a destination pixel centre
  int32_t y_offset, y_scale, rv, gu, gv, bu;
  const int32_t* rects;  // rect_count * 4
  int32_t rect_count;
};

struct Target {
  uint8_t* pixels;
  int32_t stride_bytes, width, height;
};

// Runs every op over rows [y0, y1) of the target. Ops must have been checked (CheckOps in render.cc).
void RenderBandPortable(const Target& target, const Op* ops, size_t op_count, int32_t y0, int32_t y1);
#if defined(__x86_64__)
void RenderBandAvx2(const Target& target, const Op* ops, size_t op_count, int32_t y0, int32_t y1);
void RenderBandAvx512(const Target& target, const Op* ops, size_t op_count, int32_t y0, int32_t y1);
#endif

}  // namespace render
}  // namespace stratum
