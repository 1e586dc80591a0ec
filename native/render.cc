// The renderer's entry points: decode and bounds-check a plan (src/render/plan.ts), then run the
// kernels over horizontal bands, on the libuv threadpool (renderExecute) or inline (renderExecuteSync).
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "errors.h"
#include "render_kernels.h"

namespace stratum {
namespace {

using render::Op;
using render::Target;
typedef void (*BandFunction)(const Target&, const Op*, size_t, int32_t, int32_t);

struct Variant {
  BandFunction band;
  const char* name;
};

// Every variant this CPU can run, best first.
std::vector<Variant> SupportedVariants() {
  std::vector<Variant> out;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
    out.push_back({render::RenderBandAvx512, "avx512"});
  }
  if (__builtin_cpu_supports("avx2")) out.push_back({render::RenderBandAvx2, "avx2"});
  out.push_back({render::RenderBandPortable, "x86-64"});
#else
  out.push_back({render::RenderBandPortable, "portable"});
#endif
  return out;
}

const Variant& CurrentVariant() {
  static const Variant variant = SupportedVariants().front();
  return variant;
}

constexpr const char* kCall = "renderExecute";

struct Plan {
  Target target{};
  std::vector<Op> ops;
  // The op stream and the memories it points into stay referenced until the work is done.
  std::vector<Napi::Reference<Napi::Value>> keep;
};

int BytesPerPixel(int32_t format) {
  switch (format) {
    case render::kRGBA8888:
    case render::kRGBX8888:
    case render::kBGRA8888:
    case render::kBGRX8888: return 4;
    case render::kRGB565: return 2;
    case render::kNV12: return 1;
    default: return 0;
  }
}

bool Fail(Napi::Env env, const std::string& what) {
  ThrowArg(env, kCall, what);
  return false;
}

// Bytes [offset, offset + rows*pitch ... + rowBytes) must lie inside a memory of `length` bytes.
bool PlaneFits(int64_t offset, int64_t pitch, int64_t rows, int64_t row_bytes, int64_t length) {
  if (offset < 0 || pitch < row_bytes || rows < 1 || row_bytes < 1) return false;
  return offset + pitch * (rows - 1) + row_bytes <= length;
}

bool ReadMemory(Napi::Env env, Napi::Value value, const std::string& what, uint8_t** data, int64_t* length) {
  if (!value.IsArrayBuffer()) return Fail(env, what + " must be an ArrayBuffer");
  Napi::ArrayBuffer ab = value.As<Napi::ArrayBuffer>();
  *data = static_cast<uint8_t*>(ab.Data());
  *length = static_cast<int64_t>(ab.ByteLength());
  if (*data == nullptr || *length == 0) return Fail(env, what + " is empty or detached (unmapped?)");
  return true;
}

// Reads (target, offset, strideBytes, width, height, sources, ops) and checks every op against the
// memories, so no plan can make a kernel read or write outside them.
bool DecodePlan(const Napi::CallbackInfo& info, Plan* plan) {
  Napi::Env env = info.Env();
  uint8_t* target = nullptr;
  int64_t target_length = 0, offset = 0, stride = 0, width = 0, height = 0;
  if (info.Length() < 7) return Fail(env, "expects (target, offset, strideBytes, width, height, sources, ops)");
  if (!ReadMemory(env, info[0], "target", &target, &target_length)) return false;
  if (!ReadInt(info, 1, kCall, "offset", 0, target_length, &offset)) return false;
  if (!ReadInt(info, 2, kCall, "strideBytes", 4, 1 << 20, &stride)) return false;
  if (!ReadInt(info, 3, kCall, "width", 1, 16384, &width)) return false;
  if (!ReadInt(info, 4, kCall, "height", 1, 16384, &height)) return false;
  if (offset % 4 != 0 || stride % 4 != 0) return Fail(env, "target offset and strideBytes must be multiples of 4");
  if (!PlaneFits(offset, stride, height, width * 4, target_length))
    return Fail(env, "target " + std::to_string(width) + "x" + std::to_string(height) + " with strideBytes " +
                         std::to_string(stride) + " does not fit its " + std::to_string(target_length) + " bytes");
  plan->target = {target + offset, static_cast<int32_t>(stride), static_cast<int32_t>(width), static_cast<int32_t>(height)};
  plan->keep.push_back(Napi::Persistent(info[0]));

  if (!info[5].IsArray()) return Fail(env, "sources must be an array of ArrayBuffers");
  Napi::Array source_list = info[5].As<Napi::Array>();
  std::vector<uint8_t*> sources(source_list.Length());
  std::vector<int64_t> lengths(source_list.Length());
  for (uint32_t i = 0; i < source_list.Length(); i++) {
    Napi::Value v = source_list.Get(i);
    if (!ReadMemory(env, v, "sources[" + std::to_string(i) + "]", &sources[i], &lengths[i])) return false;
    plan->keep.push_back(Napi::Persistent(v));
  }

  if (!info[6].IsTypedArray() || info[6].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    return Fail(env, "ops must be an Int32Array");
  Napi::Int32Array op_array = info[6].As<Napi::Int32Array>();
  plan->keep.push_back(Napi::Persistent(info[6]));
  const int32_t* w = op_array.Data();
  const size_t total = op_array.ElementLength();
  size_t at = 0;
  while (at < total) {
    const std::string name = "op " + std::to_string(plan->ops.size()) + ": ";
    if (total - at < static_cast<size_t>(render::kOpHeaderInts)) return Fail(env, name + "truncated header");
    const int32_t* h = w + at;
    Op op{};
    op.kind = h[0];
    op.rect_count = h[1];
    op.color = static_cast<uint32_t>(h[2]);
    op.alpha = h[3];
    if (op.kind < render::kFill || op.kind > render::kBuffer) return Fail(env, name + "unknown kind " + std::to_string(op.kind));
    if (op.rect_count < 0 || static_cast<size_t>(op.rect_count) * 4 > total - at - render::kOpHeaderInts)
      return Fail(env, name + "rect count " + std::to_string(op.rect_count) + " runs past the op stream");
    op.rects = h + render::kOpHeaderInts;
    for (int32_t r = 0; r < op.rect_count; r++) {
      const int32_t* rc = op.rects + r * 4;
      if (rc[0] < 0 || rc[1] < 0 || rc[2] > width || rc[3] > height || rc[0] > rc[2] || rc[1] > rc[3])
        return Fail(env, name + "rect " + std::to_string(r) + " [" + std::to_string(rc[0]) + "," + std::to_string(rc[1]) +
                             "," + std::to_string(rc[2]) + "," + std::to_string(rc[3]) + "] is outside the target");
    }
    if (op.kind == render::kBuffer) {
      const int32_t buffer = h[4];
      op.format = h[5];
      op.stride_bytes = h[6];
      op.width = h[7];
      op.height = h[8];
      const int64_t plane_offset = h[9], chroma_offset = h[10];
      op.chroma_stride_bytes = h[11];
      op.filter = h[12];
      op.blend = h[13];
      op.dst_left = h[14];
      op.dst_top = h[15];
      op.ox = h[16];
      op.oy = h[17];
      op.dxx = h[18];
      op.dxy = h[19];
      op.dyx = h[20];
      op.dyy = h[21];
      op.y_offset = h[22];
      op.y_scale = h[23];
      op.rv = h[24];
      op.gu = h[25];
      op.gv = h[26];
      op.bu = h[27];
      const int bpp = BytesPerPixel(op.format);
      if (buffer < 0 || static_cast<size_t>(buffer) >= sources.size()) return Fail(env, name + "source index out of range");
      if (bpp == 0) return Fail(env, name + "unsupported source format " + std::to_string(op.format));
      if (op.width < 1 || op.height < 1 || op.width > 16384 || op.height > 16384)
        return Fail(env, name + "source size " + std::to_string(op.width) + "x" + std::to_string(op.height) + " is invalid");
      if (op.alpha < 0 || op.alpha > 255) return Fail(env, name + "plane alpha out of 0..255");
      if (op.filter < render::kNearest || op.filter > render::kBilinear) return Fail(env, name + "unknown filter");
      if (op.blend < render::kBlendNone || op.blend > render::kBlendCoverage) return Fail(env, name + "unknown blend");
      if ((op.dxx != 0) == (op.dxy != 0) || (op.dyx != 0) == (op.dyy != 0))
        return Fail(env, name + "source mapping is not a flip or quarter turn");
      if (op.y_scale < 0 || op.y_scale > (1 << 18) || op.rv < 0 || op.rv > (1 << 18) || op.gu < 0 || op.gu > (1 << 18) ||
          op.gv < 0 || op.gv > (1 << 18) || op.bu < 0 || op.bu > (1 << 18) || op.y_offset < 0 || op.y_offset > 255)
        return Fail(env, name + "YUV coefficients out of range");
      if (bpp == 4 && (plane_offset % 4 != 0 || op.stride_bytes % 4 != 0))
        return Fail(env, name + "4-byte source must have offset and row pitch that are multiples of 4");
      if (!PlaneFits(plane_offset, op.stride_bytes, op.height, static_cast<int64_t>(op.width) * bpp, lengths[buffer]))
        return Fail(env, name + "source rows run past its " + std::to_string(lengths[buffer]) + " bytes");
      if (op.format == render::kNV12 &&
          !PlaneFits(chroma_offset, op.chroma_stride_bytes, (op.height + 1) / 2, static_cast<int64_t>((op.width + 1) / 2) * 2,
                     lengths[buffer]))
        return Fail(env, name + "NV12 chroma plane runs past its " + std::to_string(lengths[buffer]) + " bytes");
      op.plane0 = sources[buffer] + plane_offset;
      op.chroma = sources[buffer] + chroma_offset;
      if (sources[buffer] == target) return Fail(env, name + "source is the target's own memory");
    }
    plan->ops.push_back(op);
    at += render::kOpHeaderInts + static_cast<size_t>(op.rect_count) * 4;
  }
  return true;
}

// renderExecuteSync(..., ops, variant?): inline, one band; `variant` (tests, benchmarks) picks a
// supported kernel variant by name instead of the best one.
Napi::Value ExecuteSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Plan plan;
  if (!DecodePlan(info, &plan)) return env.Undefined();
  BandFunction band = CurrentVariant().band;
  if (info.Length() > 7 && !info[7].IsUndefined()) {
    if (!info[7].IsString()) return ThrowArg(env, kCall, "variant must be a string");
    const std::string wanted = info[7].As<Napi::String>().Utf8Value();
    band = nullptr;
    for (const Variant& v : SupportedVariants()) {
      if (wanted == v.name) band = v.band;
    }
    if (band == nullptr) return ThrowArg(env, kCall, "kernel variant '" + wanted + "' is not supported on this CPU", "ENOTSUP");
  }
  band(plan.target, plan.ops.data(), plan.ops.size(), 0, plan.target.height);
  return env.Undefined();
}

// One async job: N bands, each its own napi_async_work so the libuv threadpool runs them in
// parallel; the last band to complete (on the main thread) resolves the Promise.
struct Job {
  Plan plan;
  Napi::Promise::Deferred deferred;
  int32_t remaining = 0;
  bool cancelled = false;
  explicit Job(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

struct Band {
  Job* job;
  int32_t y0, y1;
  napi_async_work work = nullptr;
};

void RunBand(napi_env /*env*/, void* data) {
  Band* band = static_cast<Band*>(data);
  const Plan& plan = band->job->plan;
  CurrentVariant().band(plan.target, plan.ops.data(), plan.ops.size(), band->y0, band->y1);
}

void BandDone(napi_env env, napi_status status, void* data) {
  std::unique_ptr<Band> band(static_cast<Band*>(data));
  Job* job = band->job;
  napi_delete_async_work(env, band->work);
  // A cancelled band leaves the target partly drawn: report it rather than pretend.
  if (status != napi_ok) job->cancelled = true;
  if (--job->remaining > 0) return;
  Napi::Env e(env);
  Napi::HandleScope scope(e);
  if (job->cancelled) job->deferred.Reject(Napi::Error::New(e, "renderExecute: a band was cancelled").Value());
  else job->deferred.Resolve(e.Undefined());
  delete job;
}

Napi::Value Execute(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<Job>(env);
  if (!DecodePlan(info, &job->plan)) return env.Undefined();
  int64_t bands = 1;
  if (!ReadInt(info, 7, kCall, "bands", 1, 64, &bands)) return env.Undefined();
  const int32_t height = job->plan.target.height;
  if (bands > height) bands = height;
  std::vector<std::unique_ptr<Band>> parts;
  for (int32_t i = 0; i < bands; i++) {
    auto band = std::make_unique<Band>();
    band->job = job.get();
    band->y0 = static_cast<int32_t>(static_cast<int64_t>(height) * i / bands);
    band->y1 = static_cast<int32_t>(static_cast<int64_t>(height) * (i + 1) / bands);
    napi_value name;
    napi_create_string_utf8(env, "stratum.render", NAPI_AUTO_LENGTH, &name);
    if (napi_create_async_work(env, nullptr, name, RunBand, BandDone, band.get(), &band->work) != napi_ok) {
      for (auto& p : parts) napi_delete_async_work(env, p->work);
      ThrowArg(env, kCall, "cannot create async work", "ENOMEM");
      return env.Undefined();
    }
    parts.push_back(std::move(band));
  }
  Napi::Promise promise = job->deferred.Promise();
  job->remaining = static_cast<int32_t>(parts.size());
  job.release();  // freed by the last BandDone
  for (auto& band : parts) {
    napi_queue_async_work(env, band->work);
    band.release();  // freed by its BandDone
  }
  return promise;
}

Napi::Value KernelVariants(const Napi::CallbackInfo& info) {
  std::vector<Variant> variants = SupportedVariants();
  Napi::Array out = Napi::Array::New(info.Env(), variants.size());
  for (uint32_t i = 0; i < variants.size(); i++) out.Set(i, Napi::String::New(info.Env(), variants[i].name));
  return out;
}

}  // namespace

void InitRender(Napi::Env env, Napi::Object exports) {
  exports.Set("renderExecute", Napi::Function::New(env, Execute, "renderExecute"));
  exports.Set("renderExecuteSync", Napi::Function::New(env, ExecuteSync, "renderExecuteSync"));
  exports.Set("renderKernelVariants", Napi::Function::New(env, KernelVariants, "renderKernelVariants"));
}

}  // namespace stratum
