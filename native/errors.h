// The only place where LibTorch/C++ failures become JavaScript errors.
// Domain failures are Error objects with a stable `code` (mapped to LwganetError in
// lib/errors.ts); wrong arguments are TypeError/RangeError.
#pragma once

#include <napi.h>

#include <exception>
#include <stdexcept>
#include <string>

namespace lwganet {

// A failure with a stable code, thrown by native code and carried across threads as a value.
class CodedError : public std::runtime_error {
 public:
  CodedError(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// An argument error detected natively (TypeError or RangeError on the JS side).
class ArgumentError : public std::runtime_error {
 public:
  enum class Kind { Type, Range };
  ArgumentError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// A failure captured on any thread, turned into a JS error later on the JS thread.
struct CapturedError {
  enum class Kind { Coded, Type, Range } kind = Kind::Coded;
  std::string code;
  std::string message;
};

// Readable text of a LibTorch error: the TorchScript exception line rather than the
// interpreter traceback, and never the C++ backtrace.
std::string readableTorchMessage(const std::exception& error);

// Classifies the exception currently being handled (call inside catch(...)).
// `context` prefixes messages of generic failures, e.g. "Model forward failed".
CapturedError captureCurrentException(const char* fallbackCode, const std::string& context);

Napi::Error toJsError(Napi::Env env, const CapturedError& error);

[[noreturn]] void throwTypeError(const std::string& message);
[[noreturn]] void throwRangeError(const std::string& message);

}  // namespace lwganet
