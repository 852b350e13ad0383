#include "c10d_common.h"

#include <c10/util/Exception.h>

#include <cmath>
#include <cstdint>
#include <cstdio>

#include "args.h"
#include "errors.h"

namespace vbt {

std::string Seconds(Millis ms) {
  const double s = static_cast<double>(ms.count()) / 1000.0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return std::string(buf) + " s";
}

bool Contains(const std::string& haystack, const char* needle) { return haystack.find(needle) != std::string::npos; }

std::string ExceptionText(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const c10::Error& err) {
    return CleanTorchMessage(err.what_without_backtrace());
  } catch (const std::exception& err) {
    return CleanTorchMessage(err.what());
  } catch (...) {
    return "unknown error";
  }
}

Millis ArgTimeout(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  const double ms = ArgNumber(info, i, fn, "timeoutMs");
  // A timeout is mandatory: zero would mean "wait forever" to c10d.
  if (!(ms >= 1) || !std::isfinite(ms)) ThrowTorchError(info.Env(), std::string(fn) + ": timeoutMs must be a positive number of milliseconds");
  return Millis(static_cast<int64_t>(ms));
}

}  // namespace vbt
