#include "errors.h"

#include <c10/util/Exception.h>

#include <sstream>
#include <vector>

namespace lwganet {
namespace {

std::vector<std::string> nonEmptyLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  std::string line;
  while (std::getline(stream, line)) {
    auto first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos) lines.push_back(line.substr(first));
  }
  return lines;
}

bool contains(const std::string& haystack, const char* needle) { return haystack.find(needle) != std::string::npos; }

// Shape and dtype mistakes are the usual reason a forward fails on user input; giving them
// their own codes lets callers tell "bad input" from "broken model".
const char* codeForForwardMessage(const std::string& message) {
  static const char* dtypeHints[] = {"expected scalar type", "Expected scalar type", "Input type (",
                                     "should be the same", "dtype", "not implemented for '"};
  static const char* shapeHints[] = {"size mismatch", "must match the size", "shape", "Expected 3D", "Expected 4D",
                                     "dimension", "channels", "out of bounds", "Expected size", "cannot be multiplied",
                                     "Sizes of tensors must match", "expected input"};
  for (const char* hint : dtypeHints)
    if (contains(message, hint)) return "INPUT_DTYPE";
  for (const char* hint : shapeHints)
    if (contains(message, hint)) return "INPUT_SHAPE";
  return nullptr;
}

}  // namespace

std::string readableTorchMessage(const std::exception& error) {
  std::string text;
  if (auto* c10error = dynamic_cast<const c10::Error*>(&error)) {
    text = c10error->what_without_backtrace();
  } else {
    text = error.what();
  }
  auto lines = nonEmptyLines(text);
  if (lines.empty()) return "unknown error";
  // TorchScript interpreter errors end with "<ExceptionType>: <message>" after a traceback.
  if (contains(text, "Traceback of TorchScript") || contains(text, "The following operation failed")) {
    return lines.back();
  }
  // Plain c10 errors: the message is the first line; later lines are source locations.
  return lines.front();
}

CapturedError captureCurrentException(const char* fallbackCode, const std::string& context) {
  CapturedError captured;
  try {
    throw;
  } catch (const CodedError& error) {
    captured.code = error.code();
    captured.message = error.what();
  } catch (const ArgumentError& error) {
    captured.kind = error.kind() == ArgumentError::Kind::Type ? CapturedError::Kind::Type : CapturedError::Kind::Range;
    captured.message = error.what();
  } catch (const Napi::Error& error) {
    captured.code = fallbackCode;
    captured.message = context + ": " + error.Message();
  } catch (const std::exception& error) {
    std::string message = readableTorchMessage(error);
    const char* code = std::string(fallbackCode) == "FORWARD_FAILED" ? codeForForwardMessage(message) : nullptr;
    captured.code = code ? code : fallbackCode;
    captured.message = context + ": " + message;
  } catch (...) {
    captured.code = fallbackCode;
    captured.message = context + ": unknown native exception";
  }
  return captured;
}

Napi::Error toJsError(Napi::Env env, const CapturedError& error) {
  switch (error.kind) {
    case CapturedError::Kind::Type:
      return Napi::TypeError::New(env, error.message);
    case CapturedError::Kind::Range:
      return Napi::RangeError::New(env, error.message);
    case CapturedError::Kind::Coded:
      break;
  }
  Napi::Error jsError = Napi::Error::New(env, error.message);
  jsError.Set("code", Napi::String::New(env, error.code));
  return jsError;
}

void throwTypeError(const std::string& message) { throw ArgumentError(ArgumentError::Kind::Type, message); }
void throwRangeError(const std::string& message) { throw ArgumentError(ArgumentError::Kind::Range, message); }

}  // namespace lwganet
