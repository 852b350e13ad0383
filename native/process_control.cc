// Control over this process's own lifetime, for the workers of a
// distributed run: they must not outlive the launcher that started them.
#include <napi.h>

#ifdef __linux__
#include <sys/prctl.h>

#include <csignal>
#endif

#include "errors.h"
#include "register.h"

namespace vbt {

namespace {

// exitWithParent(): boolean. On Linux, have this process receive SIGTERM when
// its parent exits, so the workers of a launcher that was killed never go on
// alone (a signal works even while JS is busy in a long synchronous step,
// where a timer would not fire). False where the OS has no such thing.
Napi::Value ExitWithParent(const Napi::CallbackInfo& info) {
#ifdef __linux__
  return Napi::Boolean::New(info.Env(), prctl(PR_SET_PDEATHSIG, SIGTERM) == 0);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace

void RegisterProcessControl(Napi::Env env, Napi::Object exports) {
  exports.Set("exitWithParent", Napi::Function::New<Guarded<ExitWithParent>>(env, "exitWithParent"));
}

}  // namespace vbt
