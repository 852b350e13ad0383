// Data-parallel training on PyTorch's own distributed engine (c10d): process
// groups (Gloo for CPU tensors; NCCL for CUDA tensors where this LibTorch has
// it), set up on a rendezvous store (store.cc), and the collectives the
// trainer needs: all-reduce, broadcast, barrier.
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

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "c10d_common.h"
#include "errors.h"
#include "handle.h"
#include "register.h"
#include "store.h"
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

namespace vbt {

namespace {

using BackendBase = VBT_C10D_BACKEND_BASE;

struct GroupBox {
  c10::intrusive_ptr<BackendBase> group;
  std::string backend;
  int rank = 0;
  int size = 1;
  /** Set once a collective failed: the group is unusable from then on. */
  std::string failure;
};

constexpr HandleKind<GroupBox> kGroupHandle{{0x7662745f70726f63ULL, 0x6772705f68616e64ULL}, "a process group handle", "process group",
                                            [](const GroupBox& b) { return !b.group; }};

/** Groups that failed: kept alive (never destroyed) until the process exits; see the file comment. */
std::vector<c10::intrusive_ptr<BackendBase>>& Abandoned() {
  static auto* groups = new std::vector<c10::intrusive_ptr<BackendBase>>();
  return *groups;
}

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
  // A failed group has given up its c10d group too: say why, not "disposed".
  const GroupBox* box = FindHandle(info[i], kGroupHandle);
  if (box != nullptr && !box->failure.empty()) {
    ThrowTorchError(info.Env(), std::string(fn) + ": the process group is unusable after an earlier failure (" + box->failure + ")");
  }
  return ArgHandle(info, i, fn, "group", kGroupHandle);
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
  // A broken group was handed to Abandoned() when it failed; a healthy one is
  // idle when collected and joins its threads at once.
  return WrapHandle(env, std::move(box), kGroupHandle);
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
  ArgHandleToDispose(info, 0, "processGroupDispose", "group", kGroupHandle).group.reset();
  return info.Env().Undefined();
}

}  // namespace

void RegisterProcessGroup(Napi::Env env, Napi::Object exports) {
  exports.Set("distBackends", Napi::Function::New<Guarded<DistBackends>>(env, "distBackends"));
  exports.Set("processGroupCreate", Napi::Function::New<Guarded<ProcessGroupCreate>>(env, "processGroupCreate"));
  exports.Set("processGroupAllReduce", Napi::Function::New<Guarded<ProcessGroupAllReduce>>(env, "processGroupAllReduce"));
  exports.Set("processGroupBroadcast", Napi::Function::New<Guarded<ProcessGroupBroadcast>>(env, "processGroupBroadcast"));
  exports.Set("processGroupBarrier", Napi::Function::New<Guarded<ProcessGroupBarrier>>(env, "processGroupBarrier"));
  exports.Set("processGroupDispose", Napi::Function::New<Guarded<ProcessGroupDispose>>(env, "processGroupDispose"));
}

}  // namespace vbt
