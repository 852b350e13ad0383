// Generic operator calls through the c10 dispatcher: the TypeScript side
// resolves an operator once ("aten::add", "Tensor") to an integer id, then
// calls it with arguments converted by the operator's own schema. Autograd
// and autocast apply as for any ATen call.
#include <ATen/core/dispatch/Dispatcher.h>

#include "addon_data.h"
#include "args.h"
#include "errors.h"
#include "ivalue_convert.h"
#include "register.h"

namespace vbt {

namespace {

// opResolve(name: string, overload: string): number
Napi::Value OpResolve(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "opResolve", "name");
  std::string overload = IsMissing(info, 1) ? "" : ArgString(info, 1, "opResolve", "overload");
  auto handle = c10::Dispatcher::singleton().findSchema({name, overload});
  if (!handle.has_value()) {
    ThrowTorchError(info.Env(), "unknown operator '" + name + (overload.empty() ? "" : "." + overload) + "'");
  }
  AddonData& data = AddonData::Get(info.Env());
  data.ops.push_back(*handle);
  return Napi::Number::New(info.Env(), static_cast<double>(data.ops.size() - 1));
}

const c10::OperatorHandle& OpAt(const Napi::CallbackInfo& info, const char* fn) {
  AddonData& data = AddonData::Get(info.Env());
  int64_t id = ArgInt(info, 0, fn, "op");
  if (id < 0 || static_cast<size_t>(id) >= data.ops.size()) ThrowTorchError(info.Env(), std::string(fn) + ": unknown op id");
  return data.ops[static_cast<size_t>(id)];
}

// opCall(op: number, ...args): result (Tensor handle, array, number, ...; undefined for in-place ops)
Napi::Value OpCall(const Napi::CallbackInfo& info) {
  const c10::OperatorHandle& op = OpAt(info, "opCall");
  const c10::FunctionSchema& schema = op.schema();
  torch::jit::Stack stack;
  stack.reserve(schema.arguments().size());
  PushSchemaArgs(info, 1, schema, 0, stack);
  op.callBoxed(&stack);
  const auto& returns = schema.returns();
  if (returns.empty()) return info.Env().Undefined();
  if (returns.size() == 1) {
    // In-place and out= variants return their (already held) argument.
    const auto* alias = returns[0].alias_info();
    if (alias != nullptr && alias->isWrite()) return info.Env().Undefined();
    return FromIValue(info.Env(), stack[0]);
  }
  Napi::Array out = Napi::Array::New(info.Env(), stack.size());
  for (size_t i = 0; i < stack.size(); ++i) out.Set(static_cast<uint32_t>(i), FromIValue(info.Env(), stack[i]));
  return out;
}

// opSchema(op: number): string
Napi::Value OpSchema(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), c10::toString(OpAt(info, "opSchema").schema()));
}

}  // namespace

void RegisterOps(Napi::Env env, Napi::Object exports) {
  exports.Set("opResolve", Napi::Function::New<Guarded<OpResolve>>(env, "opResolve"));
  exports.Set("opCall", Napi::Function::New<Guarded<OpCall>>(env, "opCall"));
  exports.Set("opSchema", Napi::Function::New<Guarded<OpSchema>>(env, "opSchema"));
}

}  // namespace vbt
