// The renderer's entry points: decode and bounds-check a plan (src/render/plan.ts), then run the
// kernels over horizontal bands, on the addon's render pool (renderExecute) or inline (renderExecuteSync).
#include <napi.h>

#include <uv.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "errors.h"
#include "render_kernels.h"
#include "render_pool.h"

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
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("bmi2")) {  // span-end masks use bzhi; a VM may hide BMI2
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

// `what` names the value in an error message; it is only called to build one.
template <typename Name>
bool ReadMemory(Napi::Env env, Napi::Value value, Name what, uint8_t** data, int64_t* length) {
  if (!value.IsArrayBuffer()) return Fail(env, what() + " must be an ArrayBuffer");
  Napi::ArrayBuffer ab = value.As<Napi::ArrayBuffer>();
  *data = static_cast<uint8_t*>(ab.Data());
  *length = static_cast<int64_t>(ab.ByteLength());
  if (*data == nullptr || *length == 0) return Fail(env, what() + " is empty or detached (unmapped?)");
  return true;
}

struct Memory {
  uint8_t* data;
  int64_t length;
};

// Reads (target, offset, strideBytes, width, height, sources, ops) and checks every op against the
// memories, so no plan can make a kernel read or write outside them.
bool DecodePlan(const Napi::CallbackInfo& info, Plan* plan, bool keep_alive) {
  Napi::Env env = info.Env();
  uint8_t* target = nullptr;
  int64_t target_length = 0, offset = 0, stride = 0, width = 0, height = 0;
  if (info.Length() < 7) return Fail(env, "expects (target, offset, strideBytes, width, height, sources, ops)");
  if (!ReadMemory(env, info[0], [] { return std::string("target"); }, &target, &target_length)) return false;
  if (!ReadInt(info, 1, kCall, "offset", 0, target_length, &offset)) return false;
  if (!ReadInt(info, 2, kCall, "strideBytes", 4, 1 << 20, &stride)) return false;
  if (!ReadInt(info, 3, kCall, "width", 1, 16384, &width)) return false;
  if (!ReadInt(info, 4, kCall, "height", 1, 16384, &height)) return false;
  if (offset % 4 != 0 || stride % 4 != 0) return Fail(env, "target offset and strideBytes must be multiples of 4");
  if (!PlaneFits(offset, stride, height, width * 4, target_length))
    return Fail(env, "target " + std::to_string(width) + "x" + std::to_string(height) + " with strideBytes " +
                         std::to_string(stride) + " does not fit its " + std::to_string(target_length) + " bytes");
  plan->target = {target + offset, static_cast<int32_t>(stride), static_cast<int32_t>(width), static_cast<int32_t>(height)};
  if (keep_alive) plan->keep.push_back(Napi::Persistent(info[0]));

  if (!info[5].IsArray()) return Fail(env, "sources must be an array of ArrayBuffers");
  Napi::Array source_list = info[5].As<Napi::Array>();
  // Only read while decoding (the ops keep the pointers). On the stack for the usual few sources:
  // a frame allocates nothing here. (Not a thread_local: Get() can run a JS getter, which could
  // call back in.)
  constexpr uint32_t kStackSources = 16;
  Memory stack_sources[kStackSources];
  std::vector<Memory> heap_sources;
  const uint32_t source_count = source_list.Length();
  Memory* sources = stack_sources;
  if (source_count > kStackSources) {
    heap_sources.resize(source_count);
    sources = heap_sources.data();
  }
  for (uint32_t i = 0; i < source_count; i++) {
    Napi::Value v = source_list.Get(i);
    if (!ReadMemory(env, v, [i] { return "sources[" + std::to_string(i) + "]"; }, &sources[i].data, &sources[i].length)) return false;
    if (keep_alive) plan->keep.push_back(Napi::Persistent(v));
  }

  if (!info[6].IsTypedArray() || info[6].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    return Fail(env, "ops must be an Int32Array");
  Napi::Int32Array op_array = info[6].As<Napi::Int32Array>();
  if (keep_alive) plan->keep.push_back(Napi::Persistent(info[6]));
  const int32_t* w = op_array.Data();
  const size_t total = op_array.ElementLength();
  size_t at = 0;
  while (at < total) {
    // Built only for an error message: this runs for every op of every frame.
    const size_t index = plan->ops.size();
    const auto name = [index]() { return "op " + std::to_string(index) + ": "; };
    if (total - at < static_cast<size_t>(render::kOpHeaderInts)) return Fail(env, name() + "truncated header");
    const int32_t* h = w + at;
    // Decoded in place (no copy of the op); a refused plan is never run, its ops are dropped with it.
    Op& op = plan->ops.emplace_back();
    op.kind = h[0];
    op.rect_count = h[1];
    op.color = static_cast<uint32_t>(h[2]);
    op.alpha = h[3];
    if (op.kind < render::kFill || op.kind > render::kBuffer) return Fail(env, name() + "unknown kind " + std::to_string(op.kind));
    if (op.rect_count < 0 || static_cast<size_t>(op.rect_count) * 4 > total - at - render::kOpHeaderInts)
      return Fail(env, name() + "rect count " + std::to_string(op.rect_count) + " runs past the op stream");
    op.rects = h + render::kOpHeaderInts;
    for (int32_t r = 0; r < op.rect_count; r++) {
      const int32_t* rc = op.rects + r * 4;
      if (rc[0] < 0 || rc[1] < 0 || rc[2] > width || rc[3] > height || rc[0] > rc[2] || rc[1] > rc[3])
        return Fail(env, name() + "rect " + std::to_string(r) + " [" + std::to_string(rc[0]) + "," + std::to_string(rc[1]) +
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
      if (buffer < 0 || static_cast<uint32_t>(buffer) >= source_count) return Fail(env, name() + "source index out of range");
      if (bpp == 0) return Fail(env, name() + "unsupported source format " + std::to_string(op.format));
      if (op.width < 1 || op.height < 1 || op.width > 16384 || op.height > 16384)
        return Fail(env, name() + "source size " + std::to_string(op.width) + "x" + std::to_string(op.height) + " is invalid");
      if (op.alpha < 0 || op.alpha > 255) return Fail(env, name() + "plane alpha out of 0..255");
      if (op.filter < render::kNearest || op.filter > render::kBilinear) return Fail(env, name() + "unknown filter");
      if (op.blend < render::kBlendNone || op.blend > render::kBlendCoverage) return Fail(env, name() + "unknown blend");
      if ((op.dxx != 0) == (op.dxy != 0) || (op.dyx != 0) == (op.dyy != 0))
        return Fail(env, name() + "source mapping is not a flip or quarter turn");
      if (op.y_scale < 0 || op.y_scale > (1 << 18) || op.rv < 0 || op.rv > (1 << 18) || op.gu < 0 || op.gu > (1 << 18) ||
          op.gv < 0 || op.gv > (1 << 18) || op.bu < 0 || op.bu > (1 << 18) || op.y_offset < 0 || op.y_offset > 255)
        return Fail(env, name() + "YUV coefficients out of range");
      if (bpp == 4 && (plane_offset % 4 != 0 || op.stride_bytes % 4 != 0))
        return Fail(env, name() + "4-byte source must have offset and row pitch that are multiples of 4");
      if (!PlaneFits(plane_offset, op.stride_bytes, op.height, static_cast<int64_t>(op.width) * bpp, sources[buffer].length))
        return Fail(env, name() + "source rows run past its " + std::to_string(sources[buffer].length) + " bytes");
      if (op.format == render::kNV12 &&
          !PlaneFits(chroma_offset, op.chroma_stride_bytes, (op.height + 1) / 2, static_cast<int64_t>((op.width + 1) / 2) * 2,
                     sources[buffer].length))
        return Fail(env, name() + "NV12 chroma plane runs past its " + std::to_string(sources[buffer].length) + " bytes");
      op.plane0 = sources[buffer].data + plane_offset;
      op.chroma = sources[buffer].data + chroma_offset;
      if (sources[buffer].data == target) return Fail(env, name() + "source is the target's own memory");
    }
    at += render::kOpHeaderInts + static_cast<size_t>(op.rect_count) * 4;
  }
  return true;
}

// renderExecuteSync(..., ops, variant?): inline, one band; `variant` (tests, benchmarks) picks a
// supported kernel variant by name instead of the best one.
Napi::Value ExecuteSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Drawn before this returns: nothing needs keeping alive, and the op list is reused from call
  // to call (a frame allocates nothing), except in a call made from inside another (a JS getter
  // on the sources array runs during decoding), which gets its own.
  static thread_local Plan reused;
  static thread_local bool reused_busy = false;
  Plan own;
  const bool reuse = !reused_busy;
  Plan& plan = reuse ? reused : own;
  plan.ops.clear();
  struct Release {
    bool active;
    ~Release() { if (active) reused_busy = false; }
  } release{reuse};
  reused_busy = true;
  if (!DecodePlan(info, &plan, false)) return env.Undefined();
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

// compose() work runs on this environment's render pool (render_pool.h): a job is N horizontal
// bands, claimed by the pool's workers; the worker that finishes the last band queues the job and
// wakes the main thread with one uv_async_send, which resolves the Promise there.
struct Job : render::PoolJob {
  Plan plan;
  BandFunction band_function = CurrentVariant().band;
  napi_deferred deferred = nullptr;
  void RunBand(int32_t band) override {
    const int32_t height = plan.target.height;
    const int32_t y0 = static_cast<int32_t>(static_cast<int64_t>(height) * band / bands);
    const int32_t y1 = static_cast<int32_t>(static_cast<int64_t>(height) * (band + 1) / bands);
    band_function(plan.target, plan.ops.data(), plan.ops.size(), y0, y1);
  }
};

// One per environment (the main thread, each worker thread that renders), made on first use.
// Its memory is freed by the async handle's close callback, after the workers are joined; the
// async cleanup hook keeps the environment (and this code) alive until then.
struct EnvPool {
  uv_async_t async;
  napi_env env = nullptr;
  napi_async_cleanup_hook_handle hook = nullptr;
  // Promises are settled inside a callback scope of this async context, as napi_async_work's
  // completions are: closing it runs the microtasks and process.nextTick callbacks they queue.
  napi_ref resource = nullptr;
  napi_async_context context = nullptr;
  render::RenderPool pool{&EnvPool::OnJobDone, this};
  std::mutex done_mutex;
  std::vector<Job*> done;       // finished on a worker, not yet settled (guarded by done_mutex)
  std::vector<Job*> in_flight;  // submitted, not yet settled (main thread only)

  static void OnJobDone(render::PoolJob* job, void* context) {
    EnvPool* self = static_cast<EnvPool*>(context);
    {
      std::lock_guard<std::mutex> lock(self->done_mutex);
      self->done.push_back(static_cast<Job*>(job));
    }
    uv_async_send(&self->async);
  }

  // Main thread: settle every finished job.
  static void OnAsync(uv_async_t* handle) {
    EnvPool* self = static_cast<EnvPool*>(handle->data);
    std::vector<Job*> finished;
    {
      std::lock_guard<std::mutex> lock(self->done_mutex);
      finished.swap(self->done);
    }
    // Plain N-API calls whose failure is ignored: a worker being terminated cannot run JS any
    // more, and its promises no longer matter.
    napi_env env = self->env;
    napi_handle_scope handles = nullptr;
    napi_callback_scope callbacks = nullptr;
    napi_value resource = nullptr, undefined = nullptr;
    if (napi_open_handle_scope(env, &handles) != napi_ok) handles = nullptr;
    if (handles != nullptr && napi_get_reference_value(env, self->resource, &resource) == napi_ok && resource != nullptr &&
        napi_open_callback_scope(env, resource, self->context, &callbacks) != napi_ok)
      callbacks = nullptr;
    if (handles != nullptr && napi_get_undefined(env, &undefined) != napi_ok) undefined = nullptr;
    for (Job* job : finished) {
      auto at = std::find(self->in_flight.begin(), self->in_flight.end(), job);
      if (at != self->in_flight.end()) self->in_flight.erase(at);
      if (undefined != nullptr) napi_resolve_deferred(env, job->deferred, undefined);
      delete job;
    }
    if (callbacks != nullptr) napi_close_callback_scope(env, callbacks);
    if (handles != nullptr) napi_close_handle_scope(env, handles);
    // An idle pool does not keep the process alive; a pending compose does (as queued work would).
    if (self->in_flight.empty()) uv_unref(reinterpret_cast<uv_handle_t*>(&self->async));
  }

  static void OnClosed(uv_handle_t* handle) {
    EnvPool* self = static_cast<EnvPool*>(handle->data);
    if (self->hook != nullptr) napi_remove_async_cleanup_hook(self->hook);
    delete self;
  }

  // The environment is going away: join the workers (a band in progress finishes), drop the jobs
  // that will never settle, and close the handle.
  static void OnEnvCleanup(napi_async_cleanup_hook_handle /*hook*/, void* arg) {
    EnvPool* self = static_cast<EnvPool*>(arg);
    self->pool.Stop();
    if (current == self) current = nullptr;
    for (Job* job : self->in_flight) {
      // The environment frees its references itself now.
      for (auto& ref : job->plan.keep) ref.SuppressDestruct();
      delete job;
    }
    self->in_flight.clear();
    self->done.clear();
    if (self->context != nullptr) napi_async_destroy(self->env, self->context);
    if (self->resource != nullptr) napi_delete_reference(self->env, self->resource);
    uv_close(reinterpret_cast<uv_handle_t*>(&self->async), &EnvPool::OnClosed);
  }

  static thread_local EnvPool* current;

  static EnvPool* For(Napi::Env env) {
    if (current != nullptr) return current;
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return nullptr;
    napi_value resource, name;
    napi_ref resource_ref = nullptr;
    napi_async_context context = nullptr;
    if (napi_create_object(env, &resource) != napi_ok || napi_create_reference(env, resource, 1, &resource_ref) != napi_ok)
      return nullptr;
    if (napi_create_string_utf8(env, "stratum.render", NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_async_init(env, resource, name, &context) != napi_ok) {
      napi_delete_reference(env, resource_ref);
      return nullptr;
    }
    EnvPool* self = new EnvPool;
    self->env = env;
    self->resource = resource_ref;
    self->context = context;
    if (uv_async_init(loop, &self->async, &EnvPool::OnAsync) != 0) {
      napi_async_destroy(env, context);
      napi_delete_reference(env, resource_ref);
      delete self;
      return nullptr;
    }
    self->async.data = self;
    uv_unref(reinterpret_cast<uv_handle_t*>(&self->async));
    if (napi_add_async_cleanup_hook(env, &EnvPool::OnEnvCleanup, self, &self->hook) != napi_ok) {
      napi_async_destroy(env, context);
      napi_delete_reference(env, resource_ref);
      self->context = nullptr;
      self->resource = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(&self->async), &EnvPool::OnClosed);
      return nullptr;
    }
    current = self;
    return self;
  }
};
thread_local EnvPool* EnvPool::current = nullptr;

// renderExecute(..., ops, bands, threads, spinMicroseconds): `bands` row ranges, run by a pool of
// `threads` workers that spin `spinMicroseconds` for the next job before parking.
Napi::Value Execute(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<Job>();
  if (!DecodePlan(info, &job->plan, true)) return env.Undefined();
  int64_t bands = 1, threads = 1, spin_us = 0;
  if (!ReadInt(info, 7, kCall, "bands", 1, 256, &bands)) return env.Undefined();
  if (!ReadInt(info, 8, kCall, "threads", 1, 64, &threads)) return env.Undefined();
  if (!ReadInt(info, 9, kCall, "spinMicroseconds", 0, 1000000, &spin_us)) return env.Undefined();
  const int32_t height = job->plan.target.height;
  job->bands = static_cast<int32_t>(std::min<int64_t>(bands, height));
  EnvPool* pool = EnvPool::For(env);
  if (pool == nullptr) return ThrowArg(env, kCall, "cannot set up the render pool on this thread's event loop", "EINVAL");
  if (!pool->pool.EnsureWorkers(static_cast<int32_t>(threads)) && pool->pool.Workers() == 0)
    return ThrowArg(env, kCall, "cannot start a render thread", "EAGAIN");
  napi_value promise;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) return ThrowArg(env, kCall, "cannot create a promise", "ENOMEM");
  if (pool->in_flight.empty()) uv_ref(reinterpret_cast<uv_handle_t*>(&pool->async));
  pool->in_flight.push_back(job.get());
  pool->pool.Submit(job.release(), spin_us * 1000);
  return Napi::Value(env, promise);
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
