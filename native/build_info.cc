// What this addon was built against and what it sees at run time; shown by
// `vbt info` and recorded in prebuild manifests.
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/cuda.h>
#include <torch/version.h>

#ifdef VBT_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

#include "errors.h"
#include "register.h"

namespace vbt {

namespace {

// buildInfo(): {torchVersion, cxx11Abi, cudaBuild, cudaRuntime, cudnn, config, parallel, devices[]}
Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("torchVersion", Napi::String::New(env, TORCH_VERSION));
  out.Set("cxx11Abi", Napi::Boolean::New(env, _GLIBCXX_USE_CXX11_ABI != 0));
#ifdef VBT_WITH_CUDA
  out.Set("cudaBuild", Napi::Boolean::New(env, true));
#else
  out.Set("cudaBuild", Napi::Boolean::New(env, false));
#endif
  out.Set("config", Napi::String::New(env, at::show_config()));
  out.Set("parallel", Napi::String::New(env, at::get_parallel_info()));
  Napi::Array devices = Napi::Array::New(env);
  if (torch::cuda::is_available()) {
    const auto& hooks = at::detail::getCUDAHooks();
    out.Set("cudaRuntime", Napi::Number::New(env, static_cast<double>(hooks.versionCUDART())));
    if (torch::cuda::cudnn_is_available()) out.Set("cudnn", Napi::Number::New(env, static_cast<double>(hooks.versionCuDNN())));
#ifdef VBT_WITH_CUDA
    for (int64_t i = 0; i < static_cast<int64_t>(torch::cuda::device_count()); ++i) {
      const cudaDeviceProp* p = at::cuda::getDeviceProperties(i);
      Napi::Object d = Napi::Object::New(env);
      d.Set("index", Napi::Number::New(env, static_cast<double>(i)));
      d.Set("name", Napi::String::New(env, p->name));
      d.Set("totalMemory", Napi::Number::New(env, static_cast<double>(p->totalGlobalMem)));
      d.Set("capability", Napi::String::New(env, std::to_string(p->major) + "." + std::to_string(p->minor)));
      d.Set("multiprocessors", Napi::Number::New(env, p->multiProcessorCount));
      devices.Set(static_cast<uint32_t>(i), d);
    }
#endif
  }
  out.Set("devices", devices);
  return out;
}

}  // namespace

void RegisterBuildInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("buildInfo", Napi::Function::New<Guarded<BuildInfo>>(env, "buildInfo"));
}

}  // namespace vbt
