// Adam and AdamW from LibTorch, with parameter groups whose learning rate the
// TypeScript scheduler sets every step, and state saved to / loaded from bytes
// so checkpoints can be written atomically by the caller.
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <memory>
#include <sstream>

#include "args.h"
#include "foreach_adam.h"
#include "errors.h"
#include "handle.h"
#include "register.h"
#include "tensor_handle.h"

namespace vbt {

namespace {

struct OptimizerBox {
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::string kind;
};

constexpr HandleKind<OptimizerBox> kOptimizerHandle{{0x7662745f6f707469ULL, 0x6d697a65725f6864ULL}, "an optimizer handle", "optimizer",
                                                    [](const OptimizerBox& b) { return !b.optimizer; }};

OptimizerBox& ArgOptimizer(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  return ArgHandle(info, i, fn, "optimizer", kOptimizerHandle);
}

double NumberField(Napi::Env env, Napi::Object obj, const char* key, double fallback, const std::string& where) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) ThrowTorchError(env, where + "." + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || !std::isfinite(d)) ThrowTorchError(env, where + "." + key + " must be a finite non-negative number");
  return d;
}

struct GroupSettings {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad;
};

GroupSettings ReadGroupSettings(Napi::Env env, Napi::Object g, const std::string& where, bool adamw) {
  GroupSettings s{};
  s.lr = NumberField(env, g, "lr", 1e-3, where);
  Napi::Value betas = g.Get("betas");
  s.beta1 = 0.9;
  s.beta2 = 0.999;
  if (!betas.IsUndefined() && !betas.IsNull()) {
    if (!betas.IsArray() || betas.As<Napi::Array>().Length() != 2) ThrowTorchError(env, where + ".betas must be [beta1, beta2]");
    auto arr = betas.As<Napi::Array>();
    if (!arr.Get(0u).IsNumber() || !arr.Get(1u).IsNumber()) ThrowTorchError(env, where + ".betas must be two numbers");
    s.beta1 = arr.Get(0u).As<Napi::Number>().DoubleValue();
    s.beta2 = arr.Get(1u).As<Napi::Number>().DoubleValue();
    if (!(s.beta1 >= 0 && s.beta1 < 1 && s.beta2 >= 0 && s.beta2 < 1)) ThrowTorchError(env, where + ".betas must lie in [0, 1)");
  }
  s.eps = NumberField(env, g, "eps", 1e-8, where);
  // PyTorch's defaults: AdamW decays by 1e-2, Adam not at all.
  s.weight_decay = NumberField(env, g, "weightDecay", adamw ? 1e-2 : 0.0, where);
  Napi::Value ams = g.Get("amsgrad");
  s.amsgrad = ams.IsBoolean() ? ams.As<Napi::Boolean>().Value() : false;
  return s;
}

// optimizerCreate(kind: 'adam'|'adamw', groups: {params: Tensor[], lr?, betas?, eps?, weightDecay?, amsgrad?}[], foreach = true)
// foreach: update each group's parameters together with multi-tensor kernels (foreach_adam.h); false: LibTorch's per-parameter loop.
Napi::Value OptimizerCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string kind = ArgString(info, 0, "optimizerCreate", "kind");
  if (kind != "adam" && kind != "adamw") ThrowTorchError(env, "optimizerCreate: kind must be 'adam' or 'adamw', got '" + kind + "'");
  const bool adamw = kind == "adamw";
  Napi::Array groups = ArgArray(info, 1, "optimizerCreate", "groups");
  if (groups.Length() == 0) ThrowTorchError(env, "optimizerCreate: at least one parameter group is needed");
  std::vector<torch::optim::OptimizerParamGroup> param_groups;
  for (uint32_t gi = 0; gi < groups.Length(); ++gi) {
    const std::string where = "optimizerCreate: groups[" + std::to_string(gi) + "]";
    if (!groups.Get(gi).IsObject()) ThrowTorchError(env, where + " must be an object");
    Napi::Object g = groups.Get(gi).As<Napi::Object>();
    if (!g.Get("params").IsArray()) ThrowTorchError(env, where + ".params must be an array of tensors");
    Napi::Array params = g.Get("params").As<Napi::Array>();
    std::vector<at::Tensor> tensors;
    for (uint32_t k = 0; k < params.Length(); ++k) {
      at::Tensor& t = UnwrapTensor(env, params.Get(k), where + ".params[" + std::to_string(k) + "]");
      if (!t.is_leaf()) ThrowTorchError(env, where + ".params[" + std::to_string(k) + "] is not a leaf tensor: an optimizer can only update leaves");
      tensors.push_back(t);
    }
    GroupSettings s = ReadGroupSettings(env, g, where, adamw);
    std::unique_ptr<torch::optim::OptimizerOptions> options;
    if (adamw) {
      options = std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(s.lr)
                                                                 .betas(std::make_tuple(s.beta1, s.beta2))
                                                                 .eps(s.eps)
                                                                 .weight_decay(s.weight_decay)
                                                                 .amsgrad(s.amsgrad));
    } else {
      options = std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(s.lr)
                                                                .betas(std::make_tuple(s.beta1, s.beta2))
                                                                .eps(s.eps)
                                                                .weight_decay(s.weight_decay)
                                                                .amsgrad(s.amsgrad));
    }
    param_groups.emplace_back(std::move(tensors), std::move(options));
  }
  const bool foreach = IsMissing(info, 2) ? true : ArgBool(info, 2, "optimizerCreate", "foreach");
  auto box = std::make_unique<OptimizerBox>();
  box->kind = kind;
  if (adamw) {
    if (foreach) box->optimizer = std::make_unique<ForeachAdamW>(std::move(param_groups));
    else box->optimizer = std::make_unique<torch::optim::AdamW>(std::move(param_groups));
  } else {
    if (foreach) box->optimizer = std::make_unique<ForeachAdam>(std::move(param_groups));
    else box->optimizer = std::make_unique<torch::optim::Adam>(std::move(param_groups));
  }
  return WrapHandle(env, std::move(box), kOptimizerHandle);
}

