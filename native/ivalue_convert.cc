#include "ivalue_convert.h"

#include <ATen/core/Dict.h>
#include <ATen/core/List.h>
#include <ATen/core/jit_type.h>
#include <c10/core/Scalar.h>

#include <cmath>

#include "args.h"
#include "errors.h"
#include "tensor_handle.h"

namespace vbt {

std::string ArgPath::str() const {
  std::string out;
  if (parent != nullptr) out = parent->str();
  if (function != nullptr) out += *function;
  if (argument != nullptr) out += ": argument '" + *argument + "'";
  if (index >= 0) out += "[" + std::to_string(index) + "]";
  if (key != nullptr) out += "." + *key;
  return out;
}

namespace {

[[noreturn]] void Mismatch(Napi::Env env, const ArgPath& where, const c10::TypePtr& type) {
  ThrowTorchError(env, where.str() + " must be " + type->annotation_str());
}

int64_t Int(Napi::Env env, Napi::Value v, const ArgPath& where) {
  return ToInt64Lazy(env, v, [&] { return where.str(); });
}

at::Tensor& TensorAt(Napi::Env env, Napi::Value v, const ArgPath& where) {
  return UnwrapTensorLazy(env, v, [&] { return where.str(); });
}

c10::Scalar ToScalar(Napi::Env env, Napi::Value v, const ArgPath& where) {
  if (v.IsBoolean()) return c10::Scalar(v.As<Napi::Boolean>().Value());
  if (v.IsBigInt()) return c10::Scalar(Int(env, v, where));
  if (!v.IsNumber()) ThrowTorchError(env, where.str() + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  // Integral JS numbers become integer scalars so integer tensors stay integer.
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9007199254740992.0) {
    return c10::Scalar(static_cast<int64_t>(d));
  }
  return c10::Scalar(d);
}

c10::IValue ToList(Napi::Env env, Napi::Value v, const c10::ListTypePtr& list_type, const ArgPath& where) {
  const c10::TypePtr& elem = list_type->getElementType();
  const c10::TypeKind kind = elem->kind();
  // int[N] arguments (dims, sizes) also accept a single integer, as in PyTorch.
  if (!v.IsArray()) {
    if ((kind == c10::TypeKind::IntType || kind == c10::TypeKind::SymIntType) && (v.IsNumber() || v.IsBigInt())) {
      return c10::IValue(std::vector<int64_t>{Int(env, v, where)});
    }
    Mismatch(env, where, list_type);
  }
  Napi::Array arr = v.As<Napi::Array>();
  const uint32_t n = arr.Length();
  switch (kind) {
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType: {
      std::vector<int64_t> out(n);
      for (uint32_t i = 0; i < n; ++i) out[i] = Int(env, arr.Get(i), where.Item(i));
      return c10::IValue(out);
    }
    case c10::TypeKind::FloatType: {
      std::vector<double> out(n);
      for (uint32_t i = 0; i < n; ++i) {
        Napi::Value x = arr.Get(i);
        if (!x.IsNumber()) ThrowTorchError(env, where.Item(i).str() + " must be a number");
        out[i] = x.As<Napi::Number>().DoubleValue();
      }
      return c10::IValue(out);
    }
    case c10::TypeKind::BoolType: {
      c10::List<bool> out;
      for (uint32_t i = 0; i < n; ++i) {
        Napi::Value x = arr.Get(i);
        if (!x.IsBoolean()) ThrowTorchError(env, where.Item(i).str() + " must be a boolean");
        out.push_back(x.As<Napi::Boolean>().Value());
      }
      return c10::IValue(out);
    }
    case c10::TypeKind::TensorType: {
      c10::List<at::Tensor> out;
      out.reserve(n);
      for (uint32_t i = 0; i < n; ++i) out.push_back(TensorAt(env, arr.Get(i), where.Item(i)));
      return c10::IValue(out);
    }
    default: {
      if (kind == c10::TypeKind::OptionalType &&
          elem->castRaw<c10::OptionalType>()->getElementType()->kind() == c10::TypeKind::TensorType) {
        c10::List<c10::optional<at::Tensor>> out;
        for (uint32_t i = 0; i < n; ++i) {
          Napi::Value x = arr.Get(i);
          if (x.IsNull() || x.IsUndefined()) {
            out.push_back(c10::nullopt);
          } else {
            out.push_back(TensorAt(env, x, where.Item(i)));
          }
        }
        return c10::IValue(out);
      }
      c10::impl::GenericList out(elem);
      out.reserve(n);
      for (uint32_t i = 0; i < n; ++i) out.push_back(ToIValue(env, arr.Get(i), elem, where.Item(i)));
      return c10::IValue(out);
    }
  }
}

c10::IValue InferAny(Napi::Env env, Napi::Value v, const ArgPath& where) {
  if (v.IsNull() || v.IsUndefined()) return c10::IValue();
  if (IsTensorHandle(v)) return c10::IValue(TensorAt(env, v, where));
  if (v.IsBoolean()) return c10::IValue(v.As<Napi::Boolean>().Value());
  if (v.IsNumber() || v.IsBigInt()) return c10::IValue(ToScalar(env, v, where));
  if (v.IsString()) return c10::IValue(v.As<Napi::String>().Utf8Value());
  if (v.IsArray()) {
    Napi::Array arr = v.As<Napi::Array>();
    c10::impl::GenericList out(c10::AnyType::get());
    for (uint32_t i = 0; i < arr.Length(); ++i) out.push_back(InferAny(env, arr.Get(i), where.Item(i)));
    return c10::IValue(out);
  }
  ThrowTorchError(env, where.str() + ": cannot convert this JS value to a TorchScript value");
}

}  // namespace

c10::IValue ToIValue(Napi::Env env, Napi::Value v, const c10::TypePtr& type, const ArgPath& where) {
  switch (type->kind()) {
    case c10::TypeKind::TensorType:
      return c10::IValue(TensorAt(env, v, where));
    case c10::TypeKind::OptionalType:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      return ToIValue(env, v, type->castRaw<c10::OptionalType>()->getElementType(), where);
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType:
      return c10::IValue(Int(env, v, where));
    case c10::TypeKind::FloatType:
      if (!v.IsNumber()) Mismatch(env, where, type);
      return c10::IValue(v.As<Napi::Number>().DoubleValue());
    case c10::TypeKind::BoolType:
      if (!v.IsBoolean()) Mismatch(env, where, type);
      return c10::IValue(v.As<Napi::Boolean>().Value());
    case c10::TypeKind::NumberType:
      return c10::IValue(ToScalar(env, v, where));
    case c10::TypeKind::StringType:
      if (!v.IsString()) Mismatch(env, where, type);
      return c10::IValue(v.As<Napi::String>().Utf8Value());
    case c10::TypeKind::ScalarTypeType:
      if (!v.IsString()) ThrowTorchError(env, where.str() + " must be a dtype name such as 'float32'");
      return c10::IValue(static_cast<int64_t>(ParseDType(env, v.As<Napi::String>().Utf8Value())));
    case c10::TypeKind::DeviceObjType:
      if (!v.IsString()) ThrowTorchError(env, where.str() + " must be a device name such as 'cpu' or 'cuda:0'");
      return c10::IValue(ParseDevice(env, v.As<Napi::String>().Utf8Value()));
    case c10::TypeKind::ListType:
      return ToList(env, v, type->expect<c10::ListType>(), where);
    case c10::TypeKind::TupleType: {
      const auto& elems = type->castRaw<c10::TupleType>()->elements();
      if (!v.IsArray() || v.As<Napi::Array>().Length() != elems.size()) {
        ThrowTorchError(env, where.str() + " must be an array of " + std::to_string(elems.size()) + " elements (" +
                                 type->annotation_str() + ")");
      }
      Napi::Array arr = v.As<Napi::Array>();
      std::vector<c10::IValue> items;
      items.reserve(elems.size());
      for (uint32_t i = 0; i < elems.size(); ++i) items.push_back(ToIValue(env, arr.Get(i), elems[i], where.Item(i)));
      return c10::IValue(c10::ivalue::Tuple::create(std::move(items)));
    }
    case c10::TypeKind::DictType: {
      auto dict_type = type->castRaw<c10::DictType>();
      if (dict_type->getKeyType()->kind() != c10::TypeKind::StringType || !v.IsObject() || v.IsArray()) {
        Mismatch(env, where, type);
      }
      c10::impl::GenericDict out(dict_type->getKeyType(), dict_type->getValueType());
      Napi::Object obj = v.As<Napi::Object>();
      Napi::Array keys = obj.GetPropertyNames();
      for (uint32_t i = 0; i < keys.Length(); ++i) {
        std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
        out.insert(key, ToIValue(env, obj.Get(key), dict_type->getValueType(), where.Field(key)));
      }
      return c10::IValue(out);
    }
    case c10::TypeKind::AnyType:
      return InferAny(env, v, where);
    default:
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      ThrowTorchError(env, where.str() + ": values of type " + type->annotation_str() + " cannot be passed from JS");
  }
}

Napi::Value FromIValue(Napi::Env env, const c10::IValue& value) {
  if (value.isTensor()) return WrapTensor(env, value.toTensor());
  if (value.isNone()) return env.Null();
  if (value.isInt()) return Napi::Number::New(env, static_cast<double>(value.toInt()));
  if (value.isDouble()) return Napi::Number::New(env, value.toDouble());
  if (value.isBool()) return Napi::Boolean::New(env, value.toBool());
  if (value.isString()) return Napi::String::New(env, value.toStringRef());
  if (value.isDevice()) return Napi::String::New(env, value.toDevice().str());
  if (value.isTuple()) {
    const auto& elems = value.toTupleRef().elements();
    Napi::Array out = Napi::Array::New(env, elems.size());
    for (size_t i = 0; i < elems.size(); ++i) out.Set(static_cast<uint32_t>(i), FromIValue(env, elems[i]));
    return out;
  }
  if (value.isList()) {
    auto list = value.toListRef();
    Napi::Array out = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); ++i) out.Set(static_cast<uint32_t>(i), FromIValue(env, list[i]));
    return out;
  }
  if (value.isGenericDict()) {
    Napi::Object out = Napi::Object::New(env);
    for (const auto& entry : value.toGenericDict()) {
      const c10::IValue& key = entry.key();
      std::string name = key.isString() ? key.toStringRef() : key.isInt() ? std::to_string(key.toInt()) : "?";
      out.Set(name, FromIValue(env, entry.value()));
    }
    return out;
  }
  if (value.isScalar()) return Napi::Number::New(env, value.toScalar().toDouble());
  ThrowTorchError(env, "cannot return a TorchScript value of type " + value.tagKind() + " to JS");
}

