// Checked reading of JS arguments: a wrong type or a missing argument gives a
// TorchError that names the function and the argument, never a crash.
#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vbt {

double ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
Napi::Array ArgArray(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
Napi::Object ArgObject(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
std::vector<int64_t> ArgShape(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
bool IsMissing(const Napi::CallbackInfo& info, size_t i);

/** Read an integer from a JS number or bigint; throws naming `what` if it is neither or not integral. */
int64_t ToInt64(Napi::Env env, Napi::Value v, const std::string& what);

/** As ToInt64, with the description built only on failure. */
template <typename WhatFn>
int64_t ToInt64Lazy(Napi::Env env, Napi::Value v, WhatFn&& what) {
  if (v.IsNumber()) {
    const double d = v.As<Napi::Number>().DoubleValue();
    // Exact integers within ±2^53 take the fast path.
    if (d == static_cast<double>(static_cast<int64_t>(d)) && d < 9007199254740992.0 && d > -9007199254740992.0) {
      return static_cast<int64_t>(d);
    }
  }
  return ToInt64(env, v, what());
}

/** 'float32' -> at::kFloat, ...; throws on an unknown name. */
c10::ScalarType ParseDType(Napi::Env env, const std::string& name);
/** at::kFloat -> 'float32', ... */
const char* DTypeName(c10::ScalarType t);
/** 'cpu', 'cuda', 'cuda:1' -> c10::Device; throws a TorchError on a malformed string. */
c10::Device ParseDevice(Napi::Env env, const std::string& name);

}  // namespace vbt
