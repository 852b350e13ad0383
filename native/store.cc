// The rendezvous of a distributed run: a c10d store every process joins, then
// uses to publish and read small values and to set up its process groups.
// Across machines it is a TCPStore that rank 0 serves (or a launcher's agent
// does); the workers of one machine can meet in a FileStore instead, a file
// in a folder only their user can enter, so that no port is opened at all.
// Joining waits for all processes with a timeout, and c10d's errors are
// rephrased as what to check (the port, MASTER_ADDR, the file, the other
// workers).
#include "store.h"

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/version.h>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "args.h"
#include "c10d_common.h"
#include "errors.h"
#include "handle.h"
#include "register.h"

// TCPStoreOptions::masterListenFd (hand the store a socket bound by the
// caller) exists from LibTorch 2.3 on; before it the store listens on every
// interface.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
#define VBT_STORE_LISTEN_FD 1
#endif

namespace vbt {

namespace {

constexpr HandleKind<StoreBox> kStoreHandle{{0x7662745f73746f72ULL, 0x655f68616e646c65ULL}, "a store handle", "store",
                                            [](const StoreBox& b) { return !b.store; }};

/**
 * Bind and listen on host:port; returns the socket. Throws a TorchError that
 * names the port when it is taken, since that is the usual cause (another run
 * on the same --master-port).
 */
int BindListen(Napi::Env env, const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) ThrowTorchError(env, "rendezvous: cannot resolve the master address '" + host + "': " + gai_strerror(rc));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(found, freeaddrinfo);
  int last_errno = 0;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 2048) == 0) return fd;
    last_errno = errno;
    close(fd);
  }
  if (last_errno == EADDRINUSE) {
    ThrowTorchError(env, "rendezvous: port " + service + " on " + host +
                             " is already in use (another run or program holds it): pick another --master-port / MASTER_PORT");
  }
  if (last_errno == EADDRNOTAVAIL) {
    ThrowTorchError(env, "rendezvous: " + host + " is not an address of this machine, so rank 0 cannot listen on it: "
                             "run rank 0 on the machine that MASTER_ADDR names");
  }
  ThrowTorchError(env, "rendezvous: cannot listen on " + host + ":" + service + ": " + std::strerror(last_errno));
}

/**
 * Count this process in and wait until all `world_size` processes have; a
 * std::runtime_error saying how many joined if they do not within `timeout`.
 * `read_count` polls the counter with get() instead of add(key, 0): a
 * FileStore appends a record to its file for every add, even of 0.
 */
void WaitForJoin(c10d::Store& store, int64_t world_size, Millis timeout, bool read_count = false) {
  const char* key = "vbt/joined";
  int64_t joined = store.add(key, 1);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (joined < world_size) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("only " + std::to_string(joined) + " of " + std::to_string(world_size) + " processes joined");
    }
    std::this_thread::sleep_for(Millis(20));
    if (read_count) {
      // add() stores the count as its decimal text.
      const std::vector<uint8_t> text = store.get(key);
      joined = std::stoll(std::string(text.begin(), text.end()));
    } else {
      joined = store.add(key, 0);
    }
  }
}

/** Where a store's messages say the rendezvous is, and what probably broke when it cannot be used. */
std::string Unreachable(const StoreBox& box) {
  if (!box.file.empty()) {
    return "the rendezvous file " + box.file + " cannot be used (was it or its folder removed? the launcher removes the folder once its workers are gone)";
  }
  return "the rendezvous at " + box.host + ":" + std::to_string(box.port) + " is unreachable (rank 0 exited?)";
}

/**
 * A FileStore whose file is gone would wait for it until the store's
 * timeout (and set() would start a new, empty one): fail at once instead.
 */
void CheckFileStillThere(Napi::Env env, const StoreBox& box, const char* fn) {
  if (box.file.empty() || access(box.file.c_str(), F_OK) == 0) return;
  ThrowTorchError(env, std::string(fn) + ": " + Unreachable(box) + ": " + std::strerror(errno));
}

/** Rephrase c10d's rendezvous errors as what to check. */
[[noreturn]] void ThrowRendezvousError(Napi::Env env, const std::string& raw, const std::string& host, int port, int world_size,
                                       bool server, Millis timeout) {
  const std::string where = host + ":" + std::to_string(port);
  if (Contains(raw, "Address already in use")) {
    ThrowTorchError(env, "rendezvous: port " + std::to_string(port) + " on " + host +
                             " is already in use (another run or program holds it): pick another --master-port / MASTER_PORT");
  }
  if (Contains(raw, "processes joined")) {
    ThrowTorchError(env, "rendezvous: " + raw + " at " + where + " within " + Seconds(timeout) +
                             ": check that every worker was started with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE, "
                             "and that none of them failed before joining");
  }
  if (server) ThrowTorchError(env, "rendezvous: rank 0 could not start the rendezvous at " + where + ": " + raw);
  ThrowTorchError(env, "rendezvous: could not join the run at " + where + " within " + Seconds(timeout) +
                           ": check that rank 0 is running, that MASTER_ADDR and MASTER_PORT point at it, that a firewall lets the port through, "
                           "and that all " + std::to_string(world_size) + " processes were started (" + raw + ")");
}

