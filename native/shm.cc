// Shared memory: sealed memfds, zero-copy mappings exposed as external ArrayBuffers, explicit unmap.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <cerrno>
#include <string>
#include <unordered_map>

#include "errors.h"

namespace stratum {
namespace {

// The largest single buffer we will create or map: 16384 x 16384 x 4 bytes, plus slack for planes.
constexpr int64_t kMaxSharedBytes = int64_t(1) << 31;

struct Mapping {
  void* addr;
  size_t length;
  bool mapped;
};

// Live mappings by address, so unmap() can find the record of an ArrayBuffer it is handed.
// Guarded by mappings_mutex: worker threads map and unmap too.
std::unordered_map<void*, Mapping*> live_mappings;
std::mutex mappings_mutex;
std::atomic<int64_t> mapped_bytes{0};
std::atomic<int64_t> mapping_count{0};

void ReleaseMapping(Mapping* m) {
  std::lock_guard<std::mutex> lock(mappings_mutex);
  if (!m->mapped) return;
  munmap(m->addr, m->length);
  m->mapped = false;
  live_mappings.erase(m->addr);
  mapped_bytes -= static_cast<int64_t>(m->length);
  mapping_count -= 1;
}

void FinalizeMapping(Napi::Env /*env*/, void* /*data*/, Mapping* m) {
  ReleaseMapping(m);
  delete m;
}

// memfdCreate(name, size, seal): a CLOEXEC memfd of `size` bytes; with seal, shrink/grow/seal are sealed.
Napi::Value MemfdCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return ThrowArg(env, "memfdCreate", "name must be a string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (name.size() > 249) return ThrowArg(env, "memfdCreate", "name longer than 249 bytes");
  int64_t size = 0;
  if (!ReadInt(info, 1, "memfdCreate", "size", 1, kMaxSharedBytes, &size)) return env.Undefined();
  bool seal = info.Length() > 2 && info[2].ToBoolean().Value();
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return ThrowErrno(env, "memfd_create", name, errno);
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(env, "ftruncate", "size=" + std::to_string(size), err);
  }
  if (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(env, "fcntl", "F_ADD_SEALS", err);
  }
  return Napi::Number::New(env, fd);
}

// fdSize(fd): the size in bytes of the file behind fd.
Napi::Value FdSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  if (!ReadFd(info, 0, "fdSize", &fd)) return env.Undefined();
  struct stat st;
  if (fstat(fd, &st) != 0) return ThrowErrno(env, "fstat", "fd=" + std::to_string(fd), errno);
  return Napi::Number::New(env, static_cast<double>(st.st_size));
}

// fdSeals(fd): the F_GET_SEALS bit set.
Napi::Value FdSeals(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  if (!ReadFd(info, 0, "fdSeals", &fd)) return env.Undefined();
  int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0) return ThrowErrno(env, "fcntl", "F_GET_SEALS fd=" + std::to_string(fd), errno);
  return Napi::Number::New(env, seals);
}

// truncateFd(fd, size): ftruncate; exists so tests can prove that seals refuse it.
Napi::Value TruncateFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  int64_t size = 0;
  if (!ReadFd(info, 0, "truncateFd", &fd)) return env.Undefined();
  if (!ReadInt(info, 1, "truncateFd", "size", 0, kMaxSharedBytes, &size)) return env.Undefined();
  if (ftruncate(fd, static_cast<off_t>(size)) != 0)
    return ThrowErrno(env, "ftruncate", "fd=" + std::to_string(fd) + " size=" + std::to_string(size), errno);
  return env.Undefined();
}

// mmap(fd, size, writable): a shared mapping as an ArrayBuffer over the same memory (no copy).
Napi::Value Mmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  int64_t size = 0;
  if (!ReadFd(info, 0, "mmap", &fd)) return env.Undefined();
  if (!ReadInt(info, 1, "mmap", "size", 1, kMaxSharedBytes, &size)) return env.Undefined();
  bool writable = info.Length() > 2 && info[2].ToBoolean().Value();
  struct stat st;
  if (fstat(fd, &st) != 0) return ThrowErrno(env, "mmap", "fd=" + std::to_string(fd), errno);
  // Mapping past the end of the file would SIGBUS on access: refuse it here.
  if (st.st_size < size)
    return ThrowArg(env, "mmap",
                    "size " + std::to_string(size) + " exceeds the file size " + std::to_string(st.st_size) + " of fd " +
                        std::to_string(fd));
  int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void* addr = mmap(nullptr, static_cast<size_t>(size), prot, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) return ThrowErrno(env, "mmap", "fd=" + std::to_string(fd), errno);
  Mapping* m = new Mapping{addr, static_cast<size_t>(size), true};
  {
    std::lock_guard<std::mutex> lock(mappings_mutex);
    live_mappings[addr] = m;
  }
  mapped_bytes += size;
  mapping_count += 1;
  return Napi::ArrayBuffer::New(env, addr, m->length, FinalizeMapping, m);
}

// unmap(arrayBuffer): munmap now and detach the ArrayBuffer so later access throws instead of faulting.
Napi::Value Unmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArrayBuffer()) return ThrowArg(env, "unmap", "argument must be an ArrayBuffer");
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  void* data = ab.Data();
  Mapping* m = nullptr;
  {
    std::lock_guard<std::mutex> lock(mappings_mutex);
    auto it = live_mappings.find(data);
    if (data != nullptr && it != live_mappings.end() && it->second->length == ab.ByteLength()) m = it->second;
  }
  if (m == nullptr) return ThrowArg(env, "unmap", "ArrayBuffer is not a live mapping made by mmap");
  ReleaseMapping(m);
  ab.Detach();
  return env.Undefined();
}

// close(fd)
Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  if (!ReadFd(info, 0, "close", &fd)) return env.Undefined();
  if (close(fd) != 0) return ThrowErrno(env, "close", "fd=" + std::to_string(fd), errno);
  return env.Undefined();
}

// dup(fd): a CLOEXEC duplicate.
Napi::Value Dup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  if (!ReadFd(info, 0, "dup", &fd)) return env.Undefined();
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return ThrowErrno(env, "dup", "fd=" + std::to_string(fd), errno);
  return Napi::Number::New(env, copy);
}

Napi::Value MappedBytes(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("bytes", Napi::Number::New(info.Env(), static_cast<double>(mapped_bytes.load())));
  out.Set("count", Napi::Number::New(info.Env(), static_cast<double>(mapping_count.load())));
  return out;
}

}  // namespace

void InitShm(Napi::Env env, Napi::Object exports) {
  exports.Set("memfdCreate", Napi::Function::New(env, MemfdCreate, "memfdCreate"));
  exports.Set("fdSize", Napi::Function::New(env, FdSize, "fdSize"));
  exports.Set("fdSeals", Napi::Function::New(env, FdSeals, "fdSeals"));
  exports.Set("truncateFd", Napi::Function::New(env, TruncateFd, "truncateFd"));
  exports.Set("mmap", Napi::Function::New(env, Mmap, "mmap"));
  exports.Set("unmap", Napi::Function::New(env, Unmap, "unmap"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("dup", Napi::Function::New(env, Dup, "dup"));
  exports.Set("mappedBytes", Napi::Function::New(env, MappedBytes, "mappedBytes"));
}

}  // namespace stratum
