#include "foreach_adam.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <cmath>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace vbt {

namespace {

// The optimizer state is keyed by the parameter's TensorImpl: as a string of
// its address in LibTorch 1.x, as the pointer itself in 2.x. The overload
// picked by the map's key type makes the same key LibTorch's optimizers make.
[[maybe_unused]] std::string KeyOf(const at::Tensor& p, const std::string* /*tag*/) {
  std::ostringstream s;
  s << p.unsafeGetTensorImpl();
  return s.str();
}
[[maybe_unused]] void* KeyOf(const at::Tensor& p, void* const* /*tag*/) { return p.unsafeGetTensorImpl(); }

/** The parameters of one group that step together (same step count), with their gradients and moments. */
struct Bucket {
  std::vector<at::Tensor> params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs;
};

/**
 * One step of Adam (decoupled = false: L2 penalty added to the gradient) or
 * AdamW (decoupled = true: p ← p·(1 − lr·wd)) over every group, LibTorch's
 * per-parameter algorithm written over lists of tensors.
 */
template <typename State, typename Options, typename StateMap>
void ForeachStep(std::vector<torch::optim::OptimizerParamGroup>& groups, StateMap& state, bool decoupled) {
  using Key = typename StateMap::key_type;
  for (auto& group : groups) {
    auto& options = static_cast<Options&>(group.options());
    const double lr = options.lr();
    const double wd = options.weight_decay();
    const double eps = options.eps();
    const double beta1 = std::get<0>(options.betas());
    const double beta2 = std::get<1>(options.betas());
    const bool amsgrad = options.amsgrad();

    // Bias corrections depend on the step count, which differs between parameters that missed a step (no gradient).
    std::map<int64_t, Bucket> buckets;
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      TORCH_CHECK(!p.grad().is_sparse(), "Adam does not support sparse gradients");
      const Key key = KeyOf(p, static_cast<const Key*>(nullptr));
      auto found = state.find(key);
      if (found == state.end()) {
        auto fresh = std::make_unique<State>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, at::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, at::MemoryFormat::Preserve));
        if (amsgrad) fresh->max_exp_avg_sq(torch::zeros_like(p, at::MemoryFormat::Preserve));
        found = state.emplace(key, std::move(fresh)).first;
      }
      auto& s = static_cast<State&>(*found->second);
      s.step(s.step() + 1);
      Bucket& b = buckets[s.step()];
      b.params.push_back(p);
      b.grads.push_back(p.grad());
      b.exp_avgs.push_back(s.exp_avg());
      b.exp_avg_sqs.push_back(s.exp_avg_sq());
      if (amsgrad) b.max_exp_avg_sqs.push_back(s.max_exp_avg_sq());
    }

    for (auto& [step, b] : buckets) {
      const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
      const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
      std::vector<at::Tensor> grads = b.grads;
      if (wd != 0) {
        if (decoupled) {
          at::_foreach_mul_(b.params, 1 - lr * wd);
        } else {
          grads = at::_foreach_add(b.grads, b.params, wd);
        }
      }
      at::_foreach_mul_(b.exp_avgs, beta1);
      at::_foreach_add_(b.exp_avgs, grads, 1 - beta1);
      at::_foreach_mul_(b.exp_avg_sqs, beta2);
      at::_foreach_addcmul_(b.exp_avg_sqs, grads, grads, 1 - beta2);
      std::vector<at::Tensor> denom;
      if (amsgrad) {
        for (size_t i = 0; i < b.max_exp_avg_sqs.size(); ++i) at::max_out(b.max_exp_avg_sqs[i], b.exp_avg_sqs[i], b.max_exp_avg_sqs[i]);
        denom = at::_foreach_sqrt(b.max_exp_avg_sqs);
      } else {
        denom = at::_foreach_sqrt(b.exp_avg_sqs);
      }
      at::_foreach_div_(denom, std::sqrt(bias_correction2));
      at::_foreach_add_(denom, eps);
      at::_foreach_addcdiv_(b.params, b.exp_avgs, denom, -lr / bias_correction1);
    }
  }
}

torch::Tensor RunClosure(torch::optim::Optimizer::LossClosure& closure) {
  if (closure == nullptr) return {};
  at::AutoGradMode enable_grad(true);
  return closure();
}

}  // namespace

torch::Tensor ForeachAdamW::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss = RunClosure(closure);
  ForeachStep<torch::optim::AdamWParamState, torch::optim::AdamWOptions>(param_groups_, state_, /*decoupled=*/true);
  return loss;
}

torch::Tensor ForeachAdam::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss = RunClosure(closure);
  ForeachStep<torch::optim::AdamParamState, torch::optim::AdamOptions>(param_groups_, state_, /*decoupled=*/false);
  return loss;
}

}  // namespace vbt
