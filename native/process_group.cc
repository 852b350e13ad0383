// Data-parallel training on PyTorch's own distributed engine (c10d): a
// TCPStore rendezvous, process groups (Gloo for CPU tensors; NCCL for CUDA
// tensors where this LibTorch has it) and the collectives the trainer needs:
// all-reduce, broadcast, barrier.
//
// Every collective is synchronous and bounded: it runs on the calling (JS)
// thread, which waits for it with a timeout, because a training step is
// synchronous anyway and a peer that died or hung must become an error, never
// a process that waits forever. A group whose collective failed is marked
// broken (later calls fail at once) and is never destroyed: its worker threads
// may still be blocked on the dead peer, and joining them would hang the exit.
//
// Gloo is compiled in only when its headers are found (VBT_WITH_GLOO, set by
// the build with USE_C10D_GLOO); NCCL only against a CUDA LibTorch with NCCL
// headers (VBT_WITH_NCCL). Without them the functions throw a TorchError that
// says how to get them.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Types.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>
#include <torch/version.h>

#ifdef VBT_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef VBT_WITH_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "args.h"
#include "errors.h"
#include "register.h"
#include "tensor_handle.h"

// LibTorch 2.0 split process groups into a ProcessGroup front and backends
// (ProcessGroupGloo, ProcessGroupNCCL) deriving from c10d::Backend; in 1.x
// the backends derive from ProcessGroup itself. Either base has the
// collectives used here with the same signatures.
#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/distributed/c10d/Backend.hpp>
#define VBT_C10D_BACKEND_BASE c10d::Backend
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#define VBT_C10D_BACKEND_BASE c10d::ProcessGroup
#endif

// TCPStoreOptions::masterListenFd (hand the store a socket bound by the
// caller) exists from LibTorch 2.3 on; before it the store listens on every
// interface.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
#define VBT_STORE_LISTEN_FD 1
#endif

