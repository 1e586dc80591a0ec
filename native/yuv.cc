// RGBA_8888 -> planar YUV 4:2:0 (I420) for the recorder: BT.601 limited range, the 2x2 chroma
// block averaged in RGB first. A pixel loop only: sizes and buffers are checked in TypeScript
// (src/media/yuv.ts) and again here only as far as memory safety needs.
#include <napi.h>

#include <cstdint>

namespace stratum {
namespace {

inline uint8_t LumaOf(int r, int g, int b) { return static_cast<uint8_t>(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16); }
inline uint8_t BlueDiffOf(int r, int g, int b) { return static_cast<uint8_t>(((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128); }
inline uint8_t RedDiffOf(int r, int g, int b) { return static_cast<uint8_t>(((112 * r - 94 * g - 18 * b + 128) >> 8) + 128); }

// rgbaToI420(src: ArrayBuffer, srcOffset, srcStrideBytes, width, height, dst: ArrayBuffer, dstOffset)
// dst holds Y (width x height) then U then V ((width/2) x (height/2) each), tightly packed.
Napi::Value RgbaToI420(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 7 || !info[0].IsArrayBuffer() || !info[5].IsArrayBuffer()) {
    Napi::TypeError::New(env, "rgbaToI420(src, srcOffset, srcStrideBytes, width, height, dst, dstOffset)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::ArrayBuffer src = info[0].As<Napi::ArrayBuffer>();
  Napi::ArrayBuffer dst = info[5].As<Napi::ArrayBuffer>();
  const int64_t srcOffset = info[1].As<Napi::Number>().Int64Value();
  const int64_t stride = info[2].As<Napi::Number>().Int64Value();
  const int64_t width = info[3].As<Napi::Number>().Int64Value();
  const int64_t height = info[4].As<Napi::Number>().Int64Value();
  const int64_t dstOffset = info[6].As<Napi::Number>().Int64Value();
  const bool shapeOk = width >= 2 && height >= 2 && width % 2 == 0 && height % 2 == 0 && stride >= width * 4 && srcOffset >= 0 && dstOffset >= 0;
  const int64_t srcNeed = srcOffset + stride * (height - 1) + width * 4;
  const int64_t dstNeed = dstOffset + width * height * 3 / 2;
  if (!shapeOk || srcNeed > static_cast<int64_t>(src.ByteLength()) || dstNeed > static_cast<int64_t>(dst.ByteLength())) {
    Napi::RangeError::New(env, "rgbaToI420: size, stride or offsets outside the buffers").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const uint8_t* in = static_cast<const uint8_t*>(src.Data()) + srcOffset;
  uint8_t* yPlane = static_cast<uint8_t*>(dst.Data()) + dstOffset;
  uint8_t* uPlane = yPlane + width * height;
  uint8_t* vPlane = uPlane + (width / 2) * (height / 2);
  for (int64_t y = 0; y < height; y += 2) {
    const uint8_t* row0 = in + y * stride;
    const uint8_t* row1 = row0 + stride;
    uint8_t* y0 = yPlane + y * width;
    uint8_t* y1 = y0 + width;
    uint8_t* u = uPlane + (y / 2) * (width / 2);
    uint8_t* v = vPlane + (y / 2) * (width / 2);
    for (int64_t x = 0; x < width; x += 2) {
      const uint8_t* a = row0 + x * 4;
      const uint8_t* b = row1 + x * 4;
      y0[x] = LumaOf(a[0], a[1], a[2]);
      y0[x + 1] = LumaOf(a[4], a[5], a[6]);
      y1[x] = LumaOf(b[0], b[1], b[2]);
      y1[x + 1] = LumaOf(b[4], b[5], b[6]);
      const int r = (a[0] + a[4] + b[0] + b[4] + 2) >> 2;
      const int g = (a[1] + a[5] + b[1] + b[5] + 2) >> 2;
      const int bl = (a[2] + a[6] + b[2] + b[6] + 2) >> 2;
      u[x / 2] = BlueDiffOf(r, g, bl);
      v[x / 2] = RedDiffOf(r, g, bl);
    }
  }
  return env.Undefined();
}

}  // namespace

void InitYuv(Napi::Env env, Napi::Object exports) {
  exports.Set("rgbaToI420", Napi::Function::New(env, RgbaToI420, "rgbaToI420"));
}

}  // namespace stratum
