// Conversion between JS values and TorchScript IValues, guided by the type an
// operator or method schema declares for each argument. This lets one entry
// point call any ATen operator or TorchScript method with checked arguments.
#pragma once

#include <ATen/core/function_schema.h>
#include <ATen/core/ivalue.h>
#include <ATen/core/stack.h>
#include <napi.h>

#include <string>

namespace vbt {

/**
 * Where a value sits in a call, e.g. "aten::add: argument 'other'[2]". Held
 * by reference and turned into text only when an error is reported, so the
 * common path allocates nothing.
 */
struct ArgPath {
  const std::string* function = nullptr;
  const std::string* argument = nullptr;
  const ArgPath* parent = nullptr;
  int64_t index = -1;
  const std::string* key = nullptr;

  std::string str() const;
  ArgPath Item(int64_t i) const { return ArgPath{nullptr, nullptr, this, i, nullptr}; }
  ArgPath Field(const std::string& k) const { return ArgPath{nullptr, nullptr, this, -1, &k}; }
};

/** Convert `v` to an IValue of schema type `type`; throws a TorchError naming `where` on mismatch. */
c10::IValue ToIValue(Napi::Env env, Napi::Value v, const c10::TypePtr& type, const ArgPath& where);

/** Convert an IValue to JS: tensors become handles, tuples and lists arrays, None null. */
Napi::Value FromIValue(Napi::Env env, const c10::IValue& value);

/**
 * Build a call stack for `schema` from info[first..]: missing trailing
 * arguments take the schema's defaults. `skip` leading schema arguments are
 * already on the stack (e.g. a method's `self`).
 */
void PushSchemaArgs(const Napi::CallbackInfo& info, size_t first, const c10::FunctionSchema& schema, size_t skip,
                    torch::jit::Stack& stack);

}  // namespace vbt