namespace vbt {

namespace {

using Millis = std::chrono::milliseconds;
using BackendBase = VBT_C10D_BACKEND_BASE;

constexpr napi_type_tag kStoreTag = {0x7662745f73746f72ULL, 0x655f68616e646c65ULL};
constexpr napi_type_tag kGroupTag = {0x7662745f70726f63ULL, 0x6772705f68616e64ULL};

struct StoreBox {
  c10::intrusive_ptr<c10d::Store> store;
  std::string host;
  int port = 0;
};

struct GroupBox {
  c10::intrusive_ptr<BackendBase> group;
  std::string backend;
  int rank = 0;
  int size = 1;
  /** Set once a collective failed: the group is unusable from then on. */
  std::string failure;
};

/** Groups that failed: kept alive (never destroyed) until the process exits; see the file comment. */
std::vector<c10::intrusive_ptr<BackendBase>>& Abandoned() {
  static auto* groups = new std::vector<c10::intrusive_ptr<BackendBase>>();
  return *groups;
}

std::string Seconds(Millis ms) {
  const double s = static_cast<double>(ms.count()) / 1000.0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return std::string(buf) + " s";
}

bool Contains(const std::string& haystack, const char* needle) { return haystack.find(needle) != std::string::npos; }

std::string ExceptionText(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const c10::Error& err) {
    return CleanTorchMessage(err.what_without_backtrace());
  } catch (const std::exception& err) {
    return CleanTorchMessage(err.what());
  } catch (...) {
    return "unknown error";
  }
}

Millis ArgTimeout(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  const double ms = ArgNumber(info, i, fn, "timeoutMs");
  // A timeout is mandatory: zero would mean "wait forever" to c10d.
  if (!(ms >= 1) || !std::isfinite(ms)) ThrowTorchError(info.Env(), std::string(fn) + ": timeoutMs must be a positive number of milliseconds");
  return Millis(static_cast<int64_t>(ms));
}

// ---- rendezvous ----------------------------------------------------------------

StoreBox& ArgStore(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  const std::string what = std::string(fn) + ": argument 'store'";
  if (info.Length() <= i || !info[i].IsExternal()) ThrowTorchError(info.Env(), what + " must be a store handle");
  auto ext = info[i].As<Napi::External<StoreBox>>();
  if (!ext.CheckTypeTag(&kStoreTag)) ThrowTorchError(info.Env(), what + " must be a store handle");
  if (!ext.Data()->store) ThrowTorchError(info.Env(), what + ": the store was used after dispose()");
  return *ext.Data();
}

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
 */
void WaitForJoin(c10d::Store& store, int64_t world_size, Millis timeout) {
  const char* key = "vbt/joined";
  int64_t joined = store.add(key, 1);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (joined < world_size) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("only " + std::to_string(joined) + " of " + std::to_string(world_size) + " processes joined");
    }
    std::this_thread::sleep_for(Millis(20));
    joined = store.add(key, 0);
  }
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
  auto box = new StoreBox();
  box->host = host;
  box->port = static_cast<int>(port);
  try {
    c10::intrusive_ptr<c10d::Store> tcp = c10::make_intrusive<c10d::TCPStore>(host, opts);
    // A store shared with a launcher (and with its earlier attempts) gets this run's own key space.
    box->store = tcp;
    if (!prefix.empty()) box->store = c10::make_intrusive<c10d::PrefixStore>(prefix, tcp);
    WaitForJoin(*box->store, world_size, timeout);
  } catch (...) {
    delete box;
    const std::string raw = ExceptionText(std::current_exception());
    ThrowRendezvousError(env, raw, host, static_cast<int>(port), static_cast<int>(world_size), is_server, timeout);
  }
  auto ext = Napi::External<StoreBox>::New(env, box, [](Napi::Env, StoreBox* b) { delete b; });
  ext.TypeTag(&kStoreTag);
  return ext;
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
  try {
    box.store->set(key, value);
  } catch (...) {
    ThrowTorchError(info.Env(), "storeSet: the rendezvous at " + box.host + ":" + std::to_string(box.port) +
                                    " is unreachable (rank 0 exited?): " + ExceptionText(std::current_exception()));
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
  try {
    box.store->wait({key}, timeout);
    value = box.store->get(key);
  } catch (...) {
    const std::string raw = ExceptionText(std::current_exception());
    if (Contains(raw, "imeout") || Contains(raw, "timed out")) {
      ThrowTorchError(env, "storeGet: '" + key + "' was not published within " + Seconds(timeout) +
                               " (rank 0 is slow, failed, or runs a different program): " + raw);
    }
    ThrowTorchError(env, "storeGet: the rendezvous at " + box.host + ":" + std::to_string(box.port) +
                             " is unreachable (rank 0 exited?): " + raw);
  }
  auto out = Napi::Uint8Array::New(env, value.size());
  if (!value.empty()) std::memcpy(out.Data(), value.data(), value.size());
  return out;
}

// storeDispose(store): void. Idempotent.
Napi::Value StoreDispose(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) ThrowTorchError(info.Env(), "storeDispose: argument must be a store handle");
  auto ext = info[0].As<Napi::External<StoreBox>>();
  if (!ext.CheckTypeTag(&kStoreTag)) ThrowTorchError(info.Env(), "storeDispose: argument must be a store handle");
  ext.Data()->store.reset();
  return info.Env().Undefined();
}

// ---- process groups ------------------------------------------------------------

// distBackends(): {gloo, nccl}: which c10d backends this build has.
Napi::Value DistBackends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
#ifdef VBT_WITH_GLOO
  out.Set("gloo", Napi::Boolean::New(env, true));
#else
  out.Set("gloo", Napi::Boolean::New(env, false));
#endif
#ifdef VBT_WITH_NCCL
  out.Set("nccl", Napi::Boolean::New(env, true));
#else
  out.Set("nccl", Napi::Boolean::New(env, false));
#endif
  return out;
}

