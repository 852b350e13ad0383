// Tensor handles: a JS External holding an at::Tensor, type-tagged so that no
// other object can be mistaken for one. dispose() frees the tensor at once;
// the External's finalizer frees whatever was forgotten (a backstop only).
#pragma once

#include <ATen/Tensor.h>
#include <napi.h>

#include <cstdint>
#include <string>

namespace vbt {

/** Wrap a tensor in a new handle. An undefined tensor becomes JS null. */
Napi::Value WrapTensor(Napi::Env env, at::Tensor tensor);

/** The tensor behind a handle, or nullptr (then *disposed says whether it was a freed handle). */
at::Tensor* FindTensor(Napi::Value v, bool* disposed);

/** Throw the TorchError for a value that is not a live tensor handle. */
[[noreturn]] void ThrowNotTensor(Napi::Env env, const std::string& what, bool disposed);

/** The tensor behind a handle; throws a TorchError naming `what` if `v` is not a live handle. */
at::Tensor& UnwrapTensor(Napi::Env env, Napi::Value v, const std::string& what);

/**
 * As UnwrapTensor, but the description is built only on failure: `what` is
 * a callable returning the string (the common path allocates nothing).
 */
template <typename WhatFn>
at::Tensor& UnwrapTensorLazy(Napi::Env env, Napi::Value v, WhatFn&& what) {
  bool disposed = false;
  if (at::Tensor* t = FindTensor(v, &disposed)) return *t;
  ThrowNotTensor(env, what(), disposed);
}

/** True if `v` is a tensor handle (live or disposed). */
bool IsTensorHandle(Napi::Value v);

/** Free the tensor behind a handle now; later uses throw. Idempotent. */
void DisposeTensor(Napi::Env env, Napi::Value v);

/** Number of tensor handles created and not yet freed (by dispose or by GC). */
int64_t LiveTensorCount();

/** The state of the host (CPU) tensor memory cache. */
struct HostCacheStats {
  bool enabled = false;
  /** Most free bytes the cache keeps. */
  int64_t cap_bytes = 0;
  /** Free bytes it keeps now. */
  int64_t cached_bytes = 0;
  /** Bytes of its blocks, in use or cached. */
  int64_t mapped_bytes = 0;
  int64_t hits = 0;
  int64_t misses = 0;
  int64_t evictions = 0;
};

/**
 * Serve CPU tensor blocks of 128 KiB and more from a cache of mappings
 * (see tensor_handle.cc), keeping at most `cap_bytes` of freed blocks for
 * reuse. The first call installs it as LibTorch's CPU allocator; later calls
 * change the cap. Returns whether it is LibTorch's CPU allocator now.
 */
bool EnableHostCache(int64_t cap_bytes);

/** The cache's state (all zero and not enabled before EnableHostCache). */
HostCacheStats HostCacheState();

/** Unmap every cached block and give malloc's free memory back to the system. */
void ReleaseHostMemory();

/** Convenience: UnwrapTensor(info[i]) with an argument name for the message. */
at::Tensor& ArgTensor(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);

}  // namespace vbt
