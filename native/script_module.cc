// TorchScript modules: load an exported backbone, run its methods with
// tensors/lists/tuples in and out, expose its parameters (shared with the
// module, so optimizer updates and requires_grad changes act on it), switch
// train/eval, move it, and save it with its extra files.
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>

#include <fstream>
#include <memory>

#include "args.h"
#include "errors.h"
#include "handle.h"
#include "ivalue_convert.h"
#include "register.h"
#include "tensor_handle.h"

namespace vbt {

namespace {

struct ModuleBox {
  torch::jit::Module module;
  bool disposed = false;
};

constexpr HandleKind<ModuleBox> kModuleHandle{{0x7662745f6d6f6475ULL, 0x6c655f68616e646cULL}, "a ScriptModule handle", "module",
                                              [](const ModuleBox& b) { return b.disposed; }};

torch::jit::Module& ArgModule(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  return ArgHandle(info, i, fn, "module", kModuleHandle).module;
}

Napi::Value WrapModule(Napi::Env env, torch::jit::Module module) {
  return WrapHandle(env, std::unique_ptr<ModuleBox>(new ModuleBox{std::move(module)}), kModuleHandle);
}

// moduleLoad(path, device: string|null, extraFiles: string[]): [module, {name: content}]
Napi::Value ModuleLoad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string path = ArgString(info, 0, "moduleLoad", "path");
  c10::optional<c10::Device> device;
  if (!IsMissing(info, 1)) device = ParseDevice(env, ArgString(info, 1, "moduleLoad", "device"));
  torch::jit::ExtraFilesMap extra;
  if (!IsMissing(info, 2)) {
    Napi::Array names = ArgArray(info, 2, "moduleLoad", "extraFiles");
    for (uint32_t i = 0; i < names.Length(); ++i) extra[names.Get(i).ToString().Utf8Value()] = "";
  }
  if (!std::ifstream(path).good()) ThrowTorchError(env, "cannot load TorchScript module '" + path + "': file not found or not readable");
  torch::jit::Module module;
  try {
    module = torch::jit::load(path, device, extra);
  } catch (const c10::Error& e) {
    ThrowTorchError(env, "cannot load TorchScript module '" + path + "' (is it a file written by torch.jit.save?): " +
                             CleanTorchMessage(e.what_without_backtrace()));
  }
  Napi::Object files = Napi::Object::New(env);
  for (const auto& [name, content] : extra) {
    if (!content.empty()) files.Set(name, Napi::String::New(env, content));
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, WrapModule(env, std::move(module)));
  out.Set(1u, files);
  return out;
}

// moduleCall(module, method: string, ...args): result
Napi::Value ModuleCall(const Napi::CallbackInfo& info) {
  torch::jit::Module& module = ArgModule(info, 0, "moduleCall");
  const std::string name = ArgString(info, 1, "moduleCall", "method");
  auto method = module.find_method(name);
  if (!method.has_value()) ThrowTorchError(info.Env(), "moduleCall: the module has no method '" + name + "'");
  const c10::FunctionSchema& schema = method->function().getSchema();
  torch::jit::Stack stack;
  stack.reserve(schema.arguments().size());
  stack.emplace_back(module._ivalue());  // self
  PushSchemaArgs(info, 2, schema, 1, stack);
  method->function().run(stack);
  return FromIValue(info.Env(), stack.back());
}

// moduleSchema(module, method): string
Napi::Value ModuleSchema(const Napi::CallbackInfo& info) {
  torch::jit::Module& module = ArgModule(info, 0, "moduleSchema");
  const std::string name = ArgString(info, 1, "moduleSchema", "method");
  auto method = module.find_method(name);
  if (!method.has_value()) ThrowTorchError(info.Env(), "moduleSchema: the module has no method '" + name + "'");
  return Napi::String::New(info.Env(), c10::toString(method->function().getSchema()));
}

// [name, Tensor][] of a module's named parameters or buffers (the tensors are shared with the module).
template <typename NamedTensors>
Napi::Array NamedTensorPairs(Napi::Env env, const NamedTensors& named) {
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (const auto& t : named) {
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(0u, Napi::String::New(env, t.name));
    pair.Set(1u, WrapTensor(env, t.value));
    out.Set(i++, pair);
  }
  return out;
}

// moduleParameters(module): [name, Tensor][]  (recursive, shared with the module)
Napi::Value ModuleParameters(const Napi::CallbackInfo& info) {
  return NamedTensorPairs(info.Env(), ArgModule(info, 0, "moduleParameters").named_parameters(/*recurse=*/true));
}

// moduleBuffers(module): [name, Tensor][]
Napi::Value ModuleBuffers(const Napi::CallbackInfo& info) {
  return NamedTensorPairs(info.Env(), ArgModule(info, 0, "moduleBuffers").named_buffers(/*recurse=*/true));
}

// moduleTrain(module, on): void ; moduleIsTraining(module): boolean
Napi::Value ModuleTrain(const Napi::CallbackInfo& info) {
  ArgModule(info, 0, "moduleTrain").train(ArgBool(info, 1, "moduleTrain", "on"));
  return info.Env().Undefined();
}
Napi::Value ModuleIsTraining(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), ArgModule(info, 0, "moduleIsTraining").is_training());
}

