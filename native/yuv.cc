// RGBA_8888 -> planar YUV 4:2:0 (I420) for the recorder: BT.601 limited range, the 2x2 chroma
// block averaged in RGB first. A pixel loop only: sizes and buffers are checked in TypeScript
// (src/media/yuv.ts) and again here only as far as memory safety needs.
//
// rgbaToI420 converts on the calling thread; rgbaToI420Async on the libuv threadpool and returns a
// Promise, so the recorder's main thread never touches the pixels. The async form keeps both
// ArrayBuffers referenced until it is done; keeping the memory behind them mapped (a pinned
// GraphicBuffer) is the caller's part.
#include <napi.h>

#include <cstdint>

namespace stratum {
namespace {

// Every intermediate fits 16 bits (luma: at most 220 * 255 + 128; chroma: within +-28688), so the
// loops below vectorize 8 or 16 lanes wide; the results equal the 32-bit formulas exactly.
struct I420Job {
  const uint8_t* in;
  int64_t stride;
  int64_t width;
  int64_t height;
  uint8_t* yPlane;
  uint8_t* uPlane;
  uint8_t* vPlane;
};

inline void LumaRow(const uint8_t* __restrict px, uint8_t* __restrict out, int64_t width) {
  for (int64_t x = 0; x < width; x++) {
    const uint16_t r = px[x * 4];
    const uint16_t g = px[x * 4 + 1];
    const uint16_t b = px[x * 4 + 2];
    out[x] = static_cast<uint8_t>(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16);
  }
}

inline void ChromaRow(const uint8_t* __restrict row0, const uint8_t* __restrict row1, uint8_t* __restrict u, uint8_t* __restrict v, int64_t halfWidth) {
  for (int64_t c = 0; c < halfWidth; c++) {
    const uint8_t* a = row0 + c * 8;
    const uint8_t* b = row1 + c * 8;
    const int16_t r = static_cast<int16_t>((a[0] + a[4] + b[0] + b[4] + 2) >> 2);
    const int16_t g = static_cast<int16_t>((a[1] + a[5] + b[1] + b[5] + 2) >> 2);
    const int16_t bl = static_cast<int16_t>((a[2] + a[6] + b[2] + b[6] + 2) >> 2);
    u[c] = static_cast<uint8_t>(static_cast<int16_t>(static_cast<int16_t>(-38 * r - 74 * g + 112 * bl + 128) >> 8) + 128);
    v[c] = static_cast<uint8_t>(static_cast<int16_t>(static_cast<int16_t>(112 * r - 94 * g - 18 * bl + 128) >> 8) + 128);
  }
}

void ConvertI420(const I420Job& job) {
  const int64_t halfWidth = job.width / 2;
  for (int64_t y = 0; y < job.height; y += 2) {
    const uint8_t* row0 = job.in + y * job.stride;
    const uint8_t* row1 = row0 + job.stride;
    LumaRow(row0, job.yPlane + y * job.width, job.width);
    LumaRow(row1, job.yPlane + (y + 1) * job.width, job.width);
    ChromaRow(row0, row1, job.uPlane + (y / 2) * halfWidth, job.vPlane + (y / 2) * halfWidth, halfWidth);
  }
}

// Reads (src, srcOffset, srcStrideBytes, width, height, dst, dstOffset) and checks what memory
// safety needs; false (with a JS exception pending) when the arguments are unusable.
bool ReadJob(const Napi::CallbackInfo& info, const char* name, I420Job* job) {
  Napi::Env env = info.Env();
  if (info.Length() != 7 || !info[0].IsArrayBuffer() || !info[5].IsArrayBuffer()) {
    Napi::TypeError::New(env, std::string(name) + "(src, srcOffset, srcStrideBytes, width, height, dst, dstOffset)").ThrowAsJavaScriptException();
    return false;
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
    Napi::RangeError::New(env, std::string(name) + ": size, stride or offsets outside the buffers").ThrowAsJavaScriptException();
    return false;
  }
  job->in = static_cast<const uint8_t*>(src.Data()) + srcOffset;
  job->stride = stride;
  job->width = width;
  job->height = height;
  job->yPlane = static_cast<uint8_t*>(dst.Data()) + dstOffset;
  job->uPlane = job->yPlane + width * height;
  job->vPlane = job->uPlane + (width / 2) * (height / 2);
  return true;
}

// rgbaToI420(src: ArrayBuffer, srcOffset, srcStrideBytes, width, height, dst: ArrayBuffer, dstOffset)
// dst holds Y (width x height) then U then V ((width/2) x (height/2) each), tightly packed.
Napi::Value RgbaToI420(const Napi::CallbackInfo& info) {
  I420Job job{};
  if (ReadJob(info, "rgbaToI420", &job)) ConvertI420(job);
  return info.Env().Undefined();
}

class I420Worker : public Napi::AsyncWorker {
 public:
  I420Worker(Napi::Env env, const I420Job& job, Napi::ArrayBuffer src, Napi::ArrayBuffer dst)
      : Napi::AsyncWorker(env, "stratum:rgbaToI420"), job_(job), deferred_(Napi::Promise::Deferred::New(env)), src_(Napi::Persistent(src)), dst_(Napi::Persistent(dst)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override { ConvertI420(job_); }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  I420Job job_;
  Napi::Promise::Deferred deferred_;
  // Keep both ArrayBuffers alive while a threadpool thread reads and writes them.
  Napi::Reference<Napi::ArrayBuffer> src_;
  Napi::Reference<Napi::ArrayBuffer> dst_;
};

// rgbaToI420Async(same arguments) -> Promise<void>, converted on the libuv threadpool.
Napi::Value RgbaToI420Async(const Napi::CallbackInfo& info) {
  I420Job job{};
  if (!ReadJob(info, "rgbaToI420Async", &job)) return info.Env().Undefined();
  auto* worker = new I420Worker(info.Env(), job, info[0].As<Napi::ArrayBuffer>(), info[5].As<Napi::ArrayBuffer>());
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // deletes itself once done
  return promise;
}

}  // namespace

void InitYuv(Napi::Env env, Napi::Object exports) {
  exports.Set("rgbaToI420", Napi::Function::New(env, RgbaToI420, "rgbaToI420"));
  exports.Set("rgbaToI420Async", Napi::Function::New(env, RgbaToI420Async, "rgbaToI420Async"));
}

}  // namespace stratum