// storeCreate(host, port, isServer, worldSize, timeoutMs, prefix?): a TCPStore (its keys under `prefix/` when
// given); blocks until all worldSize processes joined. isServer false on every rank when a launcher's agent
// serves the store (torchrun).
Napi::Value StoreCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string host = ArgString(info, 0, "storeCreate", "host");
  const int64_t port = ArgInt(info, 1, "storeCreate", "port");
  const bool is_server = ArgBool(info, 2, "storeCreate", "isServer");
  const int64_t world_size = ArgInt(info, 3, "storeCreate", "worldSize");
  const Millis timeout = ArgTimeout(info, 4, "storeCreate");
  const std::string prefix = IsMissing(info, 5) ? std::string() : ArgString(info, 5, "storeCreate", "prefix");
  if (host.empty()) ThrowTorchError(env, "storeCreate: the master address is empty");
  if (port < 1 || port > 65535) ThrowTorchError(env, "storeCreate: port must be between 1 and 65535, got " + std::to_string(port));
  if (world_size < 1 || world_size > 1 << 20) ThrowTorchError(env, "storeCreate: worldSize must be at least 1");

  c10d::TCPStoreOptions opts;
  opts.port = static_cast<std::uint16_t>(port);
  opts.isServer = is_server;
  // The join is counted below instead: the store's own wait gives up
  // silently on the server in LibTorch 1.x.
  opts.waitWorkers = false;
  opts.timeout = timeout;
  if (is_server) {
    // Bind the master address ourselves: a clear message for a taken port
    // and, where the store accepts the socket, listening on that address only
    // (127.0.0.1 for single-machine runs) rather than on every interface.
    const int fd = BindListen(env, host, static_cast<int>(port));
#ifdef VBT_STORE_LISTEN_FD
    opts.masterListenFd = fd;
#else
    close(fd);
#endif
  }
  auto box = std::make_unique<StoreBox>();
  box->host = host;
  box->port = static_cast<int>(port);
  try {
    c10::intrusive_ptr<c10d::Store> tcp = c10::make_intrusive<c10d::TCPStore>(host, opts);
    // A store shared with a launcher (and with its earlier attempts) gets this run's own key space.
    box->store = tcp;
    if (!prefix.empty()) box->store = c10::make_intrusive<c10d::PrefixStore>(prefix, tcp);
    WaitForJoin(*box->store, world_size, timeout);
  } catch (...) {
    box.reset();
    const std::string raw = ExceptionText(std::current_exception());
    ThrowRendezvousError(env, raw, host, static_cast<int>(port), static_cast<int>(world_size), is_server, timeout);
  }
  return WrapHandle(env, std::move(box), kStoreHandle);
}

