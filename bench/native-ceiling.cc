// native-ceiling: the fastest a TorchScript forward can go from C++, with no Node in the way.
// bench/overhead.mjs compares the addon's run()/runSync() against this loop, so it must do
// exactly what the addon does per call (forward under InferenceMode on a CPU tensor) and nothing more.
//
//   lwganet-native-ceiling MODEL.pt [--shape 1,3,224,224] [--iters 100] [--warmup 10]
//                                   [--threads 2] [--samples]
//
// Prints one JSON object: {"model","shape","threads","iters","median_us","p10_us","p90_us","mean_us"}
// plus "samples_us" (every iteration) with --samples, so callers can pool several runs.

#include <ATen/Parallel.h>  // at::set_num_threads (not pulled in by torch/script.h)
#include <torch/script.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string model;
  std::vector<int64_t> shape{1, 3, 224, 224};
  int iters = 100;
  int warmup = 10;
  int threads = 2;
  bool samples = false;
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
      o.warmup = positive_int(arg, value(), 0);
    } else if (arg == "--threads") {
      o.threads = positive_int(arg, value(), 1);
    } else if (arg == "--samples") {
      o.samples = true;
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

  torch::jit::Module module;
  try {
    module = torch::jit::load(o.model);
  } catch (const c10::Error& e) {
    // what() would append a C++ backtrace; the message alone says what is wrong with the file.
    std::cerr << "native-ceiling: cannot load " << o.model << ": " << e.what_without_backtrace() << "\n";
    return 1;
  }
  module.eval();

  c10::InferenceMode guard;
  // Fixed seed so every run feeds the same values (relevant for data-dependent kernels).
  auto gen = at::detail::createCPUGenerator(0);
  std::vector<c10::IValue> inputs{at::rand(o.shape, gen, at::kFloat)};

  std::vector<double> samples;
  samples.reserve(o.iters);
  try {
    for (int i = 0; i < o.warmup; ++i) module.forward(inputs);
    for (int i = 0; i < o.iters; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      c10::IValue out = module.forward(inputs);
      auto t1 = std::chrono::steady_clock::now();
      samples.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
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
     << ",\"p90_us\":" << percentile(sorted, 90) << ",\"mean_us\":" << mean;
  if (o.samples) {
    js << ",\"samples_us\":[";
    for (size_t i = 0; i < samples.size(); ++i) js << (i ? "," : "") << samples[i];
    js << "]";
  }
  js << "}";
  std::cout << js.str() << std::endl;
  return 0;
}
