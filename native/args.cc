#include "args.h"

#include <cmath>
#include <limits>

#include "errors.h"

namespace vbt {

namespace {

[[noreturn]] void BadArg(Napi::Env env, const char* fn, const char* name, const char* expected) {
  ThrowTorchError(env, std::string(fn) + ": argument '" + name + "' must be " + expected);
}

}  // namespace

bool IsMissing(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() <= i || info[i].IsUndefined() || info[i].IsNull();
}

double ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) BadArg(info.Env(), fn, name, "a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

int64_t ToInt64(Napi::Env env, Napi::Value v, const std::string& what) {
  if (v.IsBigInt()) {
    bool lossless = false;
    int64_t x = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (!lossless) ThrowTorchError(env, what + " does not fit in int64");
    return x;
  }
  if (!v.IsNumber()) ThrowTorchError(env, what + " must be an integer");
  double d = v.As<Napi::Number>().DoubleValue();
  // 2^63 is exactly representable; anything at or beyond it overflows int64.
  if (!std::isfinite(d) || std::floor(d) != d || d >= 9223372036854775808.0 || d < -9223372036854775808.0) {
    ThrowTorchError(env, what + " must be an integer, got " + std::to_string(d));
  }
  return static_cast<int64_t>(d);
}

int64_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  if (info.Length() <= i) BadArg(info.Env(), fn, name, "an integer");
  return ToInt64(info.Env(), info[i], std::string(fn) + ": argument '" + name + "'");
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  if (info.Length() <= i || !info[i].IsBoolean()) BadArg(info.Env(), fn, name, "a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  if (info.Length() <= i || !info[i].IsString()) BadArg(info.Env(), fn, name, "a string");
  return info[i].As<Napi::String>().Utf8Value();
}

Napi::Array ArgArray(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  if (info.Length() <= i || !info[i].IsArray()) BadArg(info.Env(), fn, name, "an array");
  return info[i].As<Napi::Array>();
}

Napi::Object ArgObject(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  if (info.Length() <= i || !info[i].IsObject()) BadArg(info.Env(), fn, name, "an object");
  return info[i].As<Napi::Object>();
}

std::vector<int64_t> ArgShape(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  Napi::Array arr = ArgArray(info, i, fn, name);
  std::vector<int64_t> shape(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    shape[k] = ToInt64(info.Env(), arr.Get(k), std::string(fn) + ": " + name + "[" + std::to_string(k) + "]");
    if (shape[k] < 0) BadArg(info.Env(), fn, name, "a list of non-negative sizes");
  }
  return shape;
}

c10::ScalarType ParseDType(Napi::Env env, const std::string& name) {
  if (name == "float32") return c10::kFloat;
  if (name == "float64") return c10::kDouble;
  if (name == "float16") return c10::kHalf;
  if (name == "bfloat16") return c10::kBFloat16;
  if (name == "int64") return c10::kLong;
  if (name == "int32") return c10::kInt;
  if (name == "int16") return c10::kShort;
  if (name == "int8") return c10::kChar;
  if (name == "uint8") return c10::kByte;
  if (name == "bool") return c10::kBool;
  ThrowTorchError(env, "unknown dtype '" + name +
                           "' (expected float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8 or bool)");
}

const char* DTypeName(c10::ScalarType t) {
  switch (t) {
    case c10::kFloat: return "float32";
    case c10::kDouble: return "float64";
    case c10::kHalf: return "float16";
    case c10::kBFloat16: return "bfloat16";
    case c10::kLong: return "int64";
    case c10::kInt: return "int32";
    case c10::kShort: return "int16";
    case c10::kChar: return "int8";
    case c10::kByte: return "uint8";
    case c10::kBool: return "bool";
    default: return "unsupported";
  }
}

c10::Device ParseDevice(Napi::Env env, const std::string& name) {
  try {
    return c10::Device(name);
  } catch (const std::exception&) {
    ThrowTorchError(env, "invalid device '" + name + "' (expected 'cpu', 'cuda' or 'cuda:N')");
  }
}

}  // namespace vbt
