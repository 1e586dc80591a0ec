// Unix SOCK_SEQPACKET sockets with SCM_RIGHTS, and an fd poller on the libuv loop.
// Only syscalls here: queueing, bounds and close policy live in src/os/socket.ts.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "errors.h"

namespace stratum {
namespace {

// Largest message payload; one receive buffer of this size (a bigger message arrives truncated).
constexpr size_t kMaxMessageBytes = 64 * 1024;
// Most fds attached to one message (libwayland's limit; the kernel's SCM_MAX_FD is 253).
constexpr size_t kMaxMessageFds = 28;
constexpr int kTruncatedData = 1;
constexpr int kTruncatedFds = 2;


bool ReadPath(const Napi::CallbackInfo& info, const char* call, sockaddr_un* addr, socklen_t* len) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    ThrowArg(env, call, "path must be a string");
    return false;
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  if (path.empty() || path.find('\0') != std::string::npos) {
    ThrowArg(env, call, "path must be non-empty and contain no NUL byte");
    return false;
  }
  memset(addr, 0, sizeof(*addr));
  if (path.size() >= sizeof(addr->sun_path)) {
    ThrowArg(env, call,
             "path is " + std::to_string(path.size()) + " bytes; a Unix socket path holds at most " +
                 std::to_string(sizeof(addr->sun_path) - 1),
             "ENAMETOOLONG");
    return false;
  }
  addr->sun_family = AF_UNIX;
  memcpy(addr->sun_path, path.data(), path.size());
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return true;
}

int NewSocket() { return socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); }

// socketPair(): two connected non-blocking CLOEXEC SEQPACKET fds.
Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0)
    return ThrowErrno(env, "socketpair", "AF_UNIX, SOCK_SEQPACKET", errno);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(uint32_t(0), Napi::Number::New(env, fds[0]));
  out.Set(uint32_t(1), Napi::Number::New(env, fds[1]));
  return out;
}

// socketListen(path, backlog): bind, chmod 0600 (before listen, so no one connects earlier), listen.
Napi::Value SocketListen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sockaddr_un addr;
  socklen_t len = 0;
  if (!ReadPath(info, "socketListen", &addr, &len)) return env.Undefined();
  int64_t backlog = 0;
  if (!ReadInt(info, 1, "socketListen", "backlog", 1, 65535, &backlog)) return env.Undefined();
  int fd = NewSocket();
  if (fd < 0) return ThrowErrno(env, "socket", "AF_UNIX, SOCK_SEQPACKET", errno);
  const char* failed = nullptr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    failed = "bind";
  } else if (chmod(addr.sun_path, 0600) != 0) {
    failed = "chmod";
  } else if (listen(fd, static_cast<int>(backlog)) != 0) {
    failed = "listen";
  }
  if (failed != nullptr) {
    int err = errno;
    bool bound = strcmp(failed, "bind") != 0;
    close(fd);
    if (bound) unlink(addr.sun_path);
    return ThrowErrno(env, failed, addr.sun_path, err);
  }
  return Napi::Number::New(env, fd);
}

// socketAccept(fd): a new connection's fd, or null when none is waiting.
Napi::Value SocketAccept(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  if (!ReadFd(info, 0, "socketAccept", &fd)) return env.Undefined();
  for (;;) {
    int conn = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (conn >= 0) return Napi::Number::New(env, conn);
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return env.Null();
    return ThrowErrno(env, "accept4", "fd=" + std::to_string(fd), errno);
  }
}

// socketConnect(path): a connected non-blocking fd. Unix connect completes at once; a full
// backlog is EAGAIN, a missing path ENOENT, a path with no listener ECONNREFUSED.
Napi::Value SocketConnect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sockaddr_un addr;
  socklen_t len = 0;
  if (!ReadPath(info, "socketConnect", &addr, &len)) return env.Undefined();
  int fd = NewSocket();
  if (fd < 0) return ThrowErrno(env, "socket", "AF_UNIX, SOCK_SEQPACKET", errno);
  int rc;
  do {
    rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), len);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int err = errno;
    close(fd);
    return ThrowErrno(env, "connect", addr.sun_path, err);
  }
  return Napi::Number::New(env, fd);
}

