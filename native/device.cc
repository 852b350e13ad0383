// Process-wide device state: CUDA presence and memory, synchronisation,
// seeding and the default generators' states, CPU threads, TF32 and autocast
// (autocast is thread-local in LibTorch; these calls set it for the JS
// thread, which runs the work).
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <ATen/Functions.h>
#include <ATen/core/Generator.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <cstring>
#include <mutex>
#include <vector>

#ifdef VBT_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAGeneratorImpl.h>
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include "args.h"
#include "errors.h"
#include "register.h"

// LibTorch 2.4 replaced the per-device autocast setters with device-typed ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define VBT_DEVICE_TYPED_AUTOCAST 1
#endif

namespace vbt {

namespace {

Napi::Value CudaAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), torch::cuda::is_available());
}

Napi::Value CudaDeviceCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(torch::cuda::device_count()));
}

int64_t CudaIndexArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (!torch::cuda::is_available()) ThrowTorchError(info.Env(), std::string(fn) + ": CUDA is not available");
  const int64_t index = IsMissing(info, i) ? 0 : ArgInt(info, i, fn, "device");
  if (index < 0 || index >= static_cast<int64_t>(torch::cuda::device_count())) {
    ThrowTorchError(info.Env(), std::string(fn) + ": CUDA device " + std::to_string(index) + " does not exist");
  }
  return index;
}

// cudaSynchronize(device?: number): void (no-op without CUDA)
Napi::Value CudaSynchronize(const Napi::CallbackInfo& info) {
  if (torch::cuda::is_available()) torch::cuda::synchronize(CudaIndexArg(info, 0, "cudaSynchronize"));
  return info.Env().Undefined();
}

// cudaMemory(device?: number): {allocated, reserved, peakAllocated, peakReserved} in bytes
Napi::Value CudaMemory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#ifdef VBT_WITH_CUDA
  const auto index = static_cast<c10::DeviceIndex>(CudaIndexArg(info, 0, "cudaMemory"));
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(index);
  // StatType::AGGREGATE (all pools) is entry 0; the enum itself moved from
  // c10::cuda::CUDACachingAllocator (LibTorch 1.x) to c10 (2.x), so it is not named here.
  constexpr size_t agg = 0;
  Napi::Object out = Napi::Object::New(env);
  out.Set("allocated", Napi::Number::New(env, static_cast<double>(stats.allocated_bytes[agg].current)));
  out.Set("reserved", Napi::Number::New(env, static_cast<double>(stats.reserved_bytes[agg].current)));
  out.Set("peakAllocated", Napi::Number::New(env, static_cast<double>(stats.allocated_bytes[agg].peak)));
  out.Set("peakReserved", Napi::Number::New(env, static_cast<double>(stats.reserved_bytes[agg].peak)));
  return out;
#else
  ThrowTorchError(env, "cudaMemory: this build of vbt has no CUDA support (it was built against a CPU-only LibTorch)");
#endif
}

// cudaResetPeakMemory(device?: number): void
Napi::Value CudaResetPeakMemory(const Napi::CallbackInfo& info) {
#ifdef VBT_WITH_CUDA
  c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(CudaIndexArg(info, 0, "cudaResetPeakMemory")));
#endif
  return info.Env().Undefined();
}

// cudaEmptyCache(): void
Napi::Value CudaEmptyCache(const Napi::CallbackInfo& info) {
#ifdef VBT_WITH_CUDA
  if (torch::cuda::is_available()) c10::cuda::CUDACachingAllocator::emptyCache();
#endif
  return info.Env().Undefined();
}

// manualSeed(seed): void (seeds CPU and every CUDA generator)
Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  const int64_t seed = ArgInt(info, 0, "manualSeed", "seed");
  torch::manual_seed(static_cast<uint64_t>(seed));
  return info.Env().Undefined();
}

// ---- generator states ----------------------------------------------------------
// The default CPU generator and, in CUDA builds, each device's default CUDA
// generator (dropout and every other random op without an explicit generator
// draw from these). Their states are read and written under the generator's
// mutex, as LibTorch's own callers do.

// The state of a generator: a CPU uint8 tensor.
at::Tensor GeneratorState(at::Generator gen) {
  at::Tensor state;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    state = gen.get_state();
  }
  return state.to(at::kCPU, at::kByte).contiguous();
}

