// The addon's own inference threads. Forward passes run here, not on the libuv pool, so a
// long inference never starves fs, dns or zlib work (those share libuv's 4 threads).
#pragma once

#include <napi.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace lwganet {

class EnvGate;

// One unit of work: Run() on an inference thread (C++ data only), Settle() on the JS thread.
class Job {
 public:
  virtual ~Job() = default;
  virtual void Run() = 0;
  virtual void Settle(Napi::Env env) = 0;
  std::shared_ptr<EnvGate> gate;
};

// Per-environment gate between inference threads and one JS environment (main thread or a
// Worker). When the environment shuts down, Close() waits for running jobs (which may read
// the environment's ArrayBuffers) and makes later jobs of that environment drop silently.
class EnvGate {
 public:
  using Deliver = bool (*)(void* target, Job* job);  // hands a finished job to the JS thread
  EnvGate(void* target, Deliver deliver) : target_(target), deliver_(deliver) {}

  bool Enter();
  // Delivers a finished job (or deletes it when the environment is gone), then leaves.
  void DeliverAndLeave(Job* job);
  void Close();

 private:
  std::mutex mutex_;
  std::condition_variable idle_;
  bool closed_ = false;
  int active_ = 0;
  void* target_;
  Deliver deliver_;
};

// Jobs go to the most recently idle thread (a stack of idle threads, not one shared condition
// variable that wakes an arbitrary waiter). Sequential forwards thus stay on one thread, so only
// that thread owns an OpenMP team: libgomp spins between parallel regions only while the threads it
// manages do not outnumber the CPUs, and with every pool thread owning a team it stops spinning,
// which measured 1.6–2× slower per forward on 2 cores (bench/README.md, "OpenMP teams").
class InferencePool {
 public:
  // The process-wide pool (LibTorch's own state is process-wide too). Never destroyed:
  // its threads may still be parked when static destructors run at exit.
  static InferencePool& Instance();
  void Submit(Job* job);
  size_t Size() const { return threads_.size(); }

  // Process exit: drops queued jobs, waits for the running ones to finish (LibTorch must not be
  // inside a forward while exit() destroys its globals) and parks every thread for good. Called
  // from the main thread's process 'exit' event (lib/native/binding.ts), before any C++ exit handler,
  // and again from an atexit handler for exits that skip that event. Idempotent.
  static void QuiesceForExit();

 private:
  struct Worker {
    std::condition_variable wake;
    Job* job = nullptr;  // handed over by Submit while the worker is idle
  };

  explicit InferencePool(size_t size);
  void WorkLoop(Worker* self);
  // A job of `self` is done (delivered or dropped); parks the thread for good once exit began.
  void Finished(Worker* self);

  void Quiesce();

  std::mutex mutex_;
  std::condition_variable quiet_;    // signalled when running_ drops to 0 while stopping
  bool stopping_ = false;
  int running_ = 0;                  // jobs taken or handed over and not yet delivered
  std::deque<Job*> queue_;           // jobs waiting for a thread
  std::vector<Worker*> idle_;        // idle threads, most recently idle last
  std::vector<std::thread> threads_;
};

}  // namespace lwganet
