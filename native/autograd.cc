// Autograd from JS: backward, gradients, grad mode, gradient clipping, and
// the gradient reversal layer used by adversarial training.
#include <cmath>

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/types.h>
#include <torch/nn/utils/clip_grad.h>

#include "args.h"
#include "errors.h"
#include "register.h"
#include "tensor_handle.h"

namespace vbt {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Identity in the forward pass; multiplies the incoming gradient by -factor in
// the backward pass (Ganin & Lempitsky's gradient reversal layer).
struct GradientReversal : public torch::autograd::Function<GradientReversal> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, double factor) {
    ctx->saved_data["factor"] = factor;
    return x.view_as(x);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const double factor = ctx->saved_data["factor"].toDouble();
    return {grad_outputs[0] * (-factor), at::Tensor()};
  }
};

std::vector<at::Tensor> TensorList(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  Napi::Array arr = ArgArray(info, i, fn, name);
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    out.push_back(UnwrapTensorLazy(info.Env(), arr.Get(k), [&] { return std::string(fn) + ": " + name + "[" + std::to_string(k) + "]"; }));
  }
  return out;
}

// backward(t, grad?: Tensor|null, retainGraph?: boolean): void
Napi::Value Backward(const Napi::CallbackInfo& info) {
  const at::Tensor& t = ArgTensor(info, 0, "backward", "tensor");
  at::Tensor grad;
  if (!IsMissing(info, 1)) grad = ArgTensor(info, 1, "backward", "grad");
  const bool retain = IsMissing(info, 2) ? false : ArgBool(info, 2, "backward", "retainGraph");
  if (!t.requires_grad()) {
    ThrowTorchError(info.Env(), "backward: tensor does not require grad (no parameter that requires grad contributed to it, or it was computed under noGrad)");
  }
  if (!grad.defined() && t.numel() != 1) {
    ThrowTorchError(info.Env(), "backward: a gradient must be given for a non-scalar tensor of shape " + c10::str(t.sizes()));
  }
  t.backward(grad, retain);
  return info.Env().Undefined();
}

// grad(t): Tensor | null
Napi::Value Grad(const Napi::CallbackInfo& info) {
  const at::Tensor& t = ArgTensor(info, 0, "grad", "tensor");
  return WrapTensor(info.Env(), t.grad());
}

// setGrad(t, g: Tensor | null): void
Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  at::Tensor& t = ArgTensor(info, 0, "setGrad", "tensor");
  if (IsMissing(info, 1)) {
    t.mutable_grad().reset();
  } else {
    t.mutable_grad() = ArgTensor(info, 1, "setGrad", "grad");
  }
  return info.Env().Undefined();
}

// setRequiresGrad(t, flag): void
Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  at::Tensor& t = ArgTensor(info, 0, "setRequiresGrad", "tensor");
  t.set_requires_grad(ArgBool(info, 1, "setRequiresGrad", "flag"));
  return info.Env().Undefined();
}

// setData(t, src): void. Replaces t's data with src's (device/dtype may change)
// while t keeps its identity, so optimizers and modules holding t see the move.
Napi::Value SetData(const Napi::CallbackInfo& info) {
  at::Tensor& t = ArgTensor(info, 0, "setData", "tensor");
  const at::Tensor& src = ArgTensor(info, 1, "setData", "src");
  t.set_data(src);
  return info.Env().Undefined();
}

// isLeaf(t): boolean
Napi::Value IsLeaf(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), ArgTensor(info, 0, "isLeaf", "tensor").is_leaf());
}

// gradEnabled(): boolean ; setGradEnabled(flag): previous flag. Grad mode is
// thread-local: this is the JS thread's.
Napi::Value GradEnabled(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled());
}
Napi::Value SetGradEnabled(const Napi::CallbackInfo& info) {
  const bool previous = at::GradMode::is_enabled();
  at::GradMode::set_enabled(ArgBool(info, 0, "setGradEnabled", "flag"));
  return Napi::Boolean::New(info.Env(), previous);
}

// gradReverse(t, factor): Tensor
Napi::Value GradReverse(const Napi::CallbackInfo& info) {
  const at::Tensor& t = ArgTensor(info, 0, "gradReverse", "tensor");
  const double factor = ArgNumber(info, 1, "gradReverse", "factor");
  return WrapTensor(info.Env(), GradientReversal::apply(t, factor));
}

// clipGradNorm(params: Tensor[], maxNorm, normType = 2): total norm before clipping
Napi::Value ClipGradNorm(const Napi::CallbackInfo& info) {
  std::vector<at::Tensor> params = TensorList(info, 0, "clipGradNorm", "params");
  const double max_norm = ArgNumber(info, 1, "clipGradNorm", "maxNorm");
  const double norm_type = IsMissing(info, 2) ? 2.0 : ArgNumber(info, 2, "clipGradNorm", "normType");
  if (!(max_norm > 0)) ThrowTorchError(info.Env(), "clipGradNorm: maxNorm must be positive");
  return Napi::Number::New(info.Env(), torch::nn::utils::clip_grad_norm_(params, max_norm, norm_type));
}

