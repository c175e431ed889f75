// The course's tensor manipulation examples in axon, printed in PyTorch's format: rank, shape
// and slicing of 1-D and 2-D tensors; broadcasting; mul versus matmul; mean, sum, max and
// argmax over dims; view with -1; squeeze and unsqueeze; type casting; cat and stack;
// ones_like and zeros_like; in-place mul_ versus mul. Each result is also compared with the
// value the course shows (exit code 1 when one differs).
//
//   tensor_tour [--fast]
//
// Nothing here trains or draws, so --fast changes nothing.

#include <axon/axon.h>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <exception>
#include <string>

#include "common/checks.h"

namespace {

using axon::Tensor;
using axon::apps::Checks;
using axon::apps::print_section;
using axon::indexing::Slice;

// torch.Size's repr, with axon's prefix (as in axon.float64).
std::string size_repr(const Tensor& t) { return fmt::format("axon.Size({})", t.sizes()); }

// Prints `t` and checks it equals `expected` in shape, dtype and every value.
class Tour {
 public:
  explicit Tour(Checks& checks) : checks_(checks) {}
  void show(const std::string& label, const Tensor& t, const Tensor& expected) {
    fmt::print("{}\n{}\n", label, t);
    checks_.expect(
        t.sizes() == expected.sizes() && t.dtype() == expected.dtype() && axon::equal(t, expected),
        fmt::format("{} is {}", label, expected));
  }
  void expect(bool ok, const std::string& what) { checks_.expect(ok, what); }

 private:
  Checks& checks_;
};

void one_and_two_dimensions(Tour& tour) {
  print_section("1-D tensor");
  Tensor t = axon::tensor({0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0});
  fmt::print("{}\n", t);
  fmt::print("{}\n{}\n{}\n", t.dim(), size_repr(t), size_repr(t));  // rank, shape, size()
  tour.expect(t.dim() == 1 && t.size(0) == 7, "t is 1-D with 7 elements");
  fmt::print("{} {} {}\n", t[0], t[1], t[-1]);  // element
  tour.show("t[2:5]", t.slice(0, 2, 5), axon::tensor({2.0, 3.0, 4.0}));
  tour.show("t[4:-1]", t.slice(0, 4, -1), axon::tensor({4.0, 5.0}));
  tour.show("t[:2]", t.slice(0, std::nullopt, 2), axon::tensor({0.0, 1.0}));
  tour.show("t[3:]", t.slice(0, 3), axon::tensor({3.0, 4.0, 5.0, 6.0}));

  print_section("2-D tensor");
  t = axon::tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}, {7.0, 8.0, 9.0}, {10.0, 11.0, 12.0}});
  fmt::print("{}\n{}\n{}\n", t, t.dim(), size_repr(t));
  tour.expect(t.dim() == 2 && t.size(0) == 4 && t.size(1) == 3, "t is 4 x 3");
  tour.show("t[:, 1]", t.index({Slice(), 1}), axon::tensor({2.0, 5.0, 8.0, 11.0}));
  fmt::print("{}\n", size_repr(t.index({Slice(), 1})));
  tour.show("t[:, :-1]", t.index({Slice(), Slice(axon::indexing::None, -1)}),
            axon::tensor({{1.0, 2.0}, {4.0, 5.0}, {7.0, 8.0}, {10.0, 11.0}}));
}

void broadcasting_and_products(Tour& tour) {
  print_section("Broadcasting");
  tour.show("same shape: [[3, 3]] + [[2, 2]]",
            axon::tensor({{3.0, 3.0}}) + axon::tensor({{2.0, 2.0}}), axon::tensor({{5.0, 5.0}}));
  tour.show("vector + scalar: [[1, 2]] + [3]", axon::tensor({{1.0, 2.0}}) + axon::tensor({3.0}),
            axon::tensor({{4.0, 5.0}}));
  tour.show("(1 x 2) + (2 x 1): [[1, 2]] + [[3], [4]]",
            axon::tensor({{1.0, 2.0}}) + axon::tensor({{3.0}, {4.0}}),
            axon::tensor({{4.0, 5.0}, {5.0, 6.0}}));

  print_section("mul versus matmul");
  Tensor m1 = axon::tensor({{1.0, 2.0}, {3.0, 4.0}});
  Tensor m2 = axon::tensor({{1.0}, {2.0}});
  fmt::print("Shape of Matrix 1:  {}\nShape of Matrix 2:  {}\n", size_repr(m1), size_repr(m2));
  tour.show("m1.matmul(m2)", m1.matmul(m2), axon::tensor({{5.0}, {11.0}}));
  tour.show("m1 * m2", m1 * m2, axon::tensor({{1.0, 2.0}, {6.0, 8.0}}));
  tour.show("m1.mul(m2)", m1.mul(m2), axon::tensor({{1.0, 2.0}, {6.0, 8.0}}));
}

