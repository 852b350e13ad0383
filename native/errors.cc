#include "errors.h"

#include <c10/util/Exception.h>

#include <exception>
#include <new>

#include "addon_data.h"

namespace vbt {

void SetTorchErrorClass(Napi::Env env, Napi::Function ctor) {
  AddonData& data = AddonData::Get(env);
  data.torch_error_class = Napi::Persistent(ctor);
}

std::string CleanTorchMessage(const std::string& raw) {
  // c10::Error::what_without_backtrace() still carries "Exception raised from
  // ... (most recent call first):" in some builds; keep the first part only.
  std::string msg = raw;
  for (const char* marker : {"\nException raised from", "Exception raised from ", "\nFrame "}) {
    auto pos = msg.find(marker);
    if (pos != std::string::npos && pos > 0) msg = msg.substr(0, pos);
  }
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg;
}

void ThrowTorchError(Napi::Env env, const std::string& message) {
  AddonData& data = AddonData::Get(env);
  Napi::Object err;
  if (!data.torch_error_class.IsEmpty()) {
    err = data.torch_error_class.New({Napi::String::New(env, message)});
  } else {
    err = Napi::Error::New(env, message).Value();
    err.Set("name", Napi::String::New(env, "TorchError"));
  }
  throw Napi::Error(env, err);
}

Napi::Value ConvertCurrentException(Napi::Env env) {
  try {
    throw;
  } catch (const c10::Error& e) {
    ThrowTorchError(env, CleanTorchMessage(e.what_without_backtrace()));
  } catch (const std::bad_alloc&) {
    ThrowTorchError(env, "out of memory: an allocation failed");
  } catch (const std::exception& e) {
    ThrowTorchError(env, CleanTorchMessage(e.what()));
  } catch (...) {
    ThrowTorchError(env, "unknown native error");
  }
}

}  // namespace vbt
