// Error handling: every entry point runs inside Guarded<>, which turns
// c10::Error and std::exception into a JS TorchError, so no input from JS
// can take the process down with an uncaught C++ exception.
#pragma once

#include <napi.h>

#include <string>

namespace vbt {

/** Throw (as a C++ exception that node-addon-api turns into a JS throw) a TorchError. */
[[noreturn]] void ThrowTorchError(Napi::Env env, const std::string& message);

/** Remember the JS TorchError class the TypeScript side registers at load. */
void SetTorchErrorClass(Napi::Env env, Napi::Function ctor);

/** Strip LibTorch's C++ backtrace and internal source locations from a message. */
std::string CleanTorchMessage(const std::string& raw);

Napi::Value ConvertCurrentException(Napi::Env env);

/** Wraps an entry point so that any C++ exception becomes a JS TorchError. */
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;  // already a JS exception
  } catch (...) {
    return ConvertCurrentException(info.Env());
  }
}

}  // namespace vbt
