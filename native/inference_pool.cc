#include "inference_pool.h"

#include <algorithm>
#include <atomic>
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

namespace {
std::atomic<InferencePool*> created{nullptr};
}  // namespace

InferencePool& InferencePool::Instance() {
  static InferencePool* pool = [] {
    size_t size = std::clamp<size_t>(std::thread::hardware_concurrency(), 2, 8);
    if (const char* text = std::getenv("LWGANET_INFERENCE_THREADS")) {
      long requested = std::strtol(text, nullptr, 10);
      if (requested >= 1 && requested <= 64) size = static_cast<size_t>(requested);
    }
    auto* made = new InferencePool(size);
    created.store(made);
    // Registered once LibTorch is loaded and initialised, so this handler runs before the C++
    // destructors of LibTorch's load-time globals.
    std::atexit(&InferencePool::QuiesceForExit);
    return made;
  }();
  return *pool;
}

void InferencePool::QuiesceForExit() {
  if (InferencePool* pool = created.load()) pool->Quiesce();
}

void InferencePool::Quiesce() {
  std::unique_lock<std::mutex> lock(mutex_);
  stopping_ = true;
  // Queued jobs are left unrun and undeleted: their environment goes away with the process,
  // and their destructors would call into LibTorch and N-API during exit.
  queue_.clear();
  quiet_.wait(lock, [this] { return running_ == 0; });
}

InferencePool::InferencePool(size_t size) {
  for (size_t i = 0; i < size; ++i) {
    Worker* worker = new Worker();  // lives as long as its detached thread, i.e. the process
    threads_.emplace_back([this, worker] { WorkLoop(worker); });
    threads_.back().detach();
  }
}

void InferencePool::Submit(Job* job) {
  Worker* worker = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;  // the process is exiting: the job is never run (see Quiesce)
    if (idle_.empty()) {
      queue_.push_back(job);
      return;
    }
    worker = idle_.back();
    idle_.pop_back();
    worker->job = job;
    ++running_;
  }
  worker->wake.notify_one();
}

void InferencePool::WorkLoop(Worker* self) {
  bool listed = false;  // in idle_, so the next job is handed over by Submit
  for (;;) {
    Job* job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (!listed && !queue_.empty() && !stopping_) {
        job = queue_.front();
        queue_.pop_front();
        ++running_;
      } else {
        if (!listed) idle_.push_back(self);
        self->wake.wait(lock, [self] { return self->job != nullptr; });
        job = self->job;
        self->job = nullptr;
      }
      listed = false;
      if (stopping_) {
        // Handed over just before exit began: never run it, and park for good.
        if (--running_ == 0) quiet_.notify_all();
        self->wake.wait(lock, [] { return false; });
      }
    }
    std::shared_ptr<EnvGate> gate = job->gate;
    if (!gate->Enter()) {
      delete job;  // its environment has shut down; nobody is waiting for the result
      Finished(self);
      continue;
    }
    job->Run();  // Run() catches everything it throws
    {
      // Listed as idle before the result goes out: a caller often submits its next forward as
      // soon as it has this one, and that forward should land on this same thread.
      std::lock_guard<std::mutex> lock(mutex_);
      if (queue_.empty()) {
        idle_.push_back(self);
        listed = true;
      }
    }
    gate->DeliverAndLeave(job);
    gate.reset();
    Finished(self);
  }
}

void InferencePool::Finished(Worker* self) {
  std::unique_lock<std::mutex> lock(mutex_);
  --running_;
  if (stopping_) {
    // After a forward this thread listed itself idle before delivering, so Submit may already
    // have handed it the caller's next job; it is never run now, and must not be counted as
    // running either (Quiesce would wait for it forever).
    if (self->job != nullptr) {
      self->job = nullptr;
      --running_;
    }
    if (running_ == 0) quiet_.notify_all();
    // Exit has begun: this thread never touches LibTorch or N-API again.
    self->wake.wait(lock, [] { return false; });
  }
}

}  // namespace lwganet