// socketSend(fd, data, fds): one message with its fds. true when sent, false when the kernel
// buffer is full (EAGAIN); other failures (EPIPE, ECONNRESET, EBADF, ...) throw.
Napi::Value SocketSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  if (!ReadFd(info, 0, "socketSend", &fd)) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    return ThrowArg(env, "socketSend", "data must be a Uint8Array");
  Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
  if (data.ByteLength() == 0 || data.ByteLength() > kMaxMessageBytes)
    return ThrowArg(env, "socketSend",
                    "data is " + std::to_string(data.ByteLength()) + " bytes; a message holds 1.." +
                        std::to_string(kMaxMessageBytes));
  if (info.Length() < 3 || !info[2].IsArray()) return ThrowArg(env, "socketSend", "fds must be an array");
  Napi::Array fd_array = info[2].As<Napi::Array>();
  if (fd_array.Length() > kMaxMessageFds)
    return ThrowArg(env, "socketSend",
                    std::to_string(fd_array.Length()) + " fds; a message carries at most " +
                        std::to_string(kMaxMessageFds));
  std::vector<int> fds(fd_array.Length());
  for (uint32_t i = 0; i < fd_array.Length(); i++) {
    Napi::Value v = fd_array.Get(i);
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0 && d <= 0x7fffffff && static_cast<double>(static_cast<int>(d)) == d))
      return ThrowArg(env, "socketSend", "fds[" + std::to_string(i) + "] is not a file descriptor");
    fds[i] = static_cast<int>(d);
  }

  iovec iov{data.Data(), data.ByteLength()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxMessageFds)];
  if (!fds.empty()) {
    size_t bytes = sizeof(int) * fds.size();
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(bytes);
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(bytes);
    memcpy(CMSG_DATA(cmsg), fds.data(), bytes);
  }
  for (;;) {
    ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return Napi::Boolean::New(env, true);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
    return ThrowErrno(env, "sendmsg", "fd=" + std::to_string(fd), errno);
  }
}

// Up to this many messages per socketRecv call (one recvmmsg): a wake-up usually finds one or a
// few, and reading them in one system call spares the EAGAIN call that would end a recvmsg loop.
constexpr int64_t kMaxBatch = 8;
// Per message in `meta`: byte length, fd count, truncation flags.
constexpr int64_t kMetaInts = 3;