Napi::Uint8Array StateBytes(Napi::Env env, const at::Tensor& state) {
  const size_t n = static_cast<size_t>(state.numel());
  auto out = Napi::Uint8Array::New(env, n);
  if (n > 0) std::memcpy(out.Data(), state.data_ptr<uint8_t>(), n);
  return out;
}

// A Uint8Array of exactly the size of `gen`'s current state, copied into a tensor.
at::Tensor StateArg(Napi::Env env, Napi::Value v, at::Generator gen, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowTorchError(env, "setRngState: " + what + " must be a Uint8Array");
  }
  auto bytes = v.As<Napi::Uint8Array>();
  const int64_t expected = GeneratorState(gen).numel();
  if (static_cast<int64_t>(bytes.ElementLength()) != expected) {
    ThrowTorchError(env, "setRngState: " + what + " must be " + std::to_string(expected) + " bytes (the state of this LibTorch's generator), got " +
                             std::to_string(bytes.ElementLength()));
  }
  at::Tensor state = at::empty({expected}, at::TensorOptions().dtype(at::kByte));
  if (expected > 0) std::memcpy(state.data_ptr<uint8_t>(), bytes.Data(), static_cast<size_t>(expected));
  return state;
}

#ifdef VBT_WITH_CUDA
at::Generator CudaGenerator(size_t index) {
  return at::cuda::detail::getDefaultCUDAGenerator(static_cast<c10::DeviceIndex>(index));
}
#endif

// rngState(): { cpu: Uint8Array, cuda: Uint8Array[] } (cuda: one per CUDA device, empty without CUDA)
Napi::Value RngState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("cpu", StateBytes(env, GeneratorState(at::detail::getDefaultCPUGenerator())));
  Napi::Array cuda = Napi::Array::New(env);
#ifdef VBT_WITH_CUDA
  if (torch::cuda::is_available()) {
    const size_t count = torch::cuda::device_count();
    for (size_t i = 0; i < count; ++i) cuda.Set(static_cast<uint32_t>(i), StateBytes(env, GeneratorState(CudaGenerator(i))));
  }
#endif
  out.Set("cuda", cuda);
  return out;
}

// setRngState({ cpu: Uint8Array, cuda?: Uint8Array[] }): void. cuda[i] is
// device i's state; devices past the list keep theirs. Everything is checked
// before any generator is changed.
Napi::Value SetRngState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object arg = ArgObject(info, 0, "setRngState", "state");
  at::Generator cpu = at::detail::getDefaultCPUGenerator();
  at::Tensor cpuState = StateArg(env, arg.Get("cpu"), cpu, "state.cpu");
  std::vector<at::Tensor> cudaStates;
  Napi::Value cudaArg = arg.Get("cuda");
  if (!cudaArg.IsUndefined() && !cudaArg.IsNull()) {
    if (!cudaArg.IsArray()) ThrowTorchError(env, "setRngState: state.cuda must be an array of Uint8Array");
    Napi::Array list = cudaArg.As<Napi::Array>();
    const size_t n = list.Length();
#ifdef VBT_WITH_CUDA
    const size_t count = torch::cuda::is_available() ? torch::cuda::device_count() : 0;
    if (n > count) {
      ThrowTorchError(env, "setRngState: the state holds " + std::to_string(n) + " CUDA generator states but this machine has " +
                               (count == 0 ? std::string("no CUDA device") : std::to_string(count) + " CUDA device(s)"));
    }
    for (size_t i = 0; i < n; ++i) {
      cudaStates.push_back(StateArg(env, list.Get(static_cast<uint32_t>(i)), CudaGenerator(i), "state.cuda[" + std::to_string(i) + "]"));
    }
#else
    if (n > 0) {
      ThrowTorchError(env, "setRngState: the state holds " + std::to_string(n) +
                               " CUDA generator states but this build of vbt has no CUDA support (it was built against a CPU-only LibTorch)");
    }
#endif
  }
  {
    std::lock_guard<std::mutex> lock(cpu.mutex());
    cpu.set_state(cpuState);
  }
#ifdef VBT_WITH_CUDA
  for (size_t i = 0; i < cudaStates.size(); ++i) {
    at::Generator gen = CudaGenerator(i);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(cudaStates[i]);
  }
#endif
  return env.Undefined();
}

// setNumThreads(n): void ; getNumThreads(): number
Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  const int64_t n = ArgInt(info, 0, "setNumThreads", "n");
  if (n < 1 || n > 4096) ThrowTorchError(info.Env(), "setNumThreads: n must be between 1 and 4096");
  at::set_num_threads(static_cast<int>(n));
  return info.Env().Undefined();
}
Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), at::get_num_threads());
}

