#include "tensor_handle.h"

#include <c10/core/CPUAllocator.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <type_traits>
#include <unordered_map>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

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

// ---- host memory of tensors ---------------------------------------------------
//
// LibTorch takes CPU tensor storage from malloc, and glibc maps each block
// above its mmap threshold (128 KiB, raised by what the process frees to at
// most 32 MiB) afresh and unmaps it on free, and gives the top of its heap
// back whenever more than its trim threshold is free there. A training step
// allocates and frees the same large activations, gradients and
// temporaries every step, so each step maps them again and pays a page
// fault (and the kernel's zeroing) for every 4 KiB it first touches. Raising
// glibc's thresholds instead keeps the memory, but aligned allocations then
// fragment its heap (a process can grow to several times what it uses).
//
// HostCache keeps large blocks itself: each is its own anonymous mapping,
// and a freed one waits in a cache for the next request that fits it (the
// smallest cached block of at least the requested size and at most 25 %
// more). The cache holds at most `cap` bytes of free blocks; beyond that the
// oldest are unmapped, so memory goes back to the system exactly. Smaller
// blocks go to LibTorch's own allocator (malloc's heap serves them without
// faults).

namespace {

constexpr size_t kPageBytes = 4096;
constexpr size_t kCachedMinBytes = 128 * 1024;

/** Mapping size for a request: whole pages, then up to 1/16 more (so that a slightly larger request next step fits). */
size_t BlockSize(size_t n) {
  size_t size = (n + kPageBytes - 1) / kPageBytes * kPageBytes;
  if (size >= (1u << 20)) {
    size_t step = size_t{1} << (63 - __builtin_clzll(size) - 4);
    size = (size + step - 1) / step * step;
  }
  return size;
}

class HostCache {
 public:
  static HostCache& Get() {
    static auto* cache = new HostCache();  // never destroyed: storages may be freed during exit
    return *cache;
  }

  void* Take(size_t n) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = by_size_.lower_bound(n);
      if (it != by_size_.end() && it->first <= n + n / 4) {
        Block block = *it->second;
        lru_.erase(it->second);
        by_size_.erase(it);
        cached_bytes_ -= block.size;
        ++hits_;
        return block.ptr;
      }
      ++misses_;
    }
    const size_t size = BlockSize(n);
    void* p = Map(size);
    if (p == nullptr) {
      Release();  // what the cache holds may be what is missing
      p = Map(size);
    }
    TORCH_CHECK(p != nullptr, "host allocator: not enough memory: you tried to allocate ", n, " bytes");
    std::lock_guard<std::mutex> lock(mu_);
    sizes_[p] = size;
    mapped_bytes_ += size;
    return p;
  }

  /** Return a block of this cache; false if `p` is not one. */
  bool Give(void* p) {
    std::vector<Block> evicted;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto found = sizes_.find(p);
      if (found == sizes_.end()) return false;
      const Block block{p, found->second};
      if (block.size > cap_) {
        evicted.push_back(block);
      } else {
        lru_.push_back(block);
        by_size_.emplace(block.size, std::prev(lru_.end()));
        cached_bytes_ += block.size;
        while (cached_bytes_ > cap_) evicted.push_back(PopOldest());
      }
      for (const Block& b : evicted) Forget(b);
    }
    for (const Block& b : evicted) munmap(b.ptr, b.size);
    return true;
  }

  /** Unmap every cached block. */
  void Release() {
    std::vector<Block> evicted;
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (!lru_.empty()) evicted.push_back(PopOldest());
      for (const Block& b : evicted) Forget(b);
    }
    for (const Block& b : evicted) munmap(b.ptr, b.size);
  }

  void SetCap(size_t cap) {
    std::vector<Block> evicted;
    {
      std::lock_guard<std::mutex> lock(mu_);
      cap_ = cap;
      while (cached_bytes_ > cap_) evicted.push_back(PopOldest());
      for (const Block& b : evicted) Forget(b);
    }
    for (const Block& b : evicted) munmap(b.ptr, b.size);
  }

  HostCacheStats Stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return HostCacheStats{true, static_cast<int64_t>(cap_), static_cast<int64_t>(cached_bytes_), static_cast<int64_t>(mapped_bytes_),
                          hits_, misses_, evictions_};
  }

 private:
  struct Block {
    void* ptr;
    size_t size;
  };

  static void* Map(size_t size) {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
  }

  /** Take the oldest cached block out of the cache (the caller holds mu_). */
  Block PopOldest() {
    const Block block = lru_.front();
    auto range = by_size_.equal_range(block.size);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second == lru_.begin()) {
        by_size_.erase(it);
        break;
      }
    }
    lru_.pop_front();
    cached_bytes_ -= block.size;
    ++evictions_;
    return block;
  }

  /** Drop a block about to be unmapped from the books (the caller holds mu_). */
  void Forget(const Block& block) {
    sizes_.erase(block.ptr);
    mapped_bytes_ -= block.size;
  }

  std::mutex mu_;
  std::list<Block> lru_;  // cached blocks, oldest first
  std::multimap<size_t, std::list<Block>::iterator> by_size_;
  std::unordered_map<void*, size_t> sizes_;  // every block mapped here, in use or cached
  size_t cap_ = 0;
  size_t cached_bytes_ = 0;
  size_t mapped_bytes_ = 0;
  int64_t hits_ = 0;
  int64_t misses_ = 0;
  int64_t evictions_ = 0;
};

