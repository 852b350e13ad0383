// Each native source file exports its entry points through one Register
// function, called from addon.cc.
#pragma once

#include <napi.h>

namespace vbt {

void RegisterOps(Napi::Env env, Napi::Object exports);
void RegisterTensorData(Napi::Env env, Napi::Object exports);
void RegisterAutograd(Napi::Env env, Napi::Object exports);
void RegisterScriptModule(Napi::Env env, Napi::Object exports);
void RegisterOptimizer(Napi::Env env, Napi::Object exports);
void RegisterDevice(Napi::Env env, Napi::Object exports);
void RegisterBuildInfo(Napi::Env env, Napi::Object exports);
void RegisterStore(Napi::Env env, Napi::Object exports);
void RegisterProcessGroup(Napi::Env env, Napi::Object exports);
void RegisterProcessControl(Napi::Env env, Napi::Object exports);

}  // namespace vbt