GroupBox& ArgGroup(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  const std::string what = std::string(fn) + ": argument 'group'";
  if (info.Length() <= i || !info[i].IsExternal()) ThrowTorchError(info.Env(), what + " must be a process group handle");
  auto ext = info[i].As<Napi::External<GroupBox>>();
  if (!ext.CheckTypeTag(&kGroupTag)) ThrowTorchError(info.Env(), what + " must be a process group handle");
  GroupBox& box = *ext.Data();
  if (!box.failure.empty()) {
    ThrowTorchError(info.Env(), std::string(fn) + ": the process group is unusable after an earlier failure (" + box.failure + ")");
  }
  if (!box.group) ThrowTorchError(info.Env(), what + ": the process group was used after dispose()");
  return box;
}

std::string OptionalString(Napi::Env env, Napi::Object obj, const char* key) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined() || v.IsNull()) return {};
  if (!v.IsString()) ThrowTorchError(env, std::string("processGroupCreate: options.") + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

#ifdef VBT_WITH_GLOO
std::shared_ptr<::gloo::transport::Device> GlooDevice(const std::string& iface, const std::string& hostname) {
  // An interface name (GLOO_SOCKET_IFNAME) wins; then the address to bind
  // (loopback for single-machine runs); else the address this machine's
  // hostname resolves to, as PyTorch does.
  if (!iface.empty()) return c10d::ProcessGroupGloo::createDeviceForInterface(iface);
  if (!hostname.empty()) return c10d::ProcessGroupGloo::createDeviceForHostname(hostname);
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

// processGroupCreate(store, rank, worldSize, backend: 'gloo'|'nccl', timeoutMs,
//   options?: {prefix?, glooInterface?, glooHostname?, cudaDevice?}): handle.
// timeoutMs bounds the connection set-up and, as the group's own timeout, every collective.
Napi::Value ProcessGroupCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  StoreBox& store = ArgStore(info, 0, "processGroupCreate");
  const int64_t rank = ArgInt(info, 1, "processGroupCreate", "rank");
  const int64_t size = ArgInt(info, 2, "processGroupCreate", "worldSize");
  const std::string backend = ArgString(info, 3, "processGroupCreate", "backend");
  const Millis timeout = ArgTimeout(info, 4, "processGroupCreate");
  Napi::Object options = IsMissing(info, 5) ? Napi::Object::New(env) : ArgObject(info, 5, "processGroupCreate", "options");
  if (size < 1) ThrowTorchError(env, "processGroupCreate: worldSize must be at least 1");
  if (rank < 0 || rank >= size) {
    ThrowTorchError(env, "processGroupCreate: rank " + std::to_string(rank) + " is outside 0.." + std::to_string(size - 1));
  }
  std::string prefix = OptionalString(env, options, "prefix");
  if (prefix.empty()) prefix = "vbt";
  const std::string gloo_interface = OptionalString(env, options, "glooInterface");
  const std::string gloo_hostname = OptionalString(env, options, "glooHostname");
  // Each group's keys live under its own prefix, so several groups can share one store.
  auto prefixed = c10::make_intrusive<c10d::PrefixStore>(prefix, store.store);

  auto box = std::make_unique<GroupBox>();
  box->backend = backend;
  box->rank = static_cast<int>(rank);
  box->size = static_cast<int>(size);
  const std::string who = "rank " + std::to_string(rank) + " of " + std::to_string(size);
  if (backend == "gloo") {
#ifdef VBT_WITH_GLOO
    try {
      auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
      opts->devices.push_back(GlooDevice(gloo_interface, gloo_hostname));
      box->group = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, static_cast<int>(rank), static_cast<int>(size), opts);
    } catch (...) {
      ThrowTorchError(env, "processGroupCreate: Gloo could not connect " + who + " to its peers within " + Seconds(timeout) +
                               ": check that every process runs, that this machine's address is reachable from the others "
                               "(set GLOO_SOCKET_IFNAME to the network interface to use) (" + ExceptionText(std::current_exception()) + ")");
    }
#else
    ThrowTorchError(env, "processGroupCreate: this build of vbt has no Gloo backend (its headers were not found at build time): "
                         "on Debian/Ubuntu install libgloo-dev (`npm run setup` does) and run `npm run build:native` again");
#endif
  } else if (backend == "nccl") {
#ifdef VBT_WITH_NCCL
    Napi::Value dev = options.Get("cudaDevice");
    if (!dev.IsUndefined() && !dev.IsNull()) {
      // NCCL communicators belong to the current device: make it this rank's GPU.
      c10::cuda::set_device(static_cast<c10::DeviceIndex>(ToInt64(env, dev, "processGroupCreate: options.cudaDevice")));
    }
    // Make wait(timeout) block the host and abort on timeout instead of
    // returning while the collective may still hang on the GPU (an explicit
    // setting by the user is kept).
    setenv("NCCL_BLOCKING_WAIT", "1", 0);
    setenv("TORCH_NCCL_BLOCKING_WAIT", "1", 0);
    try {
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = timeout;
      box->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, static_cast<int>(rank), static_cast<int>(size), opts);
    } catch (...) {
      ThrowTorchError(env, "processGroupCreate: NCCL could not set up " + who + ": " + ExceptionText(std::current_exception()));
    }
#else
    ThrowTorchError(env, "processGroupCreate: this build of vbt has no NCCL backend (it needs a CUDA LibTorch with NCCL headers at build time); "
                         "use backend 'gloo', or rebuild against a CUDA LibTorch");
#endif
  } else {
    ThrowTorchError(env, "processGroupCreate: backend must be 'gloo' or 'nccl', got '" + backend + "'");
  }
  auto ext = Napi::External<GroupBox>::New(env, box.release(), [](Napi::Env, GroupBox* b) {
    // A broken group is handed to Abandoned() when it fails; a healthy one is idle here and joins its threads at once.
    delete b;
  });
  ext.TypeTag(&kGroupTag);
  return ext;
}

