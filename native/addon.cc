// Module entry point: sets up per-environment state and registers every
// native function. The typed contract of these exports is src/torch/native.ts.
#include <napi.h>

#include "addon_data.h"
#include "errors.h"
#include "register.h"

namespace vbt {

namespace {

// setErrorClass(ctor): the TypeScript TorchError class thrown by every entry point.
Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) {
    throw Napi::TypeError::New(info.Env(), "setErrorClass: argument must be a constructor");
  }
  SetTorchErrorClass(info.Env(), info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonData());
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
  RegisterOps(env, exports);
  RegisterTensorData(env, exports);
  RegisterAutograd(env, exports);
  RegisterScriptModule(env, exports);
  RegisterOptimizer(env, exports);
  RegisterDevice(env, exports);
  RegisterBuildInfo(env, exports);
  RegisterStore(env, exports);
  RegisterProcessGroup(env, exports);
  RegisterProcessControl(env, exports);
  return exports;
}

}  // namespace vbt

// NODE_API_MODULE pastes the init function's name into an identifier: no '::'.
static Napi::Object InitVbt(Napi::Env env, Napi::Object exports) { return vbt::Init(env, exports); }

NODE_API_MODULE(vbt, InitVbt)
