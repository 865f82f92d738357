#include "nms_napi.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "errors.h"
#include "nms.h"

namespace lwganet {
namespace {

// Doubles of a Float64Array (borrowed: the call is synchronous) or a copy of a Float32Array's.
struct DoubleView {
  const double* data = nullptr;
  std::size_t length = 0;
  std::vector<double> copy;
};

DoubleView readFloats(Napi::Value value, const char* name) {
  if (!value.IsTypedArray()) throwTypeError(std::string("Expected a Float32Array or Float64Array for ") + name);
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  const napi_typedarray_type type = array.TypedArrayType();
  if (type != napi_float32_array && type != napi_float64_array) {
    throwTypeError(std::string("Expected a Float32Array or Float64Array for ") + name);
  }
  DoubleView view;
  view.length = array.ElementLength();
  if (view.length == 0) return view;
  const auto* bytes = static_cast<const uint8_t*>(array.ArrayBuffer().Data());
  if (bytes == nullptr) throwTypeError(std::string("The data of ") + name + " is detached (was its ArrayBuffer transferred?)");
  bytes += array.ByteOffset();
  if (type == napi_float64_array) {
    view.data = reinterpret_cast<const double*>(bytes);
  } else {
    const auto* floats = reinterpret_cast<const float*>(bytes);
    view.copy.assign(floats, floats + view.length);
    view.data = view.copy.data();
  }
  return view;
}

std::vector<int64_t> readLabels(Napi::Value value, std::size_t count) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throwTypeError("Expected an Int32Array or undefined for labels");
  }
  Napi::Int32Array labels = value.As<Napi::Int32Array>();
  if (labels.ElementLength() != count) {
    throwRangeError("Expected one label per box (" + std::to_string(count) + ") but received " +
                    std::to_string(labels.ElementLength()));
  }
  if (count > 0 && labels.ArrayBuffer().Data() == nullptr) {
    throwTypeError("The data of labels is detached (was its ArrayBuffer transferred?)");
  }
  return std::vector<int64_t>(labels.Data(), labels.Data() + count);
}

}  // namespace

Napi::Value rotatedNmsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> kept;
  try {
    DoubleView boxes = readFloats(info[0], "boxes");
    if (boxes.length % nms::kRotatedWidth != 0) {
      throwRangeError("Expected boxes of length N·5 (cx, cy, w, h, angle per box) but received length " +
                      std::to_string(boxes.length));
    }
    const std::size_t count = boxes.length / nms::kRotatedWidth;
    if (count > static_cast<std::size_t>(std::numeric_limits<int32_t>::max())) {
      throwRangeError("Expected at most 2^31 - 1 boxes (the result is an Int32Array)");
    }
    DoubleView scores = readFloats(info[1], "scores");
    if (scores.length != count) {
      throwRangeError("Expected one score per box (" + std::to_string(count) + ") but received " +
                      std::to_string(scores.length));
    }
    if (!info[2].IsNumber()) throwTypeError("Expected a number for iouThreshold");
    const double threshold = info[2].As<Napi::Number>().DoubleValue();
    std::vector<int64_t> labels;
    const bool grouped = !info[3].IsUndefined() && !info[3].IsNull();
    if (grouped) labels = readLabels(info[3], count);
    if (count > 0) {
      kept = nms::greedyNms(nms::BoxKind::Rotated, boxes.data, scores.data, grouped ? labels.data() : nullptr, count,
                            threshold);
    }
  } catch (...) {
    throw toJsError(env, captureCurrentException("FORWARD_FAILED", "rotatedNms failed"));
  }
  Napi::Int32Array result = Napi::Int32Array::New(env, kept.size());
  for (std::size_t i = 0; i < kept.size(); ++i) result[i] = static_cast<int32_t>(kept[i]);
  return result;
}

Napi::Value rotatedIouJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double iou = 0;
  try {
    DoubleView a = readFloats(info[0], "a");
    DoubleView b = readFloats(info[1], "b");
    if (a.length != nms::kRotatedWidth || b.length != nms::kRotatedWidth) {
      throwRangeError("Expected two boxes of 5 values (cx, cy, w, h, angle) but received lengths " +
                      std::to_string(a.length) + " and " + std::to_string(b.length));
    }
    iou = nms::rotatedIou(a.data, b.data);
  } catch (...) {
    throw toJsError(env, captureCurrentException("FORWARD_FAILED", "rotatedIou failed"));
  }
  return Napi::Number::New(env, iou);
}

}  // namespace lwganet
