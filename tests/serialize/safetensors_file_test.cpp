// safetensors files on disk: crash-safe saving, file errors, and the PyTorch fixture
// (tests/reference/generate_safetensors_fixture.py made it with safetensors.torch.save_file).
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "axon/serialize.h"
#include "scratch_dir.h"
#include "test_utils.h"

namespace axon::serialize {
namespace {

namespace fs = std::filesystem;

using axon::testing::ScratchDir;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const TensorDict& good_checkpoint() {
  static const TensorDict tensors = {{"w", tensor({{1.0, 2.0}, {3.0, 4.0}}, kFloat32)},
                                     {"step", tensor(int64_t{12}, kInt64)}};
  return tensors;
}

TEST(SafetensorsFile, SavesAndLoads) {
  ScratchDir dir;
  const std::string path = dir.file("model.safetensors");
  save_safetensors(good_checkpoint(), path, {{"epoch", "3"}});
  EXPECT_EQ(read_bytes(path), save_safetensors_to_bytes(good_checkpoint(), {{"epoch", "3"}}));
  SafetensorsFile file = load_safetensors(path);
  ASSERT_EQ(file.tensors.size(), 2u);
  EXPECT_EQ(file.tensors[0].first, "w");
  EXPECT_TRUE(testing::same(file.tensors[0].second, good_checkpoint()[0].second));
  EXPECT_EQ(file.tensors[1].second.item<int64_t>(), 12);
  EXPECT_EQ(file.metadata.at("epoch"), "3");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.safetensors"});  // no temporary left
}

TEST(SafetensorsFile, ReplacesAnExistingFile) {
  ScratchDir dir;
  const std::string path = dir.file("model.safetensors");
  save_safetensors(good_checkpoint(), path);
  save_safetensors({{"other", zeros({3}, kFloat64)}}, path);
  SafetensorsFile file = load_safetensors(path);
  ASSERT_EQ(file.tensors.size(), 1u);
  EXPECT_EQ(file.tensors[0].first, "other");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.safetensors"});
}

TEST(SafetensorsFile, MissingOrUnwritableFolderIsAnError) {
  EXPECT_AXON_ERROR(save_safetensors(good_checkpoint(), "/nonexistent_axon_folder/m.safetensors"),
                    "save_safetensors: cannot create a temporary file in folder "
                    "'/nonexistent_axon_folder' to write '/nonexistent_axon_folder/m.safetensors'"
                    ": No such file or directory");
  // Even root cannot create files in /proc.
  EXPECT_AXON_ERROR(save_safetensors(good_checkpoint(), "/proc/m.safetensors"),
                    "cannot create a temporary file in folder '/proc'");
  EXPECT_AXON_ERROR(save_safetensors(good_checkpoint(), ""), "save_safetensors: the path is empty");
}

TEST(SafetensorsFile, AFolderInTheWayIsAnErrorAndLeavesNoTemporary) {
  ScratchDir dir;
  const std::string path = dir.file("model.safetensors");
  fs::create_directory(path);
  write_bytes(path + "/keep", "x");  // rename cannot replace a non-empty folder
  EXPECT_AXON_ERROR(save_safetensors(good_checkpoint(), path),
                    "save_safetensors: cannot replace '" + path + "': Is a directory");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.safetensors"});
  EXPECT_EQ(read_bytes(path + "/keep"), "x");
}

// A write that fails halfway (here: over the file size limit, which binds root as well) leaves
// the old checkpoint as it was and no temporary file.
TEST(SafetensorsFile, AFailedSaveLeavesTheOldFileIntact) {
  ScratchDir dir;
  const std::string path = dir.file("model.safetensors");
  save_safetensors(good_checkpoint(), path);
  const std::string old_bytes = read_bytes(path);

  struct rlimit old_limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  struct rlimit small_limit = old_limit;
  small_limit.rlim_cur = 64 * 1024;
  // Past the limit, write() fails with EFBIG instead of the process getting SIGXFSZ.
  void (*old_handler)(int) = ::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small_limit), 0);
  try {
    save_safetensors({{"big", ones({100000}, kFloat32)}}, path);
    ADD_FAILURE() << "saving 400 KB under a 64 KiB file size limit succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("save_safetensors: cannot write '" + path + "'"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("File too large"), std::string::npos) << e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);

  EXPECT_EQ(read_bytes(path), old_bytes);
  EXPECT_EQ(load_safetensors(path).tensors.size(), 2u);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.safetensors"});
}

TEST(SafetensorsFile, LoadErrorsNameTheFile) {
  ScratchDir dir;
  const std::string missing = dir.file("missing.safetensors");
  EXPECT_AXON_ERROR(load_safetensors(missing),
                    "load_safetensors: cannot open '" + missing + "': No such file or directory");
  EXPECT_AXON_ERROR(load_safetensors(dir.file("")), "is a folder, not a file");

  const std::string empty_file = dir.file("empty.safetensors");
  write_bytes(empty_file, "");
  EXPECT_AXON_ERROR(load_safetensors(empty_file), "load_safetensors: '" + empty_file +
                                                      "': the file has 0 bytes, fewer than the 8");

  // The header and no data: the tensor it lists is missing.
  const std::string header_only = dir.file("header_only.safetensors");
  std::string bytes = save_safetensors_to_bytes(good_checkpoint());
  uint64_t header_size = 0;
  std::memcpy(&header_size, bytes.data(), 8);
  write_bytes(header_only, bytes.substr(0, 8 + header_size));
  EXPECT_AXON_ERROR(load_safetensors(header_only),
                    "load_safetensors: '" + header_only + "': tensor 'w' has data_offsets");

  const std::string garbage = dir.file("garbage.safetensors");
  write_bytes(garbage, "this is not a safetensors file, just some text");
  EXPECT_AXON_ERROR(load_safetensors(garbage), "load_safetensors: '" + garbage + "': the header");
}

// ---- the PyTorch fixture --------------------------------------------------------------------

using Json = nlohmann::json;

const Json& expected_fixture() {
  static const Json data = [] {
    std::ifstream in(AXON_TEST_REFERENCE_DIR "/safetensors_fixture.json");
    if (!in) throw std::runtime_error("cannot open safetensors_fixture.json");
    return Json::parse(in);
  }();
  return data;
}

double decode_double(const Json& v) {
  if (v.is_number()) return v.get<double>();
  const std::string s = v.get<std::string>();
  if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (s == "inf") return std::numeric_limits<double>::infinity();
  if (s == "-inf") return -std::numeric_limits<double>::infinity();
  throw std::runtime_error("safetensors_fixture.json: bad float " + s);
}

// A tensor from the fixture's {"dtype", "shape", "values"}.
Tensor decode(const Json& enc) {
  static const std::map<std::string, DType> dtypes = {
      {"BOOL", kBool}, {"U8", kUInt8}, {"I64", kInt64}, {"F32", kFloat32}, {"F64", kFloat64}};
  const Json& values = enc.at("values");
  Tensor t = empty(enc.at("shape").get<std::vector<int64_t>>(), dtypes.at(enc.at("dtype")));
  for (size_t i = 0; i < values.size(); ++i) {
    switch (t.dtype()) {
      case kBool:
        t.data_ptr<bool>()[i] = values[i].get<bool>();
        break;
      case kUInt8:
        t.data_ptr<uint8_t>()[i] = values[i].get<uint8_t>();
        break;
      case kInt64:
        t.data_ptr<int64_t>()[i] = values[i].get<int64_t>();
        break;
      // float32 values are stored as the doubles they convert to exactly.
      case kFloat32:
        t.data_ptr<float>()[i] = static_cast<float>(decode_double(values[i]));
        break;
      case kFloat64:
        t.data_ptr<double>()[i] = decode_double(values[i]);
        break;
    }
  }
  return t;
}

// Bit for bit: the fixture holds -0.0 and NaN (generated the same way on both sides).
std::string bytes_of(const Tensor& t) {
  Tensor c = t.detach().contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), c.nbytes());
}

