// Handles: JS Externals that own a native object (a tensor, a TorchScript
// module, an optimizer, a rendezvous store, a process group). Each kind has
// its own type tag, so that no other External (ours or another addon's) can be
// taken for it, and its own test of whether dispose() emptied it. Every kind
// is unwrapped through these templates, so a wrong argument or a disposed
// handle gives the same TorchError everywhere, naming function and argument.
#pragma once

#include <napi.h>

#include <cstddef>
#include <memory>
#include <string>

#include "errors.h"

namespace vbt {

/** What sets one kind of handle apart: its tag, how messages name it, when it counts as disposed. */
template <typename Box>
struct HandleKind {
  napi_type_tag tag;
  /** What a wrong value should have been, for "... must be <expected>": "a Tensor", "an optimizer handle". */
  const char* expected;
  /** What a disposed handle held, for "...: <noun> was used after dispose()". */
  const char* noun;
  /** True once dispose() emptied the box (the External itself lives until GC). */
  bool (*disposed)(const Box&);
};

/** "<fn>: argument '<name>'", the subject of argument errors. */
inline std::string ArgumentText(const char* fn, const char* name) { return std::string(fn) + ": argument '" + name + "'"; }

/** Throw the TorchError for a value that is not a live handle of `kind`; `what` names the value. */
template <typename Box>
[[noreturn]] void ThrowBadHandle(Napi::Env env, const std::string& what, const HandleKind<Box>& kind, bool disposed) {
  ThrowTorchError(env, disposed ? what + ": " + kind.noun + " was used after dispose()" : what + " must be " + kind.expected);
}

/** The box behind a handle of `kind`, live or disposed; nullptr for any other value. Allocates nothing. */
template <typename Box>
Box* FindHandle(Napi::Value v, const HandleKind<Box>& kind) {
  if (!v.IsExternal()) return nullptr;
  auto ext = v.As<Napi::External<Box>>();
  if (!ext.CheckTypeTag(&kind.tag)) return nullptr;
  return ext.Data();
}

/**
 * The box behind a live handle of `kind`; otherwise a TorchError. `what` is
 * a callable returning the value's description, called only on failure, so
 * the common path allocates nothing.
 */
template <typename Box, typename WhatFn>
Box& UnwrapHandleLazy(Napi::Env env, Napi::Value v, const HandleKind<Box>& kind, WhatFn&& what) {
  Box* box = FindHandle(v, kind);
  if (box != nullptr && !kind.disposed(*box)) return *box;
  ThrowBadHandle(env, what(), kind, box != nullptr);
}

/** The box behind argument `i` (named `name` in messages) of `fn`, which must be a live handle of `kind`. */
template <typename Box>
Box& ArgHandle(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name, const HandleKind<Box>& kind) {
  // info[i] is undefined past the last argument: reported as "must be ...".
  return UnwrapHandleLazy(info.Env(), info[i], kind, [&] { return ArgumentText(fn, name); });
}

/** As ArgHandle, but a disposed handle is accepted too: dispose functions are idempotent. */
template <typename Box>
Box& ArgHandleToDispose(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name, const HandleKind<Box>& kind) {
  Box* box = FindHandle(info[i], kind);
  if (box == nullptr) ThrowBadHandle(info.Env(), ArgumentText(fn, name), kind, false);
  return *box;
}

/**
 * A new handle of `kind` that owns `box`; `finalize(env, box)` runs when the
 * GC collects the handle and must free the box.
 */
template <typename Box, typename Finalizer>
Napi::External<Box> WrapHandle(Napi::Env env, std::unique_ptr<Box> box, const HandleKind<Box>& kind, Finalizer finalize) {
  auto ext = Napi::External<Box>::New(env, box.get(), std::move(finalize));
  box.release();  // the External owns it from here, even if tagging fails
  ext.TypeTag(&kind.tag);
  return ext;
}

/** As above, with a finalizer that deletes the box. */
template <typename Box>
Napi::External<Box> WrapHandle(Napi::Env env, std::unique_ptr<Box> box, const HandleKind<Box>& kind) {
  return WrapHandle(env, std::move(box), kind, [](Napi::Env, Box* b) { delete b; });
}

}  // namespace vbt