/** Mark the group broken, park it (never destroyed), and throw a TorchError saying what to check. */
[[noreturn]] void FailGroup(Napi::Env env, GroupBox& g, const std::string& op, const std::string& raw, Millis timeout) {
  const std::string who = "rank " + std::to_string(g.rank) + " of " + std::to_string(g.size) + " (" + g.backend + ")";
  std::string message;
  if (Contains(raw, "imed out") || Contains(raw, "imeout")) {
    message = op + " timed out after " + Seconds(timeout) + " on " + who +
              ": another worker is stuck, died, or is busy for longer than the collective timeout "
              "(raise --dist-timeout if validation or checkpoint writing legitimately takes that long)";
  } else {
    message = op + " failed on " + who +
              ": a peer process probably exited or lost its connection; look at the other workers' output for the first error (" + raw + ")";
  }
  g.failure = message;
  Abandoned().push_back(std::move(g.group));
  ThrowTorchError(env, message);
}

/**
 * Start a collective and wait for it at most `timeout`; any failure breaks
 * the group. `start` returns the c10d work.
 */
template <typename Start>
void RunCollective(Napi::Env env, GroupBox& g, const std::string& op, Millis timeout, Start&& start) {
  std::string raw;
  try {
    c10::intrusive_ptr<c10d::Work> work = start();
    if (work->wait(timeout)) return;
    raw = "the collective was aborted";
  } catch (...) {
    raw = ExceptionText(std::current_exception());
  }
  FailGroup(env, g, op, raw, timeout);
}

/**
 * The tensors of a collective, coalesced: one flat buffer (the tensor itself
 * when there is a single contiguous one), moved to the CPU for Gloo, so a
 * list of gradients costs one collective rather than one each.
 */
struct Coalesced {
  std::vector<at::Tensor> tensors;
  at::Tensor flat;
  bool in_place = false;
};