// optimizerStep(optimizer): void
Napi::Value OptimizerStep(const Napi::CallbackInfo& info) {
  ArgOptimizer(info, 0, "optimizerStep").optimizer->step();
  return info.Env().Undefined();
}

// optimizerZeroGrad(optimizer, setToNone = true): void
Napi::Value OptimizerZeroGrad(const Napi::CallbackInfo& info) {
  auto& opt = *ArgOptimizer(info, 0, "optimizerZeroGrad").optimizer;
  const bool set_to_none = IsMissing(info, 1) ? true : ArgBool(info, 1, "optimizerZeroGrad", "setToNone");
  for (auto& group : opt.param_groups()) {
    for (auto& p : group.params()) {
      if (!p.mutable_grad().defined()) continue;
      if (set_to_none) {
        p.mutable_grad().reset();
      } else {
        p.mutable_grad() = p.mutable_grad().detach();
        p.mutable_grad().zero_();
      }
    }
  }
  return info.Env().Undefined();
}

torch::optim::OptimizerParamGroup& GroupAt(const Napi::CallbackInfo& info, torch::optim::Optimizer& opt, const char* fn) {
  const int64_t index = ArgInt(info, 1, fn, "group");
  if (index < 0 || static_cast<size_t>(index) >= opt.param_groups().size()) {
    ThrowTorchError(info.Env(), std::string(fn) + ": group " + std::to_string(index) + " does not exist (the optimizer has " +
                                    std::to_string(opt.param_groups().size()) + ")");
  }
  return opt.param_groups()[static_cast<size_t>(index)];
}

// optimizerSetLr(optimizer, group, lr): void ; optimizerGetLr(optimizer, group): number
Napi::Value OptimizerSetLr(const Napi::CallbackInfo& info) {
  auto& opt = *ArgOptimizer(info, 0, "optimizerSetLr").optimizer;
  auto& group = GroupAt(info, opt, "optimizerSetLr");
  const double lr = ArgNumber(info, 2, "optimizerSetLr", "lr");
  if (!(lr >= 0) || !std::isfinite(lr)) ThrowTorchError(info.Env(), "optimizerSetLr: lr must be a finite non-negative number");
  group.options().set_lr(lr);
  return info.Env().Undefined();
}
Napi::Value OptimizerGetLr(const Napi::CallbackInfo& info) {
  auto& opt = *ArgOptimizer(info, 0, "optimizerGetLr").optimizer;
  return Napi::Number::New(info.Env(), GroupAt(info, opt, "optimizerGetLr").options().get_lr());
}

// optimizerGroupCount(optimizer): number
Napi::Value OptimizerGroupCount(const Napi::CallbackInfo& info) {
  auto& opt = *ArgOptimizer(info, 0, "optimizerGroupCount").optimizer;
  return Napi::Number::New(info.Env(), static_cast<double>(opt.param_groups().size()));
}