// storeCreateFile(path, worldSize, timeoutMs, prefix?): a FileStore in `path` (its keys under `prefix/` when
// given); blocks until all worldSize processes joined. For the processes of one machine: nothing listens on
// any port, and who may join is who may open the file (the launcher puts it in a folder of mode 0700).
Napi::Value StoreCreateFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string file = ArgString(info, 0, "storeCreateFile", "path");
  const int64_t world_size = ArgInt(info, 1, "storeCreateFile", "worldSize");
  const Millis timeout = ArgTimeout(info, 2, "storeCreateFile");
  const std::string prefix = IsMissing(info, 3) ? std::string() : ArgString(info, 3, "storeCreateFile", "prefix");
  if (file.empty()) ThrowTorchError(env, "storeCreateFile: the path of the rendezvous file is empty");
  if (world_size < 1 || world_size > 1 << 20) ThrowTorchError(env, "storeCreateFile: worldSize must be at least 1");
  // c10d retries opening a file whose folder is missing until the timeout:
  // say so at once instead.
  const auto slash = file.find_last_of('/');
  const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : file.substr(0, slash);
  struct stat st {};
  const int found = stat(folder.c_str(), &st);
  const int stat_errno = found == 0 ? 0 : errno;
  if (found != 0 || !S_ISDIR(st.st_mode)) {
    ThrowTorchError(env, "rendezvous: the folder of the rendezvous file " + file + " does not exist (" +
                             (stat_errno != 0 ? std::string(std::strerror(stat_errno)) : std::string("not a folder")) +
                             "): the launcher creates it for its workers and removes it once they are gone; "
                             "check that VBT_RENDEZVOUS_FILE is this run's and that the launcher still runs");
  }
  auto box = std::make_unique<StoreBox>();
  box->file = file;
  try {
    // numWorkers -1: c10d never deletes the file itself. Its count-based
    // removal would let a store destroyed early (a failed attempt) remove
    // the file while others still use it, and they would then silently
    // start over in a new empty one. The folder's owner removes it.
    auto store = c10::make_intrusive<c10d::FileStore>(file, -1);
    // The default of every get() and wait() without a timeout of its own.
    store->setTimeout(timeout);
    box->store = store;
    if (!prefix.empty()) box->store = c10::make_intrusive<c10d::PrefixStore>(prefix, store);
    WaitForJoin(*box->store, world_size, timeout, /*read_count=*/true);
  } catch (...) {
    box.reset();
    const std::string raw = ExceptionText(std::current_exception());
    if (Contains(raw, "processes joined")) {
      ThrowTorchError(env, "rendezvous: " + raw + " through the file " + file + " within " + Seconds(timeout) +
                               ": check that every worker was started with the same VBT_RENDEZVOUS_FILE and WORLD_SIZE, "
                               "and that none of them failed before joining");
    }
    ThrowTorchError(env, "rendezvous: cannot use the rendezvous file " + file + ": " + raw + " (check that this user may create and write files in " +
                             folder + ")");
  }
  return WrapHandle(env, std::move(box), kStoreHandle);
}

// storeSet(store, key, value: Uint8Array): void
Napi::Value StoreSet(const Napi::CallbackInfo& info) {
  StoreBox& box = ArgStore(info, 0, "storeSet");
  const std::string key = ArgString(info, 1, "storeSet", "key");
  if (info.Length() < 3 || !info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowTorchError(info.Env(), "storeSet: argument 'value' must be a Uint8Array");
  }
  auto arr = info[2].As<Napi::Uint8Array>();
  std::vector<uint8_t> value(arr.Data(), arr.Data() + arr.ElementLength());
  CheckFileStillThere(info.Env(), box, "storeSet");
  try {
    box.store->set(key, value);
  } catch (...) {
    ThrowTorchError(info.Env(), "storeSet: " + Unreachable(box) + ": " + ExceptionText(std::current_exception()));
  }
  return info.Env().Undefined();
}

// storeGet(store, key, timeoutMs): Uint8Array, waiting up to timeoutMs for the key to be set
Napi::Value StoreGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  StoreBox& box = ArgStore(info, 0, "storeGet");
  const std::string key = ArgString(info, 1, "storeGet", "key");
  const Millis timeout = ArgTimeout(info, 2, "storeGet");
  std::vector<uint8_t> value;
  CheckFileStillThere(env, box, "storeGet");
  try {
    box.store->wait({key}, timeout);
    value = box.store->get(key);
  } catch (...) {
    const std::string raw = ExceptionText(std::current_exception());
    if (Contains(raw, "imeout") || Contains(raw, "timed out")) {
      ThrowTorchError(env, "storeGet: '" + key + "' was not published within " + Seconds(timeout) +
                               " (rank 0 is slow, failed, or runs a different program): " + raw);
    }
    ThrowTorchError(env, "storeGet: " + Unreachable(box) + ": " + raw);
  }
  auto out = Napi::Uint8Array::New(env, value.size());
  if (!value.empty()) std::memcpy(out.Data(), value.data(), value.size());
  return out;
}

// storeDispose(store): void. Idempotent.
Napi::Value StoreDispose(const Napi::CallbackInfo& info) {
  ArgHandleToDispose(info, 0, "storeDispose", "store", kStoreHandle).store.reset();
  return info.Env().Undefined();
}

}  // namespace

StoreBox& ArgStore(const Napi::CallbackInfo& info, size_t i, const char* fn) { return ArgHandle(info, i, fn, "store", kStoreHandle); }

void RegisterStore(Napi::Env env, Napi::Object exports) {
  exports.Set("storeCreate", Napi::Function::New<Guarded<StoreCreate>>(env, "storeCreate"));
  exports.Set("storeCreateFile", Napi::Function::New<Guarded<StoreCreateFile>>(env, "storeCreateFile"));
  exports.Set("storeSet", Napi::Function::New<Guarded<StoreSet>>(env, "storeSet"));
  exports.Set("storeGet", Napi::Function::New<Guarded<StoreGet>>(env, "storeGet"));
  exports.Set("storeDispose", Napi::Function::New<Guarded<StoreDispose>>(env, "storeDispose"));
}

}  // namespace vbt