// clipGradNormTensor(params: Tensor[], maxNorm, normType = 2): Tensor. As
// clipGradNorm, but the norm stays a 0-dim tensor on the device: nothing
// waits for a GPU, so a training step can clip without a host sync.
Napi::Value ClipGradNormTensor(const Napi::CallbackInfo& info) {
  std::vector<at::Tensor> params = TensorList(info, 0, "clipGradNormTensor", "params");
  const double max_norm = ArgNumber(info, 1, "clipGradNormTensor", "maxNorm");
  const double norm_type = IsMissing(info, 2) ? 2.0 : ArgNumber(info, 2, "clipGradNormTensor", "normType");
  if (!(max_norm > 0)) ThrowTorchError(info.Env(), "clipGradNormTensor: maxNorm must be positive");
  if (!(norm_type > 0)) ThrowTorchError(info.Env(), "clipGradNormTensor: normType must be positive");
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> grads;
  for (const auto& p : params) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return WrapTensor(info.Env(), at::zeros({}));
  std::vector<at::Tensor> norms;
  norms.reserve(grads.size());
  const bool inf = std::isinf(norm_type);
  for (const auto& g : grads) norms.push_back(inf ? g.detach().abs().max().to(at::kFloat) : g.detach().norm(norm_type).to(at::kFloat));
  at::Tensor total = inf ? at::stack(norms).max() : at::stack(norms).norm(norm_type);
  at::Tensor coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
  for (auto& g : grads) g.mul_(coef.to(g.scalar_type()));
  return WrapTensor(info.Env(), total);
}

// autogradGrad(outputs: Tensor[], inputs: Tensor[], gradOutputs?: Tensor[]|null, retainGraph?, createGraph?): (Tensor|null)[]
Napi::Value AutogradGrad(const Napi::CallbackInfo& info) {
  std::vector<at::Tensor> outputs = TensorList(info, 0, "autogradGrad", "outputs");
  std::vector<at::Tensor> inputs = TensorList(info, 1, "autogradGrad", "inputs");
  std::vector<at::Tensor> grad_outputs;
  if (!IsMissing(info, 2)) grad_outputs = TensorList(info, 2, "autogradGrad", "gradOutputs");
  const bool create = IsMissing(info, 4) ? false : ArgBool(info, 4, "autogradGrad", "createGraph");
  c10::optional<bool> retain;
  if (!IsMissing(info, 3)) retain = ArgBool(info, 3, "autogradGrad", "retainGraph");
  auto grads = torch::autograd::grad(outputs, inputs, grad_outputs, retain, create, /*allow_unused=*/true);
  Napi::Array out = Napi::Array::New(info.Env(), grads.size());
  for (size_t i = 0; i < grads.size(); ++i) out.Set(static_cast<uint32_t>(i), WrapTensor(info.Env(), grads[i]));
  return out;
}

}  // namespace

void RegisterAutograd(Napi::Env env, Napi::Object exports) {
  exports.Set("backward", Napi::Function::New<Guarded<Backward>>(env, "backward"));
  exports.Set("grad", Napi::Function::New<Guarded<Grad>>(env, "grad"));
  exports.Set("setGrad", Napi::Function::New<Guarded<SetGrad>>(env, "setGrad"));
  exports.Set("setRequiresGrad", Napi::Function::New<Guarded<SetRequiresGrad>>(env, "setRequiresGrad"));
  exports.Set("setData", Napi::Function::New<Guarded<SetData>>(env, "setData"));
  exports.Set("isLeaf", Napi::Function::New<Guarded<IsLeaf>>(env, "isLeaf"));
  exports.Set("gradEnabled", Napi::Function::New<Guarded<GradEnabled>>(env, "gradEnabled"));
  exports.Set("setGradEnabled", Napi::Function::New<Guarded<SetGradEnabled>>(env, "setGradEnabled"));
  exports.Set("gradReverse", Napi::Function::New<Guarded<GradReverse>>(env, "gradReverse"));
  exports.Set("clipGradNorm", Napi::Function::New<Guarded<ClipGradNorm>>(env, "clipGradNorm"));
  exports.Set("clipGradNormTensor", Napi::Function::New<Guarded<ClipGradNormTensor>>(env, "clipGradNormTensor"));
  exports.Set("autogradGrad", Napi::Function::New<Guarded<AutogradGrad>>(env, "autogradGrad"));
}

}  // namespace vbt