// moduleTo(module, device: string, dtype?: string): void (parameters keep their identity)
Napi::Value ModuleTo(const Napi::CallbackInfo& info) {
  torch::jit::Module& module = ArgModule(info, 0, "moduleTo");
  const c10::Device device = ParseDevice(info.Env(), ArgString(info, 1, "moduleTo", "device"));
  if (IsMissing(info, 2)) {
    module.to(device);
  } else {
    module.to(device, ParseDType(info.Env(), ArgString(info, 2, "moduleTo", "dtype")));
  }
  return info.Env().Undefined();
}

// moduleSave(module, path, extraFiles?: {name: content}): void
Napi::Value ModuleSave(const Napi::CallbackInfo& info) {
  torch::jit::Module& module = ArgModule(info, 0, "moduleSave");
  const std::string path = ArgString(info, 1, "moduleSave", "path");
  torch::jit::ExtraFilesMap extra;
  if (!IsMissing(info, 2)) {
    Napi::Object obj = ArgObject(info, 2, "moduleSave", "extraFiles");
    Napi::Array keys = obj.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); ++i) {
      std::string key = keys.Get(i).ToString().Utf8Value();
      extra[key] = obj.Get(key).ToString().Utf8Value();
    }
  }
  module.save(path, extra);
  return info.Env().Undefined();
}

// moduleDispose(module): void. Tensors already handed out stay valid.
Napi::Value ModuleDispose(const Napi::CallbackInfo& info) {
  ModuleBox& box = ArgHandleToDispose(info, 0, "moduleDispose", "module", kModuleHandle);
  if (!box.disposed) {
    box.disposed = true;
    box.module = torch::jit::Module();
  }
  return info.Env().Undefined();
}

// jitSetOptimize(on): previous setting. TorchScript's graph executor profiles
// and specialises a method for the input shapes it sees, again whenever they
// change; with variable-length batches that costs more than it saves.
Napi::Value JitSetOptimize(const Napi::CallbackInfo& info) {
  const bool previous = torch::jit::getGraphExecutorOptimize();
  torch::jit::setGraphExecutorOptimize(ArgBool(info, 0, "jitSetOptimize", "on"));
  return Napi::Boolean::New(info.Env(), previous);
}

}  // namespace

void RegisterScriptModule(Napi::Env env, Napi::Object exports) {
  exports.Set("moduleLoad", Napi::Function::New<Guarded<ModuleLoad>>(env, "moduleLoad"));
  exports.Set("moduleCall", Napi::Function::New<Guarded<ModuleCall>>(env, "moduleCall"));
  exports.Set("moduleSchema", Napi::Function::New<Guarded<ModuleSchema>>(env, "moduleSchema"));
  exports.Set("moduleParameters", Napi::Function::New<Guarded<ModuleParameters>>(env, "moduleParameters"));
  exports.Set("moduleBuffers", Napi::Function::New<Guarded<ModuleBuffers>>(env, "moduleBuffers"));
  exports.Set("moduleTrain", Napi::Function::New<Guarded<ModuleTrain>>(env, "moduleTrain"));
  exports.Set("moduleIsTraining", Napi::Function::New<Guarded<ModuleIsTraining>>(env, "moduleIsTraining"));
  exports.Set("moduleTo", Napi::Function::New<Guarded<ModuleTo>>(env, "moduleTo"));
  exports.Set("moduleSave", Napi::Function::New<Guarded<ModuleSave>>(env, "moduleSave"));
  exports.Set("jitSetOptimize", Napi::Function::New<Guarded<JitSetOptimize>>(env, "jitSetOptimize"));
  exports.Set("moduleDispose", Napi::Function::New<Guarded<ModuleDispose>>(env, "moduleDispose"));
}

}  // namespace vbt