// socketRecv(fd, arena, meta, fds, max): receives 1..max messages with one recvmmsg straight into
// the caller's memory (nothing is allocated per message): message i's bytes at arena offset
// i * maxMessageBytes, its length, fd count and truncation flags in meta[3i..3i+2], and the fds of
// all messages in order in `fds`. Returns the count, or -1 when nothing is waiting. End of stream
// is a message of length 0 with no fds (empty messages are never sent). A truncated message's fds
// are already closed and its fd count is 0.
Napi::Value SocketRecv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr const char* kName = "socketRecv";
  int fd = -1;
  if (!ReadFd(info, 0, kName, &fd)) return env.Undefined();
  int64_t max = 0;
  if (!ReadInt(info, 4, kName, "max", 1, kMaxBatch, &max)) return env.Undefined();
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    return ThrowArg(env, kName, "arena must be a Uint8Array");
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    return ThrowArg(env, kName, "meta must be an Int32Array");
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    return ThrowArg(env, kName, "fds must be an Int32Array");
  Napi::Uint8Array arena = info[1].As<Napi::Uint8Array>();
  Napi::Int32Array meta = info[2].As<Napi::Int32Array>();
  Napi::Int32Array fd_out = info[3].As<Napi::Int32Array>();
  if (arena.ByteLength() < static_cast<size_t>(max) * kMaxMessageBytes || meta.ElementLength() < static_cast<size_t>(max * kMetaInts) ||
      fd_out.ElementLength() < static_cast<size_t>(max) * kMaxMessageFds)
    return ThrowArg(env, kName, "arena, meta or fds is too small for max messages");

  mmsghdr messages[kMaxBatch];
  iovec iovs[kMaxBatch];
  alignas(cmsghdr) char controls[kMaxBatch][CMSG_SPACE(sizeof(int) * kMaxMessageFds)];
  memset(messages, 0, sizeof(messages));
  for (int64_t i = 0; i < max; i++) {
    iovs[i] = iovec{arena.Data() + i * kMaxMessageBytes, kMaxMessageBytes};
    msghdr& msg = messages[i].msg_hdr;
    msg.msg_iov = &iovs[i];
    msg.msg_iovlen = 1;
    msg.msg_control = controls[i];
    msg.msg_controllen = sizeof(controls[i]);
  }
  int count;
  for (;;) {
    count = recvmmsg(fd, messages, static_cast<unsigned>(max), MSG_CMSG_CLOEXEC | MSG_DONTWAIT, nullptr);
    if (count >= 0) break;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Number::New(env, -1);
    return ThrowErrno(env, "recvmmsg", "fd=" + std::to_string(fd), errno);
  }
  int32_t* m = meta.Data();
  int32_t* out = fd_out.Data();
  for (int i = 0; i < count; i++) {
    msghdr& msg = messages[i].msg_hdr;
    const int truncated = ((msg.msg_flags & MSG_TRUNC) ? kTruncatedData : 0) | ((msg.msg_flags & MSG_CTRUNC) ? kTruncatedFds : 0);
    int32_t fd_count = 0;
    for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
      if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
      const size_t n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t k = 0; k < n; k++) {
        int received;
        memcpy(&received, CMSG_DATA(cmsg) + k * sizeof(int), sizeof(int));
        if (truncated != 0) {
          close(received);
        } else {
          *out++ = received;
          fd_count++;
        }
      }
    }
    m[i * kMetaInts] = static_cast<int32_t>(messages[i].msg_len < kMaxMessageBytes ? messages[i].msg_len : kMaxMessageBytes);
    m[i * kMetaInts + 1] = fd_count;
    m[i * kMetaInts + 2] = truncated;
  }
  return Napi::Number::New(env, count);
}

// peerCredentials(fd): {pid, uid, gid} of the process that connected (SO_PEERCRED).
Napi::Value PeerCredentials(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  if (!ReadFd(info, 0, "peerCredentials", &fd)) return env.Undefined();
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return ThrowErrno(env, "getsockopt", "SO_PEERCRED fd=" + std::to_string(fd), errno);
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, cred.pid));
  out.Set("uid", Napi::Number::New(env, cred.uid));
  out.Set("gid", Napi::Number::New(env, cred.gid));
  return out;
}

// socketType(fd): SO_TYPE (SOCK_SEQPACKET is 5); ENOTSOCK for anything but a socket.
Napi::Value SocketType(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = -1;
  if (!ReadFd(info, 0, "socketType", &fd)) return env.Undefined();
  int type = 0;
  socklen_t len = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
    return ThrowErrno(env, "getsockopt", "SO_TYPE fd=" + std::to_string(fd), errno);
  return Napi::Number::New(env, type);
}

// FdPoller(fd, callback(status, events)): a uv_poll_t on the loop of this thread. setEvents(mask)
// with UV_READABLE=1 | UV_WRITABLE=2 (0 stops watching); close() stops it and releases the handle
// (the fd itself stays open: its owner closes it). The JS object stays alive while open.
//
// The uv handle lives in its own allocation, freed by its close callback. Each one holds an async
// cleanup hook until that callback ran, so a worker's environment (and this addon's code, which
// Node unloads with it) outlives every close callback, even for pollers still open at exit.
struct PollHandle {
  uv_poll_t poll;
  napi_async_cleanup_hook_handle hook = nullptr;
  class FdPoller* owner = nullptr;
};

