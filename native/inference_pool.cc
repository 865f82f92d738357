#include "inference_pool.h"

#include <algorithm>
#include <cstdlib>

namespace lwganet {

bool EnvGate::Enter() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return false;
  ++active_;
  return true;
}

void EnvGate::DeliverAndLeave(Job* job) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_ || !deliver_(target_, job)) delete job;
  if (--active_ == 0) idle_.notify_all();
}

void EnvGate::Close() {
  std::unique_lock<std::mutex> lock(mutex_);
  closed_ = true;
  idle_.wait(lock, [this] { return active_ == 0; });
}

InferencePool& InferencePool::Instance() {
  static InferencePool* pool = [] {
    size_t size = std::clamp<size_t>(std::thread::hardware_concurrency(), 2, 8);
    if (const char* text = std::getenv("LWGANET_INFERENCE_THREADS")) {
      long requested = std::strtol(text, nullptr, 10);
      if (requested >= 1 && requested <= 64) size = static_cast<size_t>(requested);
    }
    return new InferencePool(size);
  }();
  return *pool;
}

InferencePool::InferencePool(size_t size) {
  for (size_t i = 0; i < size; ++i) {
    threads_.emplace_back([this] { WorkLoop(); });
    threads_.back().detach();
  }
}

void InferencePool::Submit(Job* job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(job);
  }
  ready_.notify_one();
}

void InferencePool::WorkLoop() {
  for (;;) {
    Job* job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return !queue_.empty(); });
      job = queue_.front();
      queue_.pop_front();
    }
    std::shared_ptr<EnvGate> gate = job->gate;
    if (!gate->Enter()) {
      delete job;  // its environment has shut down; nobody is waiting for the result
      continue;
    }
    job->Run();  // Run() catches everything it throws
    gate->DeliverAndLeave(job);
  }
}

}  // namespace lwganet