void expect_matches_fixture(const SafetensorsFile& file) {
  const Json& tensors = expected_fixture().at("tensors");
  ASSERT_EQ(file.tensors.size(), tensors.size());
  for (const auto& [name, t] : file.tensors) {
    ASSERT_TRUE(tensors.contains(name)) << name;
    Tensor expected = decode(tensors.at(name));
    EXPECT_EQ(t.dtype(), expected.dtype()) << name;
    EXPECT_EQ(t.sizes(), expected.sizes()) << name;
    EXPECT_EQ(bytes_of(t), bytes_of(expected)) << name << ":\n" << t << "\nexpected\n" << expected;
  }
  EXPECT_EQ(file.metadata,
            (expected_fixture().at("metadata").get<std::map<std::string, std::string>>()));
}

TEST(SafetensorsFile, LoadsAFileWrittenByPyTorch) {
  SafetensorsFile file =
      load_safetensors(AXON_TEST_REFERENCE_DIR "/safetensors_fixture.safetensors");
  expect_matches_fixture(file);
  // In the order of the file's header (safetensors writes it in data order).
  std::vector<std::string> names;
  for (const auto& [name, t] : file.tensors) names.push_back(name);
  EXPECT_EQ(names, expected_fixture().at("header_order").get<std::vector<std::string>>());
  EXPECT_EQ(file.tensors[1].first, "step");
  EXPECT_EQ(file.tensors[1].second.dim(), 0);
}

// Writes the fixture's values with axon, as views and tensors that require grad, to a file
// that generate_safetensors_fixture.py --check loads with safetensors.torch.load_file.
TEST(SafetensorsFile, WritesAFileForPyTorch) {
  TensorDict tensors;
  for (const auto& [name, enc] : expected_fixture().at("tensors").items()) {
    Tensor t = decode(enc);
    if (t.dim() == 2) t = t.t().contiguous().t();  // same values, column-major strides
    if (t.is_floating_point()) t.requires_grad_();
    tensors.emplace_back(name, t);
  }
  const auto metadata = expected_fixture().at("metadata").get<std::map<std::string, std::string>>();
  const std::string path = ::testing::TempDir() + "axon_safetensors_interop.safetensors";
  save_safetensors(tensors, path, metadata);
  expect_matches_fixture(load_safetensors(path));
  std::cout << "wrote " << path << "; check it with PyTorch:\n"
            << "  python3 tests/reference/generate_safetensors_fixture.py --check " << path << "\n";
}

}  // namespace
}  // namespace axon::serialize
