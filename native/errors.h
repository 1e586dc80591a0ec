// Errors thrown to JavaScript carry the errno name as `code` and name the call and argument.
#pragma once
#include <napi.h>
#include <string>

namespace stratum {

// Throws Error{code: errno name, message: "<call>(<arg>): <strerror>"}; returns undefined for chaining.
Napi::Value ThrowErrno(Napi::Env env, const char* call, const std::string& arg, int err);
// Throws Error{code: "EINVAL" (or code), message: "<call>: <what>"}.
Napi::Value ThrowArg(Napi::Env env, const char* call, const std::string& what, const char* code = "EINVAL");

// Argument readers: return false after throwing a clear error.
bool ReadInt(const Napi::CallbackInfo& info, size_t index, const char* call, const char* name, int64_t min, int64_t max, int64_t* out);
bool ReadFd(const Napi::CallbackInfo& info, size_t index, const char* call, int* out);

}  // namespace stratum
