// A small pool of threads that runs the bands of render jobs. Workers that run out of work spin
// for a while (pause, then sched_yield so they never starve other threads on few cores) before
// parking on a condition variable, the way OpenMP and TBB pools do: back-to-back frames find them
// awake instead of paying a thread wake-up each. No Node API here; render.cc owns the N-API side.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace stratum {
namespace render {

// One unit of submitted work: `bands` independent pieces, claimed by workers one at a time.
struct PoolJob {
  int32_t bands = 1;
  virtual void RunBand(int32_t band) = 0;
  virtual ~PoolJob() = default;

 private:
  friend class RenderPool;
  int32_t next_band = 0;                 // guarded by the pool's mutex
  std::atomic<int32_t> remaining{0};     // bands not yet finished
};

class RenderPool {
 public:
  // `on_done(job, context)` runs on the worker that finished the job's last band.
  RenderPool(void (*on_done)(PoolJob*, void*), void* context) : on_done_(on_done), context_(context) {}
  ~RenderPool() { Stop(); }
  RenderPool(const RenderPool&) = delete;
  RenderPool& operator=(const RenderPool&) = delete;

  // Starts workers until there are `count` (never fewer than before). False if a thread could not start.
  bool EnsureWorkers(int32_t count);
  // Queues `job` (its `bands` set); idle workers spin `spin_ns` after their last band before parking.
  void Submit(PoolJob* job, int64_t spin_ns);
  // Stops and joins every worker; a band in progress finishes first, queued bands never start.
  void Stop();
  int32_t Workers() const { return static_cast<int32_t>(threads_.size()); }

 private:
  struct Claim {
    PoolJob* job;
    int32_t band;
  };
  void WorkerLoop();
  bool Take(Claim* claim);
  bool ClaimLocked(Claim* claim);

  void (*on_done_)(PoolJob*, void*);
  void* context_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<PoolJob*> queue_;            // jobs with unclaimed bands, oldest first
  int32_t sleepers_ = 0;                  // workers parked on wake_ (guarded by mutex_)
  bool stopping_ = false;                 // guarded by mutex_
  std::atomic<bool> stop_requested_{false};
  std::atomic<int32_t> unclaimed_{0};     // bands queued and not yet claimed: what spinners watch
  std::atomic<int64_t> spin_ns_{0};
  std::vector<std::thread> threads_;
};

}  // namespace render
}  // namespace stratum
