#include "tensor_handle.h"

#include <atomic>
#include <memory>

#include "errors.h"
#include "handle.h"

namespace vbt {

namespace {

struct TensorBox {
  at::Tensor tensor;
  bool disposed = false;
  // Host bytes reported to V8 so that the GC feels the pressure of CPU tensors.
  int64_t reported_bytes = 0;
};

constexpr HandleKind<TensorBox> kTensorHandle{
    {0x7662745f74656e73ULL, 0x6f725f68616e646cULL}, "a Tensor", "tensor", [](const TensorBox& b) { return b.disposed; }};

std::atomic<int64_t> g_live{0};

// Only storages this large are reported to V8: small ones cost more in
// bookkeeping than they weigh, and what matters is that forgotten big
// tensors make the GC run.
constexpr int64_t kReportThreshold = 64 * 1024;

int64_t HostBytes(const at::Tensor& t) {
  if (!t.defined() || !t.device().is_cpu() || !t.has_storage()) return 0;
  const auto n = static_cast<int64_t>(t.storage().nbytes());
  return n >= kReportThreshold ? n : 0;
}

void Release(Napi::Env env, TensorBox* box) {
  if (box->disposed) return;
  box->disposed = true;
  box->tensor = at::Tensor();
  if (box->reported_bytes != 0) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -box->reported_bytes);
    box->reported_bytes = 0;
  }
  g_live.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace

Napi::Value WrapTensor(Napi::Env env, at::Tensor tensor) {
  if (!tensor.defined()) return env.Null();
  std::unique_ptr<TensorBox> owned(new TensorBox{std::move(tensor)});
  TensorBox* box = owned.get();
  auto ext = WrapHandle(env, std::move(owned), kTensorHandle, [](Napi::Env finalizer_env, TensorBox* b) {
    Release(finalizer_env, b);
    delete b;
  });
  g_live.fetch_add(1, std::memory_order_relaxed);
  box->reported_bytes = HostBytes(box->tensor);
  if (box->reported_bytes != 0) Napi::MemoryManagement::AdjustExternalMemory(env, box->reported_bytes);
  return ext;
}

bool IsTensorHandle(Napi::Value v) { return FindHandle(v, kTensorHandle) != nullptr; }

at::Tensor* FindTensor(Napi::Value v, bool* disposed) {
  TensorBox* box = FindHandle(v, kTensorHandle);
  if (box == nullptr) return nullptr;
  if (kTensorHandle.disposed(*box)) {
    *disposed = true;
    return nullptr;
  }
  return &box->tensor;
}

void ThrowNotTensor(Napi::Env env, const std::string& what, bool disposed) {
  ThrowBadHandle(env, what, kTensorHandle, disposed);
}

at::Tensor& UnwrapTensor(Napi::Env env, Napi::Value v, const std::string& what) {
  return UnwrapTensorLazy(env, v, [&] { return what; });
}

void DisposeTensor(Napi::Env env, Napi::Value v) {
  TensorBox* box = FindHandle(v, kTensorHandle);
  if (box == nullptr) ThrowBadHandle(env, "dispose: argument", kTensorHandle, false);
  Release(env, box);
}

int64_t LiveTensorCount() { return g_live.load(std::memory_order_relaxed); }

at::Tensor& ArgTensor(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  auto what = [&] { return ArgumentText(fn, name); };
  if (info.Length() <= i) ThrowTorchError(info.Env(), what() + " is missing");
  return UnwrapTensorLazy(info.Env(), info[i], what);
}

}  // namespace vbt