void reductions(Tour& tour) {
  print_section("mean");
  tour.show("[1, 2].mean()", axon::tensor({1.0, 2.0}).mean(), axon::tensor(1.5));
  // As in PyTorch, the mean of an integer tensor is an error.
  try {
    axon::tensor({int64_t{1}, int64_t{2}}).mean();
    tour.expect(false, "the mean of a long tensor is an error");
  } catch (const std::exception& e) {
    fmt::print("{}\n", e.what());
  }
  Tensor t = axon::tensor({{1.0, 2.0}, {3.0, 4.0}});
  fmt::print("{}\n", t);
  tour.show("t.mean()", t.mean(), axon::tensor(2.5));
  tour.show("t.mean(dim=0)", t.mean({0}), axon::tensor({2.0, 3.0}));
  tour.show("t.mean(dim=1)", t.mean({1}), axon::tensor({1.5, 3.5}));
  tour.show("t.mean(dim=-1)", t.mean({-1}), axon::tensor({1.5, 3.5}));

  print_section("sum");
  tour.show("t.sum()", t.sum(), axon::tensor(10.0));
  tour.show("t.sum(dim=0)", t.sum({0}), axon::tensor({4.0, 6.0}));
  tour.show("t.sum(dim=1)", t.sum({1}), axon::tensor({3.0, 7.0}));
  tour.show("t.sum(dim=-1)", t.sum({-1}), axon::tensor({3.0, 7.0}));

  print_section("max and argmax");
  tour.show("t.max()", t.max(), axon::tensor(4.0));
  auto [values, indices] = t.max(0);
  tour.show("Max (dim=0): ", values, axon::tensor({3.0, 4.0}));
  tour.show("Argmax (dim=0): ", indices, axon::tensor({int64_t{1}, int64_t{1}}));
  tour.show("t.max(dim=1)[0]", std::get<0>(t.max(1)), axon::tensor({2.0, 4.0}));
  tour.show("t.max(dim=-1)[1]", std::get<1>(t.max(-1)), axon::tensor({int64_t{1}, int64_t{1}}));
  tour.show("t.argmax(dim=1)", t.argmax(1), axon::tensor({int64_t{1}, int64_t{1}}));
}

void shapes(Tour& tour) {
  print_section("view");
  Tensor ft = axon::arange(12, axon::kFloat32).view({2, 2, 3});
  fmt::print("{}\n{}\n", ft, size_repr(ft));
  Tensor rows = ft.view({-1, 3});
  tour.show("ft.view([-1, 3])", rows,
            axon::tensor({{0.0, 1.0, 2.0}, {3.0, 4.0, 5.0}, {6.0, 7.0, 8.0}, {9.0, 10.0, 11.0}}));
  fmt::print("{}\n", size_repr(rows));
  Tensor three = ft.view({-1, 1, 3});
  fmt::print("ft.view([-1, 1, 3])\n{}\n{}\n", three, size_repr(three));
  tour.expect(three.sizes() == std::vector<int64_t>{4, 1, 3}, "view([-1, 1, 3]) is [4, 1, 3]");

  print_section("squeeze and unsqueeze");
  ft = axon::tensor({{0.0}, {1.0}, {2.0}});
  fmt::print("{}\n{}\n", ft, size_repr(ft));
  tour.show("ft.squeeze()", ft.squeeze(), axon::tensor({0.0, 1.0, 2.0}));
  ft = axon::tensor({0.0, 1.0, 2.0});
  tour.show("ft.unsqueeze(0)", ft.unsqueeze(0), axon::tensor({{0.0, 1.0, 2.0}}));
  tour.show("ft.view(1, -1)", ft.view({1, -1}), axon::tensor({{0.0, 1.0, 2.0}}));
  tour.show("ft.unsqueeze(1)", ft.unsqueeze(1), axon::tensor({{0.0}, {1.0}, {2.0}}));
  tour.show("ft.unsqueeze(-1)", ft.unsqueeze(-1), axon::tensor({{0.0}, {1.0}, {2.0}}));
}

