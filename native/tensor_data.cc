// Moving data between JS typed arrays and tensors, tensor metadata, and
// explicit disposal.
#include <ATen/ATen.h>

#include <cstring>

#include "args.h"
#include "errors.h"
#include "register.h"
#include "tensor_handle.h"

namespace vbt {

namespace {

c10::ScalarType TypedArrayDType(Napi::Env env, napi_typedarray_type t) {
  switch (t) {
    case napi_float32_array: return c10::kFloat;
    case napi_float64_array: return c10::kDouble;
    case napi_int32_array: return c10::kInt;
    case napi_bigint64_array: return c10::kLong;
    case napi_int16_array: return c10::kShort;
    case napi_int8_array: return c10::kChar;
    case napi_uint8_array:
    case napi_uint8_clamped_array: return c10::kByte;
    default:
      ThrowTorchError(env, "fromArray: unsupported typed array (use Float32Array, Float64Array, Int32Array, "
                           "BigInt64Array, Int16Array, Int8Array or Uint8Array)");
  }
}

// fromArray(data: TypedArray, shape: number[], dtype?: string, device?: string, requiresGrad?: boolean, pin?: boolean)
Napi::Value FromArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) ThrowTorchError(env, "fromArray: argument 'data' must be a typed array");
  auto arr = info[0].As<Napi::TypedArray>();
  const c10::ScalarType src = TypedArrayDType(env, arr.TypedArrayType());
  std::vector<int64_t> shape = ArgShape(info, 1, "fromArray", "shape");
  int64_t numel = 1;
  for (int64_t s : shape) {
    if (s != 0 && numel > std::numeric_limits<int64_t>::max() / s) ThrowTorchError(env, "fromArray: shape is too large");
    numel *= s;
  }
  if (static_cast<size_t>(numel) != arr.ElementLength()) {
    ThrowTorchError(env, "fromArray: shape " + c10::str(at::IntArrayRef(shape)) + " holds " + std::to_string(numel) +
                             " elements but the array has " + std::to_string(arr.ElementLength()));
  }
  const c10::ScalarType dst = IsMissing(info, 2) ? src : ParseDType(env, ArgString(info, 2, "fromArray", "dtype"));
  const c10::Device device = IsMissing(info, 3) ? c10::Device(c10::kCPU) : ParseDevice(env, ArgString(info, 3, "fromArray", "device"));
  const bool requires_grad = IsMissing(info, 4) ? false : ArgBool(info, 4, "fromArray", "requiresGrad");
  const bool pin = IsMissing(info, 5) ? false : ArgBool(info, 5, "fromArray", "pin");

  // Copy: JS memory may move or be freed; the tensor owns its storage.
  auto options = at::TensorOptions().dtype(src).pinned_memory(pin && device.is_cuda());
  at::Tensor t = at::empty(shape, options);
  const auto* bytes = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  if (numel > 0) std::memcpy(t.data_ptr(), bytes, arr.ByteLength());
  if (dst != src || device != t.device()) t = t.to(device, dst, /*non_blocking=*/pin && device.is_cuda());
  if (requires_grad) t.set_requires_grad(true);
  return WrapTensor(env, std::move(t));
}

// toArray(t): TypedArray (float16/bfloat16 come back as Float32Array, bool as Uint8Array)
Napi::Value ToArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor t = ArgTensor(info, 0, "toArray", "tensor").detach();
  c10::ScalarType st = t.scalar_type();
  if (st == c10::kHalf || st == c10::kBFloat16) st = c10::kFloat;
  if (st == c10::kBool) st = c10::kByte;
  t = t.to(c10::Device(c10::kCPU), st).contiguous();
  const size_t n = static_cast<size_t>(t.numel());
  const size_t nbytes = n * t.element_size();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, nbytes);
  if (nbytes > 0) std::memcpy(buf.Data(), t.data_ptr(), nbytes);
  switch (st) {
    case c10::kFloat: return Napi::Float32Array::New(env, n, buf, 0);
    case c10::kDouble: return Napi::Float64Array::New(env, n, buf, 0);
    case c10::kLong: return Napi::BigInt64Array::New(env, n, buf, 0);
    case c10::kInt: return Napi::Int32Array::New(env, n, buf, 0);
    case c10::kShort: return Napi::Int16Array::New(env, n, buf, 0);
    case c10::kChar: return Napi::Int8Array::New(env, n, buf, 0);
    case c10::kByte: return Napi::Uint8Array::New(env, n, buf, 0);
    default: ThrowTorchError(env, std::string("toArray: unsupported dtype ") + c10::toString(st));
  }
}

// toBytes(t): Uint8Array of the raw little-endian elements, dtype unchanged
// (for bfloat16/float16 files such as safetensors).
Napi::Value ToBytes(const Napi::CallbackInfo& info) {
  at::Tensor t = ArgTensor(info, 0, "toBytes", "tensor").detach().to(c10::Device(c10::kCPU)).contiguous();
  const size_t nbytes = static_cast<size_t>(t.numel()) * t.element_size();
  auto out = Napi::Uint8Array::New(info.Env(), nbytes);
  if (nbytes > 0) std::memcpy(out.Data(), t.data_ptr(), nbytes);
  return out;
}

