// The rendezvous store handle (store.cc), which a process group is created
// on (process_group.cc).
#pragma once

#include <napi.h>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <cstddef>
#include <string>

namespace vbt {

struct StoreBox {
  /** Null once disposed. */
  c10::intrusive_ptr<c10d::Store> store;
  /** Where the rendezvous is, for messages. */
  std::string host;
  int port = 0;
};

/** Argument `i` of `fn`: a live store handle, else a TorchError. */
StoreBox& ArgStore(const Napi::CallbackInfo& info, size_t i, const char* fn);

}  // namespace vbt