void PushSchemaArgs(const Napi::CallbackInfo& info, size_t first, const c10::FunctionSchema& schema, size_t skip,
                    torch::jit::Stack& stack) {
  Napi::Env env = info.Env();
  const auto& args = schema.arguments();
  const size_t given = info.Length() > first ? info.Length() - first : 0;
  const size_t expected = args.size() - skip;
  if (given > expected) {
    ThrowTorchError(env, schema.name() + ": expected at most " + std::to_string(expected) + " arguments, got " +
                             std::to_string(given) + " (" + c10::toString(schema) + ")");
  }
  for (size_t k = skip; k < args.size(); ++k) {
    const c10::Argument& arg = args[k];
    const size_t js_index = first + (k - skip);
    const bool present = js_index < info.Length() && !info[js_index].IsUndefined();
    if (present) {
      const ArgPath where{&schema.name(), &arg.name()};
      stack.emplace_back(ToIValue(env, info[js_index], arg.real_type(), where));
    } else if (arg.default_value().has_value()) {
      stack.push_back(*arg.default_value());
    } else if (arg.real_type()->kind() == c10::TypeKind::OptionalType) {
      stack.emplace_back();
    } else {
      ThrowTorchError(env, schema.name() + ": missing argument '" + arg.name() + "' (" + c10::toString(schema) + ")");
    }
  }
}

}  // namespace vbt
