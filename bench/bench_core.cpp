// bench_core: the foundation's performance targets, measured side by side in one process.
//
//   1. float32 matmul 1024^3: axon::mm against dnnl_sgemm called directly (the library's own
//      rate), and OpenBLAS against oneDNN on the products of the benchmark models.
//   2. add of two 16M-element float32 tensors: axon's c = a + b (allocation included) against a
//      plain copy loop over the same data, both as bytes moved per second.
//   3. per-op overhead of an 8-element add, without and with autograd recording, against
//      LibTorch when it is available (Debian's libtorch-dev), alternating the two.
//
// Every figure is the median of repeated timed runs after a warm-up; the two sides of each
// comparison are timed in alternation (A B A B ...) so that a noisy machine affects both alike.
#include <axon/axon.h>
#include <cblas.h>
#include <dnnl.h>
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

#ifdef AXON_BENCH_WITH_LIBTORCH
#include <torch/torch.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

// Seconds per call of `fn`: median over `repeats` runs of `iters` calls each.
double time_per_call(const std::function<void()>& fn, int iters, int repeats = 7) {
  for (int i = 0; i < std::max(1, iters / 10); ++i) fn();  // warm-up
  std::vector<double> samples;
  for (int r = 0; r < repeats; ++r) {
    auto start = Clock::now();
    for (int i = 0; i < iters; ++i) fn();
    samples.push_back(std::chrono::duration<double>(Clock::now() - start).count() / iters);
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

// Seconds per call of `a` and of `b`, timed in alternation: medians over `rounds`.
std::pair<double, double> alternate(const std::function<void()>& a, const std::function<void()>& b,
                                    int iters, int rounds) {
  std::vector<double> ta, tb;
  for (int r = 0; r < rounds; ++r) {
    ta.push_back(time_per_call(a, iters, 1));
    tb.push_back(time_per_call(b, iters, 1));
  }
  std::sort(ta.begin(), ta.end());
  std::sort(tb.begin(), tb.end());
  return {ta[ta.size() / 2], tb[tb.size() / 2]};
}

// float32 C = A @ op(B) through each library called directly, in GFLOP/s.
struct GemmRates {
  double openblas, onednn;
};
GemmRates gemm_rates(int m, int n, int k, bool trans_b, int iters) {
  std::vector<float> a(static_cast<size_t>(m) * k), b(static_cast<size_t>(k) * n),
      c(static_cast<size_t>(m) * n);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i % 7) - 3;
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i % 5) - 2;
  const int ldb = trans_b ? k : n;
  auto [t_openblas, t_onednn] = alternate(
      [&] {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k, 1.0f,
                    a.data(), k, b.data(), ldb, 0.0f, c.data(), n);
      },
      [&] {
        dnnl_sgemm('N', trans_b ? 'T' : 'N', m, n, k, 1.0f, a.data(), k, b.data(), ldb, 0.0f,
                   c.data(), n);
      },
      iters, 7);
  const double flops = 2.0 * m * n * k;
  return {flops / t_openblas / 1e9, flops / t_onednn / 1e9};
}

// axon::mm against the library it calls for float32 (oneDNN, Note [CPU sgemm] in
// kernels/cpu/blas.cpp), and both libraries on the small products of a LeNet-5 training step.
void bench_matmul(int threads) {
  const int n = 1024;
  axon::manual_seed(0);
  axon::Tensor a = axon::randn({n, n});
  axon::Tensor b = axon::randn({n, n});
  std::vector<float> c(static_cast<size_t>(n) * n);
  const double flops = 2.0 * n * n * n;
  auto [t_blas, t_axon] = alternate(
      [&] {
        dnnl_sgemm('N', 'N', n, n, n, 1.0f, a.data_ptr<float>(), n, b.data_ptr<float>(), n, 0.0f,
                   c.data(), n);
      },
      [&] { axon::mm(a, b); }, 3, 9);
  fmt::print("matmul 1024x1024x1024 f32 ({} threads)\n", threads);
  fmt::print("  dnnl_sgemm      {:8.1f} GFLOP/s\n", flops / t_blas / 1e9);
  fmt::print("  axon::mm        {:8.1f} GFLOP/s   {:5.1f}% of oneDNN (target >= 90%)\n",
             flops / t_axon / 1e9, 100 * t_blas / t_axon);

  struct Shape {
    const char* what;
    int m, n, k;
    bool trans_b;
    int iters;
  };
  const Shape shapes[] = {{"1024^3", 1024, 1024, 1024, false, 3},
                          {"mlp fc1, batch 512", 512, 512, 784, true, 20},
                          {"lenet conv1 fwd, 1 image", 6, 784, 25, false, 2000},
                          {"lenet conv1 weight grad", 6, 25, 784, true, 2000},
                          {"lenet conv2 fwd, 1 image", 16, 100, 150, false, 2000},
                          {"lenet conv2 weight grad", 16, 150, 100, true, 2000},
                          {"lenet fc1 fwd, batch 64", 64, 120, 400, true, 2000}};
  fmt::print("\nsgemm called directly, GFLOP/s ({} threads; OPENBLAS_CORETYPE={})\n", threads,
             std::getenv("OPENBLAS_CORETYPE") ? std::getenv("OPENBLAS_CORETYPE") : "unset");
  fmt::print("  {:<26} {:>16} {:>9} {:>9}\n", "product", "m x n x k", "OpenBLAS", "oneDNN");
  for (const Shape& s : shapes) {
    const GemmRates r = gemm_rates(s.m, s.n, s.k, s.trans_b, s.iters);
    fmt::print("  {:<26} {:>16} {:9.1f} {:9.1f}\n", s.what, fmt::format("{}x{}x{}", s.m, s.n, s.k),
               r.openblas, r.onednn);
  }
}

