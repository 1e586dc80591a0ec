// The render pool's threads: claim bands, run them, report finished jobs, spin a little, park.
#include "render_pool.h"

#include <sched.h>
#include <time.h>

#include <system_error>

namespace stratum {
namespace render {
namespace {

int64_t NowNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

}  // namespace

bool RenderPool::EnsureWorkers(int32_t count) {
  while (static_cast<int32_t>(threads_.size()) < count) {
    try {
      threads_.emplace_back(&RenderPool::WorkerLoop, this);
    } catch (const std::system_error&) {
      return false;
    }
  }
  return true;
}

void RenderPool::Submit(PoolJob* job, int64_t spin_ns) {
  job->next_band = 0;
  job->remaining.store(job->bands, std::memory_order_relaxed);
  spin_ns_.store(spin_ns, std::memory_order_relaxed);
  bool wake_one;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(job);
    unclaimed_.fetch_add(job->bands, std::memory_order_release);
    wake_one = sleepers_ > 0;
  }
  // One futex wake at most on the submitting thread; a woken worker wakes the next if bands remain.
  if (wake_one) wake_.notify_one();
}

void RenderPool::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    queue_.clear();
    unclaimed_.store(0, std::memory_order_relaxed);
  }
  stop_requested_.store(true, std::memory_order_release);
  wake_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

bool RenderPool::ClaimLocked(Claim* claim) {
  if (queue_.empty()) return false;
  PoolJob* job = queue_.front();
  claim->job = job;
  claim->band = job->next_band++;
  if (job->next_band == job->bands) queue_.pop_front();
  unclaimed_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

bool RenderPool::Take(Claim* claim) {
  std::unique_lock<std::mutex> lock(mutex_, std::defer_lock);
  // Spin: watch the unclaimed count without the lock; pause, then yield the CPU to anything runnable.
  const int64_t spin_ns = spin_ns_.load(std::memory_order_relaxed);
  const int64_t until = spin_ns > 0 ? NowNs() + spin_ns : 0;
  for (;;) {
    if (unclaimed_.load(std::memory_order_acquire) > 0 || stop_requested_.load(std::memory_order_acquire)) {
      lock.lock();
      if (stopping_) return false;
      if (ClaimLocked(claim)) break;
      lock.unlock();
    }
    if (spin_ns <= 0 || NowNs() >= until) {
      lock.lock();
      break;
    }
    for (int i = 0; i < 16; i++) CpuRelax();
    sched_yield();
  }
  if (claim->job == nullptr) {
    // Park until a job arrives.
    for (;;) {
      if (stopping_) return false;
      if (ClaimLocked(claim)) break;
      sleepers_++;
      wake_.wait(lock);
      sleepers_--;
    }
  }
  const bool more = !queue_.empty() && sleepers_ > 0;
  lock.unlock();
  if (more) wake_.notify_one();
  return true;
}

void RenderPool::WorkerLoop() {
  for (;;) {
    Claim claim{nullptr, 0};
    if (!Take(&claim)) return;
    PoolJob* job = claim.job;
    job->RunBand(claim.band);
    if (job->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) on_done_(job, context_);
  }
}

}  // namespace render
}  // namespace stratum
