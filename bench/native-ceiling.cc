// native-ceiling: the fastest a TorchScript forward can go from C++, with no Node in the way.
// bench/overhead.mjs compares the addon's run()/runSync() against this loop, so it must do
// exactly what the addon does per call (forward under InferenceMode on a CPU tensor, each output
// made dense, as JavaScript receives it) and nothing more.
//
//   lwganet-native-ceiling MODEL.pt [--shape 1,3,224,224] [--iters 100] [--warmup 10]
//                                   [--threads 2] [--samples] [--input FILE] [--save-output FILE]
//                                   [--serve]
//
// --warmup W (>= 1) calls run before timing; the first is timed alone as first_us.
// Prints one JSON object: {"model","shape","threads","iters","median_us","p10_us","p90_us","mean_us",
// "first_us","peak_rss_kb"} plus "samples_us" (every iteration) with --samples, so callers can pool
// several runs. --input reads the input (raw float32, native byte order, of --shape) instead of
// seeded random values; --save-output writes the first call's outputs there (every tensor of the
// result, float32, in order) and reports their shapes.
//
// --serve (bench/compare.mjs) keeps the model loaded between timing rounds: after the first call
// and the warm-up it prints {"ready":true,...}, then answers each stdin line "time N" with
// {"samples_us":[...]} (N forwards) and "quit" (or end of input) with {"peak_rss_kb":...}.

#include <ATen/Parallel.h>  // at::set_num_threads (not pulled in by torch/script.h)
#include <torch/script.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "../native/conv_prepack.h"  // the addon's load-time passes, so the ceiling runs like it
#include "../native/cpu_memory.h"

namespace {

struct Options {
  std::string model;
  std::vector<int64_t> shape{1, 3, 224, 224};
  int iters = 100;
  int warmup = 10;
  int threads = 2;
  bool samples = false;
  bool serve = false;
  std::string input;        // raw float32 input file; empty: seeded random values
  std::string save_output;  // where the first call's outputs go; empty: nowhere
};

[[noreturn]] void usage(const std::string& error) {
  std::cerr << "native-ceiling: " << error << "\n"
            << "usage: lwganet-native-ceiling MODEL.pt [--shape 1,3,224,224] [--iters N] [--warmup W]"
               " [--threads T] [--samples]\n";
  std::exit(2);
}

int positive_int(const std::string& flag, const std::string& text, int min) {
  try {
    size_t used = 0;
    int v = std::stoi(text, &used);
    if (used == text.size() && v >= min) return v;
  } catch (const std::exception&) {
  }
  usage(flag + " needs an integer >= " + std::to_string(min) + ", got '" + text + "'");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--shape") {
      o.shape.clear();
      std::stringstream ss(value());
      for (std::string dim; std::getline(ss, dim, ',');) o.shape.push_back(positive_int("--shape", dim, 0));
      if (o.shape.empty()) usage("--shape is empty");
    } else if (arg == "--iters") {
      o.iters = positive_int(arg, value(), 1);
    } else if (arg == "--warmup") {
      o.warmup = positive_int(arg, value(), 1);  // the first call is the first warm-up call
    } else if (arg == "--threads") {
      o.threads = positive_int(arg, value(), 1);
    } else if (arg == "--samples") {
      o.samples = true;
    } else if (arg == "--serve") {
      o.serve = true;
    } else if (arg == "--input") {
      o.input = value();
    } else if (arg == "--save-output") {
      o.save_output = value();
    } else if (arg == "-h" || arg == "--help") {
      usage("help");
    } else if (!arg.empty() && arg[0] == '-') {
      usage("unknown option " + arg);
    } else if (o.model.empty()) {
      o.model = arg;
    } else {
      usage("more than one model given");
    }
  }
  if (o.model.empty()) usage("no model given");
  return o;
}

// Nearest-rank percentile of sorted samples.
double percentile(const std::vector<double>& sorted, double p) {
  size_t idx = static_cast<size_t>(p / 100.0 * (sorted.size() - 1) + 0.5);
  return sorted[std::min(idx, sorted.size() - 1)];
}

// Peak resident set size of this process (VmHWM), in KiB; -1 where /proc is not available.
long peak_rss_kb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// Every tensor of a forward's result, depth first (a tensor, or tuples/lists of them).
void collect_tensors(const c10::IValue& value, std::vector<at::Tensor>& out) {
  if (value.isTensor()) {
    out.push_back(value.toTensor());
  } else if (value.isTuple()) {
    for (const auto& element : value.toTupleRef().elements()) collect_tensors(element, out);
  } else if (value.isList()) {
    for (const c10::IValue& element : value.toListRef()) collect_tensors(element, out);
  }
}

// The addon hands JavaScript dense row-major buffers: a channels-last output (the dense backbone's
// feature maps) is copied to that layout per call, so the ceiling pays the same copy. The dense
// tensors are returned so the caller frees them after its timestamp: the addon's go to JavaScript
// and are not freed inside its forward either.
std::vector<at::Tensor> make_dense(const c10::IValue& result) {
  std::vector<at::Tensor> tensors;
  collect_tensors(result, tensors);
  for (at::Tensor& t : tensors) t = t.contiguous();
  return tensors;
}

std::string json_shape(const at::Tensor& t) {
  std::string out = "[";
  for (int64_t d = 0; d < t.dim(); ++d) out += (d ? "," : "") + std::to_string(t.size(d));
  return out + "]";
}

std::string json_samples(const std::vector<double>& samples) {
  std::ostringstream js;
  js.setf(std::ios::fixed);
  js.precision(3);
  js << "[";
  for (size_t i = 0; i < samples.size(); ++i) js << (i ? "," : "") << samples[i];
  js << "]";
  return js.str();
}

