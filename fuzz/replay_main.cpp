// The fuzz targets without libFuzzer (any compiler, the normal build's tests): runs
// LLVMFuzzerTestOneInput over every file in the given folders and over deterministic mutations
// of each (bit flips, interesting integers over header fields, truncations, inserted and
// deleted runs), so that a plain ctest run exercises every target in a second or two. A crash
// or an exception other than axon::Error (std::terminate, then abort) ends the process; the
// input that did it is written to crash-replay-<target> in the working folder first, to be
// replayed by the libFuzzer executable or turned into a regression test.
//
//   replay_<target> CORPUS_DIR... [--mutations N]   (N per corpus file; default 2000)
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// splitmix64: a fixed sequence on every platform, so a failure reproduces.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
};

// Values that sit on the edges of the size and count checks.
constexpr uint64_t kInteresting[] = {
    0,    1,      2,      8,          0x7f,       0x80,       0xff,       0x100,
    3073, 0x7fff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 1ULL << 32, 0x7fffffffffffffffULL,
    ~0ULL};

void put(Bytes& b, size_t at, uint64_t value, size_t width, bool big_endian) {
  for (size_t i = 0; i < width && at + i < b.size(); ++i) {
    const size_t shift = 8 * (big_endian ? width - 1 - i : i);
    b[at + i] = static_cast<uint8_t>(value >> shift);
  }
}

void mutate_once(Bytes& b, Rng& rng) {
  switch (rng.below(7)) {
    case 0:  // flip a bit
      if (!b.empty()) b[rng.below(b.size())] ^= static_cast<uint8_t>(1u << rng.below(8));
      break;
    case 1:  // a random byte
      if (!b.empty()) b[rng.below(b.size())] = static_cast<uint8_t>(rng.next());
      break;
    case 2: {  // an interesting integer, 4 bytes big-endian (IDX) or 8 little-endian (safetensors)
      const uint64_t value = kInteresting[rng.below(std::size(kInteresting))];
      const bool big = rng.below(2) == 0;
      // Header fields sit at the start: favour the first 32 bytes.
      const size_t span = rng.below(2) == 0 ? std::min<size_t>(b.size(), 32) : b.size();
      put(b, rng.below(span), value, big ? 4 : 8, big);
      break;
    }
    case 3:  // truncate
      b.resize(rng.below(b.size() + 1));
      break;
    case 4: {  // delete a run
      if (b.empty()) break;
      const size_t at = rng.below(b.size());
      const size_t n = 1 + rng.below(std::min<size_t>(b.size() - at, 64));
      b.erase(b.begin() + static_cast<ptrdiff_t>(at), b.begin() + static_cast<ptrdiff_t>(at + n));
      break;
    }
    case 5: {  // insert random bytes
      const size_t at = rng.below(b.size() + 1);
      Bytes run(1 + rng.below(16));
      for (uint8_t& x : run) x = static_cast<uint8_t>(rng.next());
      b.insert(b.begin() + static_cast<ptrdiff_t>(at), run.begin(), run.end());
      break;
    }
    default: {  // copy a run over another place (repeats JSON fragments and records)
      if (b.size() < 2) break;
      const size_t from = rng.below(b.size());
      const size_t to = rng.below(b.size());
      const size_t n = std::min({b.size() - from, b.size() - to, 1 + rng.below(32)});
      std::copy_n(Bytes(b.begin() + static_cast<ptrdiff_t>(from),
                        b.begin() + static_cast<ptrdiff_t>(from + n))
                      .begin(),
                  n, b.begin() + static_cast<ptrdiff_t>(to));
      break;
    }
  }
}

Bytes read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The input being run and where a fatal signal writes it (set before the handler can run).
const Bytes* g_input = nullptr;
std::string g_crash_file;

// Only async-signal-safe calls: the process is in an unknown state.
extern "C" void write_crash_input(int sig) {
  const int fd = open(g_crash_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0 && g_input != nullptr) {
    (void)!write(fd, g_input->data(), g_input->size());
    close(fd);
  }
  constexpr char kMessage[] = "replay: crashed; the input is in ";
  (void)!write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  (void)!write(STDERR_FILENO, g_crash_file.data(), g_crash_file.size());
  (void)!write(STDERR_FILENO, "\n", 1);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void run(const Bytes& input) {
  g_input = &input;
  LLVMFuzzerTestOneInput(input.data(), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<fs::path> files;
  size_t mutations = 2000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--mutations" && i + 1 < argc) {
      mutations = std::stoul(argv[++i]);
      continue;
    }
    if (!fs::is_directory(arg)) {
      std::fprintf(stderr, "replay: '%s' is not a folder\n", arg.c_str());
      return 2;
    }
    for (const auto& entry : fs::directory_iterator(arg)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR... [--mutations N] (no corpus files found)\n",
                 argv[0]);
    return 2;
  }
  std::string name = fs::path(argv[0]).filename().string();
  if (name.rfind("replay_", 0) == 0) name = name.substr(7);
  g_crash_file = (fs::current_path() / ("crash-replay-" + name)).string();
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, write_crash_input);
  size_t runs = 0;
  for (size_t f = 0; f < files.size(); ++f) {
    const Bytes seed = read_all(files[f]);
    run(seed);
    ++runs;
    Rng rng{f + 1};
    for (size_t m = 0; m < mutations; ++m) {
      Bytes input = seed;
      for (size_t k = 1 + rng.below(4); k > 0; --k) mutate_once(input, rng);
      run(input);
      ++runs;
    }
  }
  std::printf("replay: %zu inputs from %zu corpus files, no crash\n", runs, files.size());
  return 0;
}