Coalesced Coalesce(const Napi::CallbackInfo& info, size_t i, const char* fn, const GroupBox& g) {
  Napi::Env env = info.Env();
  Napi::Array list = ArgArray(info, i, fn, "tensors");
  Coalesced c;
  if (list.Length() == 0) ThrowTorchError(env, std::string(fn) + ": give at least one tensor");
  for (uint32_t k = 0; k < list.Length(); ++k) {
    c.tensors.push_back(UnwrapTensorLazy(env, list.Get(k), [&] { return std::string(fn) + ": tensors[" + std::to_string(k) + "]"; }));
  }
  const at::Tensor& first = c.tensors.front();
  for (size_t k = 1; k < c.tensors.size(); ++k) {
    if (c.tensors[k].scalar_type() != first.scalar_type() || c.tensors[k].device() != first.device()) {
      ThrowTorchError(env, std::string(fn) + ": all tensors must share dtype and device (tensors[" + std::to_string(k) + "] is " +
                               DTypeName(c.tensors[k].scalar_type()) + " on " + c.tensors[k].device().str() + ", tensors[0] " +
                               DTypeName(first.scalar_type()) + " on " + first.device().str() + ")");
    }
  }
  if (g.backend == "nccl" && !first.is_cuda()) ThrowTorchError(env, std::string(fn) + ": the NCCL backend needs CUDA tensors");
  const bool stage_on_cpu = g.backend == "gloo" && !first.is_cpu();
  if (c.tensors.size() == 1 && first.is_contiguous() && !stage_on_cpu) {
    c.flat = first;
    c.in_place = true;
    return c;
  }
  std::vector<at::Tensor> views;
  views.reserve(c.tensors.size());
  for (const auto& t : c.tensors) views.push_back(t.detach().reshape({-1}));
  c.flat = at::cat(views);
  if (stage_on_cpu) c.flat = c.flat.cpu();
  return c;
}

/** Copy the flat buffer's slices back into the tensors. */
void Scatter(Coalesced& c) {
  if (c.in_place) return;
  int64_t offset = 0;
  for (auto& t : c.tensors) {
    const int64_t n = t.numel();
    t.copy_(c.flat.narrow(0, offset, n).view(t.sizes()));
    offset += n;
  }
}

// processGroupAllReduce(group, tensors, op: 'sum'|'mean'|'max'|'min', timeoutMs): void, in place
Napi::Value ProcessGroupAllReduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GroupBox& g = ArgGroup(info, 0, "processGroupAllReduce");
  // Collectives write into parameters and gradients: not something autograd should record.
  at::NoGradGuard no_grad;
  Coalesced c = Coalesce(info, 1, "processGroupAllReduce", g);
  const std::string op = ArgString(info, 2, "processGroupAllReduce", "op");
  const Millis timeout = ArgTimeout(info, 3, "processGroupAllReduce");
  c10d::AllreduceOptions opts;
  opts.timeout = timeout;
  if (op == "sum" || op == "mean") {
    opts.reduceOp = c10d::ReduceOp::SUM;
  } else if (op == "max") {
    opts.reduceOp = c10d::ReduceOp::MAX;
  } else if (op == "min") {
    opts.reduceOp = c10d::ReduceOp::MIN;
  } else {
    ThrowTorchError(env, "processGroupAllReduce: op must be 'sum', 'mean', 'max' or 'min', got '" + op + "'");
  }
  if (op == "mean" && !at::isFloatingType(c.flat.scalar_type())) {
    ThrowTorchError(env, "processGroupAllReduce: 'mean' needs floating-point tensors (use 'sum' for integers)");
  }
  std::vector<at::Tensor> buffers{c.flat};
  RunCollective(env, g, "allReduce", timeout, [&] { return g.group->allreduce(buffers, opts); });
  // Gloo (and NCCL before AVG) has no mean: sum, then divide by the world size.
  if (op == "mean") c.flat.div_(g.size);
  Scatter(c);
  return env.Undefined();
}

