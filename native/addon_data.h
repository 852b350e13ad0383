// Per-environment state (one per Node.js main thread or worker thread that
// loads the addon): the JS error class and the table of resolved operators.
#pragma once

#include <ATen/core/dispatch/Dispatcher.h>
#include <napi.h>

#include <vector>

namespace vbt {

struct AddonData {
  Napi::FunctionReference torch_error_class;
  std::vector<c10::OperatorHandle> ops;

  static AddonData& Get(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }
};

}  // namespace vbt
