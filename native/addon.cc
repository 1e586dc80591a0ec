// The one native addon: OS calls (shared memory, sockets) and pixel kernels. Decisions live in TypeScript.
#include <napi.h>

namespace stratum {
void InitShm(Napi::Env env, Napi::Object exports);
void InitSocket(Napi::Env env, Napi::Object exports);
void InitRender(Napi::Env env, Napi::Object exports);
void InitYuv(Napi::Env env, Napi::Object exports);
}  // namespace stratum

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  stratum::InitShm(env, exports);
  stratum::InitSocket(env, exports);
  stratum::InitRender(env, exports);
  stratum::InitYuv(env, exports);
  return exports;
}

NODE_API_MODULE(stratum, Init)
