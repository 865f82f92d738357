// The JavaScript functions rotatedNms and rotatedIou (validated first in lib/detection/nms.ts;
// checked again here so a direct call into the binding throws instead of misbehaving).
#pragma once

#include <napi.h>

namespace lwganet {

// rotatedNms(boxes: Float32Array | Float64Array (N·5), scores: Float32Array | Float64Array (N),
//            iouThreshold: number, labels?: Int32Array (N)) → Int32Array of kept indices.
Napi::Value rotatedNmsJs(const Napi::CallbackInfo& info);

// rotatedIou(a: Float32Array | Float64Array (5), b: the same) → number.
Napi::Value rotatedIouJs(const Napi::CallbackInfo& info);

}  // namespace lwganet