class FdPoller : public Napi::ObjectWrap<FdPoller> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FdPoller",
                       {InstanceMethod("setEvents", &FdPoller::SetEvents), InstanceMethod("close", &FdPoller::Close),
                        InstanceMethod("ref", &FdPoller::RefLoop), InstanceMethod("unref", &FdPoller::UnrefLoop)});
  }

  explicit FdPoller(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FdPoller>(info) {
    Napi::Env env = info.Env();
    int fd = -1;
    if (!ReadFd(info, 0, "FdPoller", &fd)) return;
    if (info.Length() < 2 || !info[1].IsFunction()) {
      ThrowArg(env, "FdPoller", "callback must be a function");
      return;
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      ThrowArg(env, "FdPoller", "no libuv loop on this thread", "EINVAL");
      return;
    }
    PollHandle* handle = new PollHandle;
    int rc = uv_poll_init(loop, &handle->poll, fd);
    if (rc != 0) {
      delete handle;
      ThrowErrno(env, "uv_poll_init", "fd=" + std::to_string(fd), -rc);
      return;
    }
    handle->poll.data = handle;
    if (napi_add_async_cleanup_hook(env, &FdPoller::OnEnvCleanup, handle, &handle->hook) != napi_ok) {
      uv_close(reinterpret_cast<uv_handle_t*>(&handle->poll), &FdPoller::OnClosed);
      ThrowArg(env, "FdPoller", "cannot register an environment cleanup hook", "EINVAL");
      return;
    }
    handle->owner = this;
    handle_ = handle;
    env_ = env;
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    context_ = new Napi::AsyncContext(env, "StratumFdPoller");
    Ref();  // the loop holds this object until close()
  }

  ~FdPoller() override {
    if (env_torn_down_) {
      // The environment is being destroyed: its references and async contexts go with it.
      callback_.SuppressDestruct();
      return;
    }
    Release();
    DestroyContext();
  }

 private:
  uv_poll_t* Poll() { return &handle_->poll; }

  Napi::Value SetEvents(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int64_t mask = 0;
    if (!ReadInt(info, 0, "FdPoller.setEvents", "events", 0, UV_READABLE | UV_WRITABLE, &mask)) return env.Undefined();
    if (handle_ == nullptr) return ThrowArg(env, "FdPoller.setEvents", "poller is closed", "EBADF");
    int rc = mask == 0 ? uv_poll_stop(Poll()) : uv_poll_start(Poll(), static_cast<int>(mask), &FdPoller::OnPoll);
    if (rc != 0) return ThrowErrno(env, "uv_poll_start", "events=" + std::to_string(mask), -rc);
    return env.Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr) {
      Release();
      Unref();
    }
    return info.Env().Undefined();
  }

  Napi::Value RefLoop(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(Poll()));
    return info.Env().Undefined();
  }

  Napi::Value UnrefLoop(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(Poll()));
    return info.Env().Undefined();
  }

  // Stops polling and hands the handle to uv_close; its close callback frees it.
  void Release() {
    if (handle_ == nullptr) return;
    handle_->owner = nullptr;
    uv_poll_stop(Poll());
    uv_close(reinterpret_cast<uv_handle_t*>(Poll()), &FdPoller::OnClosed);
    handle_ = nullptr;
    callback_.Reset();  // the callback closes over the socket that holds this poller: break the cycle
    if (!in_callback_) DestroyContext();
  }

  static void OnClosed(uv_handle_t* h) {
    PollHandle* handle = static_cast<PollHandle*>(h->data);
    if (handle->hook != nullptr) napi_remove_async_cleanup_hook(handle->hook);
    delete handle;
  }

  // The environment is going away with this poller open (or its close still pending).
  static void OnEnvCleanup(napi_async_cleanup_hook_handle /*hook*/, void* arg) {
    PollHandle* handle = static_cast<PollHandle*>(arg);
    if (handle->owner != nullptr) {
      handle->owner->env_torn_down_ = true;
      handle->owner->handle_ = nullptr;
      handle->owner = nullptr;
    }
    uv_handle_t* h = reinterpret_cast<uv_handle_t*>(&handle->poll);
    if (!uv_is_closing(h)) {
      uv_poll_stop(&handle->poll);
      uv_close(h, &FdPoller::OnClosed);
    }
  }

  static void OnPoll(uv_poll_t* poll, int status, int events) {
    PollHandle* handle = static_cast<PollHandle*>(poll->data);
    FdPoller* self = handle->owner;
    if (self == nullptr || self->callback_.IsEmpty()) return;
    napi_env env = self->env_;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    // The callback may close this poller; the async context it runs under is freed afterwards.
    self->in_callback_ = true;
    self->Deliver(env, status, events);
    self->in_callback_ = false;
    if (self->handle_ == nullptr && !self->env_torn_down_) self->DestroyContext();
    napi_close_handle_scope(env, scope);
  }

  // Raw N-API here: node-addon-api's error wrappers abort when the thread is terminating
  // (process.exit() in a worker's callback), where these calls merely fail.
  void Deliver(napi_env env, int status, int events) {
    napi_value args[2];
    napi_value receiver;
    napi_value callback;
    napi_value result;
    // libuv reports POLLERR (e.g. the peer reset the connection) as UV_EBADF and stops the handle.
    if (napi_create_int32(env, status < 0 ? -status : 0, &args[0]) != napi_ok ||
        napi_create_int32(env, events, &args[1]) != napi_ok ||
        napi_get_reference_value(env, static_cast<napi_ref>(callback_), &callback) != napi_ok ||
        napi_get_reference_value(env, static_cast<napi_ref>(static_cast<Napi::Reference<Napi::Object>&>(*this)),
                                 &receiver) != napi_ok)
      return;
    if (napi_make_callback(env, *context_, receiver, callback, 2, args, &result) == napi_ok) return;
    // A callback that threw: report it as an uncaught exception, as for any event callback.
    bool pending = false;
    napi_value error;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
        napi_get_and_clear_last_exception(env, &error) == napi_ok)
      napi_fatal_exception(env, error);
  }

  void DestroyContext() {
    delete context_;
    context_ = nullptr;
  }

  PollHandle* handle_ = nullptr;
  napi_env env_ = nullptr;
  Napi::FunctionReference callback_;
  Napi::AsyncContext* context_ = nullptr;
  bool in_callback_ = false;
  bool env_torn_down_ = false;
};

}  // namespace

void InitSocket(Napi::Env env, Napi::Object exports) {
  exports.Set("socketPair", Napi::Function::New(env, SocketPair, "socketPair"));
  exports.Set("socketListen", Napi::Function::New(env, SocketListen, "socketListen"));
  exports.Set("socketAccept", Napi::Function::New(env, SocketAccept, "socketAccept"));
  exports.Set("socketConnect", Napi::Function::New(env, SocketConnect, "socketConnect"));
  exports.Set("socketSend", Napi::Function::New(env, SocketSend, "socketSend"));
  exports.Set("socketRecv", Napi::Function::New(env, SocketRecv, "socketRecv"));
  exports.Set("socketType", Napi::Function::New(env, SocketType, "socketType"));
  exports.Set("peerCredentials", Napi::Function::New(env, PeerCredentials, "peerCredentials"));
  exports.Set("FdPoller", FdPoller::Define(env));
  exports.Set("maxMessageBytes", Napi::Number::New(env, static_cast<double>(kMaxMessageBytes)));
  exports.Set("maxMessageFds", Napi::Number::New(env, static_cast<double>(kMaxMessageFds)));
  exports.Set("maxReceiveBatch", Napi::Number::New(env, static_cast<double>(kMaxBatch)));
}

}  // namespace stratum