at::Tensor read_input(const Options& o) {
  auto gen = at::detail::createCPUGenerator(0);
  if (o.input.empty()) return at::rand(o.shape, gen, at::kFloat);
  at::Tensor t = at::empty(o.shape, at::kFloat);
  std::ifstream file(o.input, std::ios::binary);
  file.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
  if (!file || file.peek() != std::char_traits<char>::eof()) {
    std::cerr << "native-ceiling: " << o.input << " must hold exactly " << t.nbytes()
              << " bytes (float32 of the --shape)\n";
    std::exit(1);
  }
  return t;
}

// Writes the outputs (float32, in order) and returns their shapes as a JSON array.
std::string save_outputs(const c10::IValue& result, const std::string& path) {
  std::vector<at::Tensor> tensors;
  collect_tensors(result, tensors);
  std::ofstream file(path, std::ios::binary);
  std::string shapes = "[";
  for (size_t i = 0; i < tensors.size(); ++i) {
    at::Tensor t = tensors[i].to(at::kFloat).contiguous();
    file.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
    shapes += (i ? "," : "") + json_shape(t);
  }
  if (!file) {
    std::cerr << "native-ceiling: cannot write " << path << "\n";
    std::exit(1);
  }
  return shapes + "]";
}

double elapsed_us(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';  // paths with control characters are not worth escaping properly
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  // Same knob the addon turns per model; set before load so no pool is built with another size.
  at::set_num_threads(o.threads);
  lwganet::installCpuMemoryPolicy();  // what the addon does at load (LWGANET_CPU_CACHE=0 turns it off)

  auto load_start = std::chrono::steady_clock::now();
  torch::jit::Module module;
  try {
    module = torch::jit::load(o.model);
  } catch (const c10::Error& e) {
    // what() would append a C++ backtrace; the message alone says what is wrong with the file.
    std::cerr << "native-ceiling: cannot load " << o.model << ": " << e.what_without_backtrace() << "\n";
    return 1;
  }
  module.eval();
  lwganet::prepackConvolutions(module);  // what the addon does at load (opt-in: LWGANET_PREPACK=1)
  double load_us = elapsed_us(load_start);

  c10::InferenceMode guard;
  // Fixed seed (or the caller's file) so every run feeds the same values (relevant for
  // data-dependent kernels, and for comparing outputs across runtimes).
  std::vector<c10::IValue> inputs{read_input(o)};

  std::vector<double> samples;
  samples.reserve(o.iters);
  double first_us = 0;
  std::string output_shapes;
  try {
    // The first call is timed on its own: TorchScript's profiling executor optimises the graph then.
    auto t0 = std::chrono::steady_clock::now();
    c10::IValue first = module.forward(inputs);
    first_us = elapsed_us(t0);
    if (!o.save_output.empty()) output_shapes = save_outputs(first, o.save_output);
    for (int i = 1; i < o.warmup; ++i) make_dense(module.forward(inputs));
    if (o.serve) {
      std::cout << "{\"ready\":true,\"load_ms\":" << load_us / 1e3 << ",\"first_call_ms\":" << first_us / 1e3
                << ",\"output_shapes\":" << (output_shapes.empty() ? "null" : output_shapes) << "}" << std::endl;
      for (std::string line; std::getline(std::cin, line) && line != "quit";) {
        std::istringstream command(line);
        std::string verb;
        int n = 0;
        if (!(command >> verb >> n) || verb != "time" || n < 1) {
          std::cout << "{\"error\":" << json_string("unknown command: " + line) << "}" << std::endl;
          continue;
        }
        std::vector<double> round;
        for (int i = 0; i < n; ++i) {
          auto r0 = std::chrono::steady_clock::now();
          std::vector<at::Tensor> outputs = make_dense(module.forward(inputs));
          round.push_back(elapsed_us(r0));
        }
        std::cout << "{\"samples_us\":" << json_samples(round) << "}" << std::endl;
      }
      std::cout << "{\"peak_rss_kb\":" << peak_rss_kb() << "}" << std::endl;
      return 0;
    }
    for (int i = 0; i < o.iters; ++i) {
      auto r0 = std::chrono::steady_clock::now();
      std::vector<at::Tensor> outputs = make_dense(module.forward(inputs));
      samples.push_back(elapsed_us(r0));
    }
  } catch (const std::exception& e) {
    std::cerr << "native-ceiling: forward failed: " << e.what() << "\n";
    return 1;
  }

  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  double mean = std::accumulate(samples.begin(), samples.end(), 0.0) / samples.size();

  std::ostringstream js;
  js.setf(std::ios::fixed);
  js.precision(3);
  js << "{\"model\":" << json_string(o.model) << ",\"shape\":[";
  for (size_t i = 0; i < o.shape.size(); ++i) js << (i ? "," : "") << o.shape[i];
  js << "],\"threads\":" << at::get_num_threads() << ",\"iters\":" << o.iters
     << ",\"median_us\":" << percentile(sorted, 50) << ",\"p10_us\":" << percentile(sorted, 10)
     << ",\"p90_us\":" << percentile(sorted, 90) << ",\"mean_us\":" << mean << ",\"first_us\":" << first_us
     << ",\"peak_rss_kb\":" << peak_rss_kb();
  if (!output_shapes.empty()) js << ",\"output_shapes\":" << output_shapes;
  if (o.samples) js << ",\"samples_us\":" << json_samples(samples);
  js << "}";
  std::cout << js.str() << std::endl;
  return 0;
}