// processGroupBroadcast(group, tensors, root, timeoutMs): void, in place (root's values everywhere)
Napi::Value ProcessGroupBroadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GroupBox& g = ArgGroup(info, 0, "processGroupBroadcast");
  at::NoGradGuard no_grad;
  Coalesced c = Coalesce(info, 1, "processGroupBroadcast", g);
  const int64_t root = ArgInt(info, 2, "processGroupBroadcast", "root");
  const Millis timeout = ArgTimeout(info, 3, "processGroupBroadcast");
  if (root < 0 || root >= g.size) ThrowTorchError(env, "processGroupBroadcast: root " + std::to_string(root) + " is not a rank of this group");
  c10d::BroadcastOptions opts;
  opts.rootRank = root;
  opts.rootTensor = 0;
  opts.timeout = timeout;
  std::vector<at::Tensor> buffers{c.flat};
  RunCollective(env, g, "broadcast", timeout, [&] { return g.group->broadcast(buffers, opts); });
  Scatter(c);
  return env.Undefined();
}

// processGroupBarrier(group, timeoutMs): void; returns once every rank reached it
Napi::Value ProcessGroupBarrier(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GroupBox& g = ArgGroup(info, 0, "processGroupBarrier");
  const Millis timeout = ArgTimeout(info, 1, "processGroupBarrier");
  c10d::BarrierOptions opts;
  opts.timeout = timeout;
  RunCollective(env, g, "barrier", timeout, [&] { return g.group->barrier(opts); });
  return env.Undefined();
}

// processGroupDispose(group): void. Idempotent; a failed group is left to the process exit.
Napi::Value ProcessGroupDispose(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) ThrowTorchError(info.Env(), "processGroupDispose: argument must be a process group handle");
  auto ext = info[0].As<Napi::External<GroupBox>>();
  if (!ext.CheckTypeTag(&kGroupTag)) ThrowTorchError(info.Env(), "processGroupDispose: argument must be a process group handle");
  ext.Data()->group.reset();
  return info.Env().Undefined();
}

// ---- workers ---------------------------------------------------------------------

// exitWithParent(): boolean. On Linux, have this process receive SIGTERM when
// its parent exits, so the workers of a launcher that was killed never go on
// alone (a signal works even while JS is busy in a long synchronous step,
// where a timer would not fire). False where the OS has no such thing.
Napi::Value ExitWithParent(const Napi::CallbackInfo& info) {
#ifdef __linux__
  return Napi::Boolean::New(info.Env(), prctl(PR_SET_PDEATHSIG, SIGTERM) == 0);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace

void RegisterProcessGroup(Napi::Env env, Napi::Object exports) {
  exports.Set("distBackends", Napi::Function::New<Guarded<DistBackends>>(env, "distBackends"));
  exports.Set("storeCreate", Napi::Function::New<Guarded<StoreCreate>>(env, "storeCreate"));
  exports.Set("storeSet", Napi::Function::New<Guarded<StoreSet>>(env, "storeSet"));
  exports.Set("storeGet", Napi::Function::New<Guarded<StoreGet>>(env, "storeGet"));
  exports.Set("storeDispose", Napi::Function::New<Guarded<StoreDispose>>(env, "storeDispose"));
  exports.Set("processGroupCreate", Napi::Function::New<Guarded<ProcessGroupCreate>>(env, "processGroupCreate"));
  exports.Set("processGroupAllReduce", Napi::Function::New<Guarded<ProcessGroupAllReduce>>(env, "processGroupAllReduce"));
  exports.Set("processGroupBroadcast", Napi::Function::New<Guarded<ProcessGroupBroadcast>>(env, "processGroupBroadcast"));
  exports.Set("processGroupBarrier", Napi::Function::New<Guarded<ProcessGroupBarrier>>(env, "processGroupBarrier"));
  exports.Set("processGroupDispose", Napi::Function::New<Guarded<ProcessGroupDispose>>(env, "processGroupDispose"));
  exports.Set("exitWithParent", Napi::Function::New<Guarded<ExitWithParent>>(env, "exitWithParent"));
}

}  // namespace vbt
