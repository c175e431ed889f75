// The course's MNIST exercises 10 (init_mnist: std 0.01, Xavier and He) and 11 (batchnorm_mnist:
// with and without batch norm over weight scales) run end to end with --fast on small gzipped
// IDX files written here: their exit status, the lines they print, their plots, and a --data
// folder without MNIST in it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "apps/run_program.h"
#include "data/data_files.h"

namespace {

namespace fs = std::filesystem;
using axon::testing::Bytes;
using axon::testing::ProgramResult;

// n 28x28 digits of class i % 10: noise below 60 with a bright 6x6 block at a place that
// depends on the class, so that the nets can learn them.
void write_split(const fs::path& dir, const std::string& prefix, uint32_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes images;
  for (uint32_t v : {2051u, n, 28u, 28u}) axon::testing::append_big_endian(images, v);
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t label = i % 10, top = 3 + (label / 5) * 12, left = 2 + (label % 5) * 5;
    for (uint32_t y = 0; y < 28; ++y) {
      for (uint32_t x = 0; x < 28; ++x) {
        const bool block = y >= top && y < top + 6 && x >= left && x < left + 6;
        images.push_back(static_cast<uint8_t>(block ? 230 : rng() % 60));
      }
    }
  }
  axon::testing::write_file(dir / (prefix + "-images-idx3-ubyte.gz"), axon::testing::gzip(images));
  axon::testing::write_file(
      dir / (prefix + "-labels-idx1-ubyte.gz"),
      axon::testing::gzip(axon::testing::idx_labels(axon::testing::cycling_labels(n))));
}

bool have_gnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

// The numbers after "<key>:" at the start of a line, in order.
std::vector<double> values(const std::string& out, const std::string& key) {
  std::vector<double> found;
  const std::regex line("(^|\n)" + key + ":([-0-9.e]+)");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), line); it != std::sregex_iterator();
       ++it) {
    found.push_back(std::stod((*it)[2]));
  }
  return found;
}

class CourseMnistTest : public axon::testing::ScratchFolderTest {
 protected:
  void SetUp() override {
    ScratchFolderTest::SetUp();
    // On a machine shared with other jobs, OpenMP's spin-waiting threads make these runs 20
    // times slower; idle threads that sleep keep them at about a second each.
    ::setenv("OMP_WAIT_POLICY", "passive", /*overwrite=*/0);
    fs::create_directories(path("data"));
    write_split(path("data"), "train", 1000, 1);
    write_split(path("data"), "t10k", 10, 2);
  }
  // Runs example `name` with --fast on the data in `data` (by default, that written here), its
  // plots into plots/.
  ProgramResult run(const std::string& name, std::string data = "") {
    if (data.empty()) data = path("data").string();
    return axon::testing::run_program(axon::testing::example_program(name),
                                      "--fast --data " + data + " --plot " + path("plots").string(),
                                      folder());
  }
  void expect_plot(const std::string& file) {
    if (!have_gnuplot()) return;
    EXPECT_TRUE(fs::exists(path("plots") / file)) << file;
    EXPECT_GT(fs::file_size(path("plots") / file), 1000u) << file;
  }
};

#define SKIP_WITHOUT_EXAMPLES()                             \
  if (axon::testing::example_program("init_mnist").empty()) \
  GTEST_SKIP() << "the examples are not built (AXON_BUILD_APPS=OFF)"

TEST_F(CourseMnistTest, InitMnistLearnsWithXavierAndHeNotWithStd001) {
  SKIP_WITHOUT_EXAMPLES();
  const ProgramResult r = run("init_mnist");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  for (const char* header :
       {"===========iteration:0===========\n", "===========iteration:100===========\n",
        "===========iteration:200===========\n"}) {
    EXPECT_NE(r.out.find(header), std::string::npos) << header << r.out;
  }
  EXPECT_EQ(r.out.find("===========iteration:300"), std::string::npos) << r.out;
  const std::vector<double> std001 = values(r.out, "std=0.01"), xavier = values(r.out, "Xavier"),
                            he = values(r.out, "He");
  ASSERT_EQ(std001.size(), 3u) << r.out;
  ASSERT_EQ(xavier.size(), 3u) << r.out;
  ASSERT_EQ(he.size(), 3u) << r.out;
  // std 0.01 stays at ln 10, a uniform guess over 10 classes; He learns the blocks.
  for (double loss : std001) EXPECT_NEAR(loss, std::log(10.0), 0.02) << r.out;
  EXPECT_LT(he.back(), 1.5) << r.out;
  EXPECT_LT(xavier.back(), std001.back()) << r.out;
  EXPECT_NE(r.out.find("all checks passed"), std::string::npos) << r.out;
  expect_plot("init_mnist_loss.png");
}

TEST_F(CourseMnistTest, BatchnormMnistPrintsEveryScaleAndEpoch) {
  SKIP_WITHOUT_EXAMPLES();
  const ProgramResult r = run("batchnorm_mnist");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  for (int i = 1; i <= 4; ++i) {
    const std::string header = "============== " + std::to_string(i) + "/4 ==============\n";
    EXPECT_NE(r.out.find(header), std::string::npos) << header << r.out;
  }
  // 16 epochs per scale, "epoch:N | <accuracy> - <accuracy with batch norm>".
  const std::regex epoch_line(R"((^|\n)epoch:(\d+) \| (0\.\d+|1\.0) - (0\.\d+|1\.0)(?=\n))");
  std::vector<int> epochs;
  std::vector<double> plain, batch_norm;
  for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), epoch_line);
       it != std::sregex_iterator(); ++it) {
    epochs.push_back(std::stoi((*it)[2]));
    plain.push_back(std::stod((*it)[3]));
    batch_norm.push_back(std::stod((*it)[4]));
  }
  ASSERT_EQ(epochs.size(), 64u) << r.out;
  for (size_t i = 0; i < epochs.size(); ++i) EXPECT_EQ(epochs[i], static_cast<int>(i % 16));
  // At the smallest scale (1e-4) the plain net stays at chance; batch norm learns.
  EXPECT_LT(plain.back(), 0.2) << r.out;
  EXPECT_GT(batch_norm.back(), plain.back() + 0.1) << r.out;
  EXPECT_NE(r.out.find("all checks passed"), std::string::npos) << r.out;
  expect_plot("batchnorm_mnist_accuracy.png");
}

TEST_F(CourseMnistTest, MissingDataFolderIsAnErrorNamingIt) {
  SKIP_WITHOUT_EXAMPLES();
  const std::string missing = path("no-such-folder").string();
  for (const char* name : {"init_mnist", "batchnorm_mnist"}) {
    const ProgramResult r = run(name, missing);
    EXPECT_EQ(r.status, 1) << name << r.out << r.err;
    EXPECT_NE(r.err.find("--data " + missing + ": no such folder"), std::string::npos)
        << name << r.err;
  }
}

TEST_F(CourseMnistTest, FolderWithoutMnistIsAnErrorNamingIt) {
  SKIP_WITHOUT_EXAMPLES();
  fs::create_directories(path("empty"));
  const std::string empty = path("empty").string();
  for (const char* name : {"init_mnist", "batchnorm_mnist"}) {
    const ProgramResult r = run(name, empty);
    EXPECT_EQ(r.status, 1) << name << r.out << r.err;
    EXPECT_NE(r.err.find("--data " + empty + ":"), std::string::npos) << name << r.err;
  }
}

}  // namespace
