// Checkpoints under failure: a writer SIGKILLed at random points during axon::save, and a full
// disk. Either way the checkpoint path holds a complete checkpoint, the old one or the new one,
// never a mix; what a kill leaves besides is its temporary file "<path>.tmp.<pid>.<n>", which
// nothing removes later (a reader never sees it; clean such files with the dead run's pid).
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "scratch_dir.h"
#include "test_utils.h"

namespace axon {
namespace {

namespace fs = std::filesystem;

using testing::ScratchDir;

// Generation k of a checkpoint: every weight k and every bias -k (exact in float32 for the k
// used here), so one look at the values tells which save a file came from and whether it is
// whole. Written through data_ptr: the forked writer runs no ops (OpenMP is not fork-safe).
void set_generation(nn::Linear& model, int64_t k) {
  Tensor w = model->weight;
  Tensor b = model->bias;
  std::fill_n(w.data_ptr<float>(), w.numel(), static_cast<float>(k));
  std::fill_n(b.data_ptr<float>(), b.numel(), static_cast<float>(-k));
}

// The generation of the checkpoint at `path`, loaded as users load it; -1 (and a test failure)
// when it does not load or its values are not one generation's.
int64_t generation_of(const std::string& path, int64_t features) {
  nn::Linear model(features, features);
  try {
    load(model, path);
  } catch (const Error& e) {
    ADD_FAILURE() << "the checkpoint does not load: " << e.what();
    return -1;
  }
  Tensor w = model->weight;
  Tensor b = model->bias;
  const float k = w.data_ptr<float>()[0];
  const float* pw = w.data_ptr<float>();
  const float* pb = b.data_ptr<float>();
  const bool whole = std::all_of(pw, pw + w.numel(), [k](float v) { return v == k; }) &&
                     std::all_of(pb, pb + b.numel(), [k](float v) { return v == -k; });
  EXPECT_TRUE(whole) << path << " mixes generations (weight[0] = " << k << ")";
  return whole ? static_cast<int64_t>(k) : -1;
}

// Saves generations start + 1, start + 2, ... to `path` until killed, writing each generation
// number to `report_fd` once its save has returned.
[[noreturn]] void run_writer(nn::Linear& model, const std::string& path, int64_t start,
                             int report_fd) {
  set_num_threads(1);
  try {
    for (int64_t k = start + 1;; ++k) {
      set_generation(model, k);
      save(model, path);
      if (::write(report_fd, &k, sizeof k) != static_cast<ssize_t>(sizeof k)) ::_exit(3);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "writer: %s\n", e.what());
  }
  ::_exit(2);
}

// The last generation the writer reported, or `fallback` if it reported none.
int64_t last_reported(int fd, int64_t fallback) {
  int64_t k = 0;
  int64_t last = fallback;
  while (::read(fd, &k, sizeof k) == static_cast<ssize_t>(sizeof k)) last = k;
  return last;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(CheckpointCrash, KilledWriterLeavesTheOldOrTheNewCheckpoint) {
  constexpr int64_t kFeatures = 1024;  // 4 MiB of weights: a save takes a while to write
  constexpr int kKills = 50;
  ScratchDir dir;
  const std::string path = dir.file("model.safetensors");
  nn::Linear model(kFeatures, kFeatures);
  set_generation(model, 0);
  double save_seconds = 0;  // the slower of two saves: one alone varies too much
  for (int i = 0; i < 2; ++i) {
    auto start = std::chrono::steady_clock::now();
    save(model, path);
    save_seconds = std::max(save_seconds, seconds_since(start));
  }
  // Kills land anywhere from before the writer's first save to a few saves in, within bounds
  // that keep the test's time in check on slow or fast disks.
  const double max_delay = std::clamp(4 * save_seconds, 0.01, 0.15);

  std::mt19937 rng(20261124);
  std::uniform_real_distribution<double> delay(0, max_delay);
  int64_t on_disk = 0;
  int interrupted = 0;  // kills that left a temporary file: a save was cut mid-way
  int advanced = 0;     // kills after which the file held a newer generation
  for (int i = 0; i < kKills; ++i) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0) << std::strerror(errno);
    if (pid == 0) {
      ::close(fds[0]);
      run_writer(model, path, on_disk, fds[1]);
    }
    ::close(fds[1]);
    std::this_thread::sleep_for(std::chrono::duration<double>(delay(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the writer stopped by itself (status " << status << ") in round " << i;
    const int64_t reported = last_reported(fds[0], on_disk);
    ::close(fds[0]);

    // The save in flight may have renamed its file before the kill but not reported it yet.
    const int64_t found = generation_of(path, kFeatures);
    ASSERT_TRUE(found == reported || found == reported + 1)
        << "round " << i << ": the file holds generation " << found << ", the writer reported "
        << reported;
    advanced += found > on_disk;
    on_disk = found;

    // Besides the checkpoint, at most the killed save's temporary file is left: remove it, as
    // a user would (nothing else does).
    const std::string temporary_prefix = "model.safetensors.tmp." + std::to_string(pid) + ".";
    std::vector<std::string> left = dir.entries();
    ASSERT_TRUE(std::find(left.begin(), left.end(), "model.safetensors") != left.end());
    ASSERT_LE(left.size(), 2u) << "round " << i << " left " << left.size() << " files";
    for (const std::string& name : left) {
      if (name == "model.safetensors") continue;
      ASSERT_EQ(name.rfind(temporary_prefix, 0), 0u) << "unexpected file " << name;
      fs::remove(dir.path() / name);
      ++interrupted;
    }
  }
  // Otherwise the kills missed the windows this test is about (typically 20 and 30 of 50).
  EXPECT_GE(interrupted, 5);
  EXPECT_GE(advanced, 5);
  RecordProperty("interrupted", interrupted);
  RecordProperty("advanced", advanced);
  std::printf("%d kills: %d cut a save mid-way, %d found a newer checkpoint; max delay %.1f ms\n",
              kKills, interrupted, advanced, max_delay * 1e3);
}

// A process killed mid-save leaves "<path>.tmp.<pid>.<n>"; a later process given the same pid
// (pids are reused) must not fail on that name.
TEST(CheckpointCrash, StaleTemporaryFilesOfAReusedPidDoNotBlockSaving) {
  ScratchDir dir;
  const std::string path = dir.file("model.safetensors");
  nn::Linear model(4, 4);
  set_generation(model, 1);
  save(model, path);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0) << std::strerror(errno);
  if (pid == 0) {
    // This process's own pid and the first temporary numbers it will try, as a dead process
    // with the same pid would have left them.
    for (int n = 0; n < 64; ++n) {
      std::ofstream(path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(n));
    }
    set_generation(model, 2);
    try {
      save(model, path);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s\n", e.what());
      ::_exit(1);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  EXPECT_EQ(generation_of(path, 4), 2);
  EXPECT_EQ(dir.entries().size(), 65u);  // the 64 stale files stay: they are not this save's
}

// Unmounts on every way out of the test.
struct Mount {
  std::string target;
  ~Mount() { ::umount2(target.c_str(), MNT_DETACH); }
};

TEST(CheckpointCrash, FullDiskIsAnErrorAndKeepsTheOldCheckpoint) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a 1 MiB tmpfs needs root";
  ScratchDir dir;
  const std::string folder = dir.file("small_disk");
  fs::create_directory(folder);
  if (::mount("tmpfs", folder.c_str(), "tmpfs", 0, "size=1m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno) << ")";
  }
  Mount mounted{folder};
  const std::string path = folder + "/model.safetensors";
  nn::Linear small(64, 64);  // 16 KiB
  set_generation(small, 7);
  save(small, path);

  nn::Linear big(1024, 1024);  // 4 MiB, more than the disk holds
  set_generation(big, 8);
  EXPECT_AXON_ERROR(save(big, path), "cannot write '" + path + "'");
  EXPECT_AXON_ERROR(save(big, path), "No space left on device");
  EXPECT_EQ(generation_of(path, 64), 7);
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(folder)) left.push_back(e.path().filename());
  EXPECT_EQ(left, std::vector<std::string>{"model.safetensors"});  // the temporary is removed
  // And the disk is usable again: the space the failed saves took is free.
  set_generation(small, 9);
  save(small, path);
  EXPECT_EQ(generation_of(path, 64), 9);
}

}  // namespace
}  // namespace axon
