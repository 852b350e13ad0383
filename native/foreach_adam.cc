#include "foreach_adam.h"

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include <algorithm>
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

// On the CPU a bucket is updated in slices of about this many elements (1 MiB
// of float32 per list), each slice through all the update's kernels before
// the next: the slice's parameters, gradients and moments stay in cache
// between kernels, and the denominator temporary is one slice, not a copy of
// every parameter (373 MB per step for data2vec base, allocated and freed
// every step). On a GPU the whole bucket goes at once (fewest launches).
constexpr int64_t kCpuSliceElements = 1 << 18;

/** Flat views [start, start + length) of the element-wise operands of one parameter. */
void AppendSlice(Bucket& out, const Bucket& in, size_t i, int64_t start, int64_t length) {
  auto cut = [&](const at::Tensor& t) { return t.view({-1}).narrow(0, start, length); };
  out.params.push_back(cut(in.params[i]));
  out.grads.push_back(cut(in.grads[i]));
  out.exp_avgs.push_back(cut(in.exp_avgs[i]));
  out.exp_avg_sqs.push_back(cut(in.exp_avg_sqs[i]));
  if (!in.max_exp_avg_sqs.empty()) out.max_exp_avg_sqs.push_back(cut(in.max_exp_avg_sqs[i]));
}

/** The whole operands of one parameter. */
void AppendWhole(Bucket& out, const Bucket& in, size_t i) {
  out.params.push_back(in.params[i]);
  out.grads.push_back(in.grads[i]);
  out.exp_avgs.push_back(in.exp_avgs[i]);
  out.exp_avg_sqs.push_back(in.exp_avg_sqs[i]);
  if (!in.max_exp_avg_sqs.empty()) out.max_exp_avg_sqs.push_back(in.max_exp_avg_sqs[i]);
}

bool AllContiguous(const Bucket& b, size_t i) {
  const bool ams = b.max_exp_avg_sqs.empty() || b.max_exp_avg_sqs[i].is_contiguous();
  return ams && b.params[i].is_contiguous() && b.grads[i].is_contiguous() && b.exp_avgs[i].is_contiguous() && b.exp_avg_sqs[i].is_contiguous();
}

/**
 * `b` cut into pieces of about kCpuSliceElements elements: small parameters
 * grouped, large contiguous ones split into flat views. Element-wise
 * kernels give the same values whatever the grouping.
 */
std::vector<Bucket> CpuSlices(const Bucket& b) {
  std::vector<Bucket> out(1);
  int64_t filled = 0;
  auto next = [&] {
    out.emplace_back();
    filled = 0;
  };
  for (size_t i = 0; i < b.params.size(); ++i) {
    const int64_t n = b.params[i].numel();
    if (n <= kCpuSliceElements || !AllContiguous(b, i)) {
      if (filled > 0 && filled + n > kCpuSliceElements) next();
      AppendWhole(out.back(), b, i);
      filled += n;
      continue;
    }
    for (int64_t start = 0; start < n; start += kCpuSliceElements) {
      const int64_t length = std::min(kCpuSliceElements, n - start);
      if (filled > 0 && filled + length > kCpuSliceElements) next();
      AppendSlice(out.back(), b, i, start, length);
      filled += length;
    }
  }
  if (out.back().params.empty()) out.pop_back();
  return out;
}

/** One step's arithmetic over the lists of `b` (all at the same step count). */
void UpdateLists(Bucket& b, double lr, double wd, double eps, double beta1, double beta2, bool amsgrad, bool decoupled,
                 double bias_correction1, double bias_correction2) {
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
      if (b.params.front().device().is_cpu()) {
        for (Bucket& slice : CpuSlices(b)) UpdateLists(slice, lr, wd, eps, beta1, beta2, amsgrad, decoupled, bias_correction1, bias_correction2);
      } else {
        UpdateLists(b, lr, wd, eps, beta1, beta2, amsgrad, decoupled, bias_correction1, bias_correction2);
      }
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