void bench_add() {
  const int64_t n = 16 * 1024 * 1024;
  axon::Tensor a = axon::rand({n});
  axon::Tensor b = axon::rand({n});
  std::vector<float> dst(static_cast<size_t>(n));
  const float* src = a.data_ptr<float>();
  float* out = dst.data();
  auto [t_copy, t_add] = alternate(
      [&] {
#pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < n; ++i) out[i] = src[i];
      },
      [&] { axon::Tensor c = a + b; }, 5, 9);
  const double bytes = static_cast<double>(n) * sizeof(float);
  double copy_rate = 2 * bytes / t_copy, add_rate = 3 * bytes / t_add;
  fmt::print("add of two 16M-element f32 tensors (bytes read + written per second)\n");
  fmt::print("  copy loop       {:8.2f} GB/s  ({:.2f} ms)\n", copy_rate / 1e9, t_copy * 1e3);
  fmt::print(
      "  axon a + b      {:8.2f} GB/s  ({:.2f} ms)   {:5.1f}% of the copy loop "
      "(target >= 70%)\n",
      add_rate / 1e9, t_add * 1e3, 100 * add_rate / copy_rate);
}

void bench_overhead() {
  const int iters = 200000;
  axon::Tensor x = axon::rand({8});
  axon::Tensor y = axon::rand({8});
  axon::Tensor xg = axon::rand({8}).requires_grad_();
  auto axon_plain = [&] { axon::Tensor z = x + y; };
  auto axon_grad = [&] { axon::Tensor z = xg + y; };
#ifdef AXON_BENCH_WITH_LIBTORCH
  torch::Tensor tx = torch::rand({8});
  torch::Tensor ty = torch::rand({8});
  torch::Tensor txg = torch::rand({8}).requires_grad_();
  auto torch_plain = [&] { torch::Tensor z = tx + ty; };
  auto torch_grad = [&] { torch::Tensor z = txg + ty; };
#endif
  // Alternate the two libraries so machine noise affects both alike.
  std::vector<double> ap, ag, tp, tg;
  for (int round = 0; round < 5; ++round) {
    ap.push_back(time_per_call(axon_plain, iters, 3));
    ag.push_back(time_per_call(axon_grad, iters, 3));
#ifdef AXON_BENCH_WITH_LIBTORCH
    tp.push_back(time_per_call(torch_plain, iters, 3));
    tg.push_back(time_per_call(torch_grad, iters, 3));
#endif
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  fmt::print(
      "per-op overhead: 8-element add (one thread of work, median of 5 alternating rounds)\n");
  fmt::print("  axon  no grad   {:6.3f} us\n", median(ap) * 1e6);
  fmt::print("  axon  autograd  {:6.3f} us\n", median(ag) * 1e6);
#ifdef AXON_BENCH_WITH_LIBTORCH
  fmt::print("  torch no grad   {:6.3f} us   axon/torch = {:.2f} (target <= 0.50)\n",
             median(tp) * 1e6, median(ap) / median(tp));
  fmt::print("  torch autograd  {:6.3f} us   axon/torch = {:.2f} (target <= 0.50)\n",
             median(tg) * 1e6, median(ag) / median(tg));
  fmt::print("  (LibTorch {})\n", TORCH_VERSION);
#else
  fmt::print("  (built without LibTorch: install Debian's libtorch-dev for the comparison)\n");
#endif
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
  }
  axon::set_num_threads(threads);
#ifdef AXON_BENCH_WITH_LIBTORCH
  torch::set_num_threads(threads);
#endif
  fmt::print("bench_core: {} threads, OpenMP max threads {}\n", threads, omp_get_max_threads());
  fmt::print("OpenBLAS: {} (core {})\n\n", openblas_get_config(), openblas_get_corename());
  bench_matmul(threads);
  fmt::print("\n");
  bench_add();
  fmt::print("\n");
  bench_overhead();
  return 0;
}
