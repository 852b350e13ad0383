// The rendezvous store handle (store.cc), which a process group is created
// on (process_group.cc): a TCPStore, or a FileStore for the workers of one
// machine.
#pragma once

#include <napi.h>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <cstddef>
#include <string>

namespace vbt {

struct StoreBox {
  /** Null once disposed. */
  c10::intrusive_ptr<c10d::Store> store;
  /** Where the rendezvous is, for messages: host and port of a TCPStore... */
  std::string host;
  int port = 0;
  /** ...or the file of a FileStore (empty for a TCPStore). */
  std::string file;
};

/** Argument `i` of `fn`: a live store handle, else a TorchError. */
StoreBox& ArgStore(const Napi::CallbackInfo& info, size_t i, const char* fn);

}  // namespace vbt