// optimizerSaveState(optimizer): Uint8Array (LibTorch archive bytes)
Napi::Value OptimizerSaveState(const Napi::CallbackInfo& info) {
  auto& opt = *ArgOptimizer(info, 0, "optimizerSaveState").optimizer;
  torch::serialize::OutputArchive archive;
  opt.save(archive);
  std::string bytes;
  archive.save_to([&bytes](const void* data, size_t n) {
    bytes.append(static_cast<const char*>(data), n);
    return n;
  });
  auto out = Napi::Uint8Array::New(info.Env(), bytes.size());
  std::memcpy(out.Data(), bytes.data(), bytes.size());
  return out;
}

void MoveTo(at::Tensor& t, const at::Device& device) {
  if (t.defined() && t.device() != device) t = t.to(device);
}

/**
 * Put every moment tensor where the parameters are (a state may have been
 * saved on another device). vbt keeps all parameters of an optimizer on one
 * device; iterating the whole state map avoids its key, whose type differs
 * between LibTorch versions.
 */
void MoveStateToParameters(torch::optim::Optimizer& opt) {
  c10::optional<at::Device> device;
  for (auto& group : opt.param_groups()) {
    for (auto& p : group.params()) {
      if (!device) device = p.device();
      if (p.device() != *device) return;  // mixed devices: leave the state as loaded
    }
  }
  if (!device) return;
  for (auto& entry : opt.state()) {
    torch::optim::OptimizerParamState* state = entry.second.get();
    if (auto* adam = dynamic_cast<torch::optim::AdamParamState*>(state)) {
      MoveTo(adam->exp_avg(), *device);
      MoveTo(adam->exp_avg_sq(), *device);
      MoveTo(adam->max_exp_avg_sq(), *device);
    } else if (auto* adamw = dynamic_cast<torch::optim::AdamWParamState*>(state)) {
      MoveTo(adamw->exp_avg(), *device);
      MoveTo(adamw->exp_avg_sq(), *device);
      MoveTo(adamw->max_exp_avg_sq(), *device);
    }
  }
}

// optimizerLoadState(optimizer, bytes: Uint8Array): void
Napi::Value OptimizerLoadState(const Napi::CallbackInfo& info) {
  auto& opt = *ArgOptimizer(info, 0, "optimizerLoadState").optimizer;
  if (info.Length() < 2 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowTorchError(info.Env(), "optimizerLoadState: argument 'bytes' must be a Uint8Array");
  }
  auto bytes = info[1].As<Napi::Uint8Array>();
  torch::serialize::InputArchive archive;
  try {
    // Read onto the CPU (a state saved on a GPU loads on any machine), then
    // move each moment to where its parameter lives now.
    archive.load_from(reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength(), c10::Device(c10::kCPU));
    opt.load(archive);
    MoveStateToParameters(opt);
  } catch (const c10::Error& e) {
    ThrowTorchError(info.Env(), "optimizerLoadState: the saved state does not fit this optimizer (different parameters or a corrupt file): " +
                                    CleanTorchMessage(e.what_without_backtrace()));
  }
  return info.Env().Undefined();
}

// optimizerDispose(optimizer): void
Napi::Value OptimizerDispose(const Napi::CallbackInfo& info) {
  ArgHandleToDispose(info, 0, "optimizerDispose", "optimizer", kOptimizerHandle).optimizer.reset();
  return info.Env().Undefined();
}

}  // namespace

void RegisterOptimizer(Napi::Env env, Napi::Object exports) {
  exports.Set("optimizerCreate", Napi::Function::New<Guarded<OptimizerCreate>>(env, "optimizerCreate"));
  exports.Set("optimizerStep", Napi::Function::New<Guarded<OptimizerStep>>(env, "optimizerStep"));
  exports.Set("optimizerZeroGrad", Napi::Function::New<Guarded<OptimizerZeroGrad>>(env, "optimizerZeroGrad"));
  exports.Set("optimizerSetLr", Napi::Function::New<Guarded<OptimizerSetLr>>(env, "optimizerSetLr"));
  exports.Set("optimizerGetLr", Napi::Function::New<Guarded<OptimizerGetLr>>(env, "optimizerGetLr"));
  exports.Set("optimizerGroupCount", Napi::Function::New<Guarded<OptimizerGroupCount>>(env, "optimizerGroupCount"));
  exports.Set("optimizerSaveState", Napi::Function::New<Guarded<OptimizerSaveState>>(env, "optimizerSaveState"));
  exports.Set("optimizerLoadState", Napi::Function::New<Guarded<OptimizerLoadState>>(env, "optimizerLoadState"));
  exports.Set("optimizerDispose", Napi::Function::New<Guarded<OptimizerDispose>>(env, "optimizerDispose"));
}

}  // namespace vbt