void types_and_joins(Tour& tour) {
  print_section("Type casting");
  Tensor lt = axon::tensor({int64_t{1}, int64_t{2}, int64_t{3}, int64_t{4}});
  fmt::print("{}\n", lt);
  tour.show("lt.float()", lt.to(axon::kFloat32), axon::tensor({1.0, 2.0, 3.0, 4.0}));
  Tensor bt = lt == 3;
  tour.show("bt = (lt == 3)", bt, axon::tensor(std::vector<bool>{false, false, true, false}));
  tour.show("bt.long()", bt.to(axon::kInt64),
            axon::tensor({int64_t{0}, int64_t{0}, int64_t{1}, int64_t{0}}));
  tour.show("bt.float()", bt.to(axon::kFloat32), axon::tensor({0.0, 0.0, 1.0, 0.0}));

  print_section("cat and stack");
  Tensor x = axon::tensor({{1.0, 2.0}, {3.0, 4.0}});
  Tensor y = axon::tensor({{5.0, 6.0}, {7.0, 8.0}});
  tour.show("cat([x, y], dim=0)", axon::cat({x, y}, 0),
            axon::tensor({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}, {7.0, 8.0}}));
  tour.show("cat([x, y], dim=1)", axon::cat({x, y}, 1),
            axon::tensor({{1.0, 2.0, 5.0, 6.0}, {3.0, 4.0, 7.0, 8.0}}));
  Tensor a = axon::tensor({1.0, 4.0}), b = axon::tensor({2.0, 5.0}), c = axon::tensor({3.0, 6.0});
  Tensor stacked = axon::tensor({{1.0, 4.0}, {2.0, 5.0}, {3.0, 6.0}});
  tour.show("stack([x, y, z])", axon::stack({a, b, c}), stacked);
  tour.show("stack([x, y, z], dim=1)", axon::stack({a, b, c}, 1),
            axon::tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}));
  tour.show("cat([x.unsqueeze(0), y.unsqueeze(0), z.unsqueeze(0)], dim=0)",
            axon::cat({a.unsqueeze(0), b.unsqueeze(0), c.unsqueeze(0)}, 0), stacked);

  print_section("ones_like and zeros_like");
  x = axon::tensor({{0.0, 1.0, 2.0}, {2.0, 1.0, 0.0}});
  fmt::print("{}\n", x);
  tour.show("ones_like(x)", axon::ones_like(x), axon::tensor({{1.0, 1.0, 1.0}, {1.0, 1.0, 1.0}}));
  tour.show("zeros_like(x)", axon::zeros_like(x), axon::tensor({{0.0, 0.0, 0.0}, {0.0, 0.0, 0.0}}));

  print_section("In-place: mul_ versus mul");
  x = axon::tensor({{1.0, 2.0}, {3.0, 4.0}});
  tour.show("x.mul(2.)", x.mul(2.0), axon::tensor({{2.0, 4.0}, {6.0, 8.0}}));
  tour.show("x (unchanged)", x, axon::tensor({{1.0, 2.0}, {3.0, 4.0}}));
  tour.show("x.mul_(2.)", x.mul_(2.0), axon::tensor({{2.0, 4.0}, {6.0, 8.0}}));
  tour.show("x (changed)", x, axon::tensor({{2.0, 4.0}, {6.0, 8.0}}));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The course's tensor manipulation examples in axon"};
  axon::apps::ExampleOptions options;
  app.add_flag("--fast", options.fast, "accepted for uniformity; nothing here is slow");
  return axon::apps::run_example(app, argc, argv, [&](Checks& checks) {
    Tour tour(checks);
    one_and_two_dimensions(tour);
    broadcasting_and_products(tour);
    reductions(tour);
    shapes(tour);
    types_and_joins(tour);
  });
}