/** LibTorch's CPU allocator before ours: it serves the small blocks. */
c10::Allocator* g_previous_allocator = nullptr;

void FreeCached(void* p) {
  if (!HostCache::Get().Give(p)) {
    // raw_deallocate of a small block: the previous allocator's.
    c10::DeleterFnPtr previous = g_previous_allocator->raw_deleter();
    TORCH_CHECK(previous != nullptr, "host allocator: cannot free a block it did not allocate");
    previous(p);
  }
}

c10::DataPtr AllocateHost(size_t n) {
  if (n < kCachedMinBytes) return g_previous_allocator->allocate(n);
  void* p = HostCache::Get().Take(n);
  return {p, p, &FreeCached, c10::Device(c10::DeviceType::CPU)};
}

// c10::Allocator::allocate is const up to LibTorch 2.2 and not from 2.3 on
// (which also adds copy_data): the matching adaptor is chosen at compile time.
template <typename F>
struct AllocateIsConst : std::false_type {};
template <>
struct AllocateIsConst<c10::DataPtr (c10::Allocator::*)(size_t) const> : std::true_type {};

template <bool kConst, typename = void>
struct CachingHostAllocator;

template <typename Unused>
struct CachingHostAllocator<true, Unused> final : c10::Allocator {
  c10::DataPtr allocate(size_t n) const override { return AllocateHost(n); }
  c10::DeleterFnPtr raw_deleter() const override { return &FreeCached; }
};

template <typename Unused>
struct CachingHostAllocator<false, Unused> final : c10::Allocator {
  c10::DataPtr allocate(size_t n) override { return AllocateHost(n); }
  c10::DeleterFnPtr raw_deleter() const override { return &FreeCached; }
  // Pure virtual in the LibTorch versions whose allocate is not const.
  void copy_data(void* dest, const void* src, std::size_t count) const { std::memcpy(dest, src, count); }
};

using HostAllocator = CachingHostAllocator<AllocateIsConst<decltype(&c10::Allocator::allocate)>::value>;

std::once_flag g_install_once;

}  // namespace

bool EnableHostCache(int64_t cap_bytes) {
  HostCache::Get().SetCap(static_cast<size_t>(std::max<int64_t>(cap_bytes, 0)));
  std::call_once(g_install_once, [] {
    g_previous_allocator = c10::GetCPUAllocator();
    static auto* allocator = new HostAllocator();  // never destroyed, as the cache
    c10::SetCPUAllocator(allocator, /*priority=*/1);
  });
  return c10::GetCPUAllocator() != g_previous_allocator;
}

HostCacheStats HostCacheState() {
  if (g_previous_allocator == nullptr) return HostCacheStats{};
  return HostCache::Get().Stats();
}

void ReleaseHostMemory() {
  if (g_previous_allocator != nullptr) HostCache::Get().Release();
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

at::Tensor& ArgTensor(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  auto what = [&] { return ArgumentText(fn, name); };
  if (info.Length() <= i) ThrowTorchError(info.Env(), what() + " is missing");
  return UnwrapTensorLazy(info.Env(), info[i], what);
}

}  // namespace vbt
