#include "errors.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace stratum {

Napi::Value ThrowErrno(Napi::Env env, const char* call, const std::string& arg, int err) {
  const char* name = strerrorname_np(err);
  std::string message = std::string(call) + "(" + arg + "): " + strerror(err);
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, call));
  error.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value ThrowArg(Napi::Env env, const char* call, const std::string& what, const char* code) {
  Napi::Error error = Napi::TypeError::New(env, std::string(call) + ": " + what);
  error.Set("code", Napi::String::New(env, code));
  error.ThrowAsJavaScriptException();
  return env.Undefined();
}

bool ReadInt(const Napi::CallbackInfo& info, size_t index, const char* call, const char* name, int64_t min, int64_t max,
             int64_t* out) {
  Napi::Env env = info.Env();
  if (info.Length() <= index || !info[index].IsNumber()) {
    ThrowArg(env, call, std::string(name) + " must be a number");
    return false;
  }
  double value = info[index].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(value) || std::floor(value) != value) {
    char got[32];
    snprintf(got, sizeof(got), "%.17g", value);
    ThrowArg(env, call, std::string(name) + " must be an integer, got " + got);
    return false;
  }
  if (value < static_cast<double>(min) || value > static_cast<double>(max)) {
    // Format the double itself: casting an out-of-range double to int64_t is undefined.
    char got[32];
    snprintf(got, sizeof(got), "%.17g", value);
    ThrowArg(env, call,
             std::string(name) + " out of range [" + std::to_string(min) + ", " + std::to_string(max) + "], got " + got);
    return false;
  }
  *out = static_cast<int64_t>(value);
  return true;
}

bool ReadFd(const Napi::CallbackInfo& info, size_t index, const char* call, int* out) {
  int64_t fd = 0;
  if (!ReadInt(info, index, call, "fd", 0, 0x7fffffff, &fd)) return false;
  *out = static_cast<int>(fd);
  return true;
}

}  // namespace stratum
