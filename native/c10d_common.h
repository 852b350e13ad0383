// Helpers shared by the rendezvous store (store.cc) and the process groups
// (process_group.cc): the mandatory timeouts of every blocking c10d call and
// the text of c10d's exceptions, which both rephrase as what to check.
#pragma once

#include <napi.h>

#include <chrono>
#include <exception>
#include <string>

namespace vbt {

using Millis = std::chrono::milliseconds;

/** A duration for messages: "2.5 s". */
std::string Seconds(Millis ms);

bool Contains(const std::string& haystack, const char* needle);

/** The message of a caught exception, without LibTorch's backtrace. */
std::string ExceptionText(std::exception_ptr e);

/** Argument `i` of `fn`, timeoutMs: a positive number of milliseconds, else a TorchError. */
Millis ArgTimeout(const Napi::CallbackInfo& info, size_t i, const char* fn);

}  // namespace vbt