// fromBytes(bytes: Uint8Array, shape, dtype): Tensor (CPU) from raw little-endian elements
Napi::Value FromBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    ThrowTorchError(env, "fromBytes: argument 'bytes' must be a Uint8Array");
  }
  auto bytes = info[0].As<Napi::Uint8Array>();
  std::vector<int64_t> shape = ArgShape(info, 1, "fromBytes", "shape");
  const c10::ScalarType dtype = ParseDType(env, ArgString(info, 2, "fromBytes", "dtype"));
  int64_t numel = 1;
  for (int64_t s : shape) {
    if (s != 0 && numel > std::numeric_limits<int64_t>::max() / s) ThrowTorchError(env, "fromBytes: shape is too large");
    numel *= s;
  }
  const size_t expected = static_cast<size_t>(numel) * c10::elementSize(dtype);
  if (expected != bytes.ByteLength()) {
    ThrowTorchError(env, "fromBytes: shape " + c10::str(at::IntArrayRef(shape)) + " of " + DTypeName(dtype) + " needs " +
                             std::to_string(expected) + " bytes, got " + std::to_string(bytes.ByteLength()));
  }
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
  if (expected > 0) std::memcpy(t.data_ptr(), bytes.Data(), expected);
  return WrapTensor(env, std::move(t));
}

// item(t): number (a one-element tensor)
Napi::Value Item(const Napi::CallbackInfo& info) {
  const at::Tensor& t = ArgTensor(info, 0, "item", "tensor");
  if (t.numel() != 1) {
    ThrowTorchError(info.Env(), "item: tensor must have exactly one element, has " + std::to_string(t.numel()));
  }
  return Napi::Number::New(info.Env(), t.item<double>());
}

// meta(t): [dtype, device, requiresGrad, ...shape]; one call instead of four.
Napi::Value Meta(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const at::Tensor& t = ArgTensor(info, 0, "meta", "tensor");
  const auto sizes = t.sizes();
  Napi::Array out = Napi::Array::New(env, 3 + sizes.size());
  out.Set(0u, Napi::String::New(env, DTypeName(t.scalar_type())));
  out.Set(1u, Napi::String::New(env, t.device().str()));
  out.Set(2u, Napi::Boolean::New(env, t.requires_grad()));
  for (size_t i = 0; i < sizes.size(); ++i) out.Set(static_cast<uint32_t>(3 + i), Napi::Number::New(env, static_cast<double>(sizes[i])));
  return out;
}

// dispose(t): void
Napi::Value Dispose(const Napi::CallbackInfo& info) {
  if (info.Length() < 1) ThrowTorchError(info.Env(), "dispose: argument 'tensor' is missing");
  DisposeTensor(info.Env(), info[0]);
  return info.Env().Undefined();
}

// liveTensors(): number
Napi::Value LiveTensors(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(LiveTensorCount()));
}

// isTensor(x): boolean
Napi::Value IsTensor(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), info.Length() > 0 && IsTensorHandle(info[0]));
}

// hostCacheEnable(capBytes: number): boolean (whether the cache is LibTorch's CPU allocator now)
Napi::Value HostCacheEnable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), EnableHostCache(ArgInt(info, 0, "hostCacheEnable", "capBytes")));
}

// hostCacheStats(): {enabled, capBytes, cachedBytes, mappedBytes, hits, misses, evictions}
Napi::Value HostCacheStatsValue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const HostCacheStats s = HostCacheState();
  Napi::Object out = Napi::Object::New(env);
  out.Set("enabled", Napi::Boolean::New(env, s.enabled));
  out.Set("capBytes", Napi::Number::New(env, static_cast<double>(s.cap_bytes)));
  out.Set("cachedBytes", Napi::Number::New(env, static_cast<double>(s.cached_bytes)));
  out.Set("mappedBytes", Napi::Number::New(env, static_cast<double>(s.mapped_bytes)));
  out.Set("hits", Napi::Number::New(env, static_cast<double>(s.hits)));
  out.Set("misses", Napi::Number::New(env, static_cast<double>(s.misses)));
  out.Set("evictions", Napi::Number::New(env, static_cast<double>(s.evictions)));
  return out;
}

// hostMemoryRelease(): void
Napi::Value HostMemoryRelease(const Napi::CallbackInfo& info) {
  ReleaseHostMemory();
  return info.Env().Undefined();
}

}  // namespace

void RegisterTensorData(Napi::Env env, Napi::Object exports) {
  exports.Set("fromArray", Napi::Function::New<Guarded<FromArray>>(env, "fromArray"));
  exports.Set("toArray", Napi::Function::New<Guarded<ToArray>>(env, "toArray"));
  exports.Set("toBytes", Napi::Function::New<Guarded<ToBytes>>(env, "toBytes"));
  exports.Set("fromBytes", Napi::Function::New<Guarded<FromBytes>>(env, "fromBytes"));
  exports.Set("item", Napi::Function::New<Guarded<Item>>(env, "item"));
  exports.Set("meta", Napi::Function::New<Guarded<Meta>>(env, "meta"));
  exports.Set("dispose", Napi::Function::New<Guarded<Dispose>>(env, "dispose"));
  exports.Set("liveTensors", Napi::Function::New<Guarded<LiveTensors>>(env, "liveTensors"));
  exports.Set("isTensor", Napi::Function::New<Guarded<IsTensor>>(env, "isTensor"));
  exports.Set("hostCacheEnable", Napi::Function::New<Guarded<HostCacheEnable>>(env, "hostCacheEnable"));
  exports.Set("hostCacheStats", Napi::Function::New<Guarded<HostCacheStatsValue>>(env, "hostCacheStats"));
  exports.Set("hostMemoryRelease", Napi::Function::New<Guarded<HostMemoryRelease>>(env, "hostMemoryRelease"));
}

}  // namespace vbt