// setAllowTF32(on): void. TF32 matmuls and convolutions on Ampere and later.
Napi::Value SetAllowTF32(const Napi::CallbackInfo& info) {
  const bool on = ArgBool(info, 0, "setAllowTF32", "on");
  at::globalContext().setFloat32MatmulPrecision(on ? "high" : "highest");
  at::globalContext().setAllowTF32CuDNN(on);
  return info.Env().Undefined();
}

c10::DeviceType AutocastDevice(const Napi::CallbackInfo& info, const char* fn) {
  const std::string d = ArgString(info, 0, fn, "deviceType");
  if (d == "cuda") return c10::DeviceType::CUDA;
  if (d == "cpu") return c10::DeviceType::CPU;
  ThrowTorchError(info.Env(), std::string(fn) + ": deviceType must be 'cuda' or 'cpu'");
}

// setAutocast(deviceType: 'cuda'|'cpu', enabled: boolean, dtype?: 'bfloat16'|'float16'): void
Napi::Value SetAutocast(const Napi::CallbackInfo& info) {
  const c10::DeviceType device = AutocastDevice(info, "setAutocast");
  const bool enabled = ArgBool(info, 1, "setAutocast", "enabled");
  const c10::ScalarType dtype = IsMissing(info, 2) ? c10::kBFloat16 : ParseDType(info.Env(), ArgString(info, 2, "setAutocast", "dtype"));
  if (dtype != c10::kBFloat16 && dtype != c10::kHalf) ThrowTorchError(info.Env(), "setAutocast: dtype must be 'bfloat16' or 'float16'");
#ifdef VBT_DEVICE_TYPED_AUTOCAST
  at::autocast::set_autocast_dtype(device, dtype);
  at::autocast::set_autocast_enabled(device, enabled);
#else
  if (device == c10::DeviceType::CUDA) {
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(enabled);
  } else {
    at::autocast::set_autocast_cpu_dtype(dtype);
    at::autocast::set_cpu_enabled(enabled);
  }
#endif
  // Leaving autocast drops the cached low-precision weight copies, as PyTorch does.
  if (!enabled) at::autocast::clear_cache();
  return info.Env().Undefined();
}

// autocastEnabled(deviceType): boolean
Napi::Value AutocastEnabled(const Napi::CallbackInfo& info) {
  const c10::DeviceType device = AutocastDevice(info, "autocastEnabled");
#ifdef VBT_DEVICE_TYPED_AUTOCAST
  return Napi::Boolean::New(info.Env(), at::autocast::is_autocast_enabled(device));
#else
  return Napi::Boolean::New(info.Env(), device == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled());
#endif
}

}  // namespace

void RegisterDevice(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaAvailable", Napi::Function::New<Guarded<CudaAvailable>>(env, "cudaAvailable"));
  exports.Set("cudaDeviceCount", Napi::Function::New<Guarded<CudaDeviceCount>>(env, "cudaDeviceCount"));
  exports.Set("cudaSynchronize", Napi::Function::New<Guarded<CudaSynchronize>>(env, "cudaSynchronize"));
  exports.Set("cudaMemory", Napi::Function::New<Guarded<CudaMemory>>(env, "cudaMemory"));
  exports.Set("cudaResetPeakMemory", Napi::Function::New<Guarded<CudaResetPeakMemory>>(env, "cudaResetPeakMemory"));
  exports.Set("cudaEmptyCache", Napi::Function::New<Guarded<CudaEmptyCache>>(env, "cudaEmptyCache"));
  exports.Set("manualSeed", Napi::Function::New<Guarded<ManualSeed>>(env, "manualSeed"));
  exports.Set("rngState", Napi::Function::New<Guarded<RngState>>(env, "rngState"));
  exports.Set("setRngState", Napi::Function::New<Guarded<SetRngState>>(env, "setRngState"));
  exports.Set("setNumThreads", Napi::Function::New<Guarded<SetNumThreads>>(env, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New<Guarded<GetNumThreads>>(env, "getNumThreads"));
  exports.Set("setAllowTF32", Napi::Function::New<Guarded<SetAllowTF32>>(env, "setAllowTF32"));
  exports.Set("setAutocast", Napi::Function::New<Guarded<SetAutocast>>(env, "setAutocast"));
  exports.Set("autocastEnabled", Napi::Function::New<Guarded<AutocastEnabled>>(env, "autocastEnabled"));
}

}  // namespace vbt
