// safetensors writing and reading in memory: round trips of every dtype and kind of tensor, the
// exact bytes of small files, and what the writer refuses.
#include <cstring>
#include <nlohmann/json.hpp>

#include "axon/serialize.h"
#include "test_utils.h"

namespace axon::serialize {
namespace {

using testing::Shape;

// A tensor's dtype, shape and bytes, so that comparisons are bit for bit (-0.0, NaN payloads).
std::string bytes_of(const Tensor& t) {
  Tensor c = t.detach().contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), c.nbytes());
}

::testing::AssertionResult same_tensor(const Tensor& actual, const Tensor& expected) {
  if (actual.dtype() != expected.dtype() || actual.sizes() != expected.sizes()) {
    return ::testing::AssertionFailure() << actual.dtype() << actual.sizes() << " vs expected "
                                         << expected.dtype() << expected.sizes();
  }
  if (bytes_of(actual) != bytes_of(expected)) {
    return ::testing::AssertionFailure() << actual << "\nvs expected\n" << expected;
  }
  return ::testing::AssertionSuccess();
}

void expect_same_dict(const TensorDict& actual, const TensorDict& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i].first, expected[i].first) << "entry " << i;
    EXPECT_TRUE(same_tensor(actual[i].second, expected[i].second)) << actual[i].first;
    EXPECT_TRUE(actual[i].second.is_cpu());
    EXPECT_FALSE(actual[i].second.requires_grad());
  }
}

// The JSON header of a file axon wrote.
nlohmann::ordered_json header_of(const std::string& file) {
  uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);
  return nlohmann::ordered_json::parse(file.substr(8, n));
}

SafetensorsFile round_trip(const TensorDict& tensors,
                           const std::map<std::string, std::string>& metadata = {}) {
  return load_safetensors_from_bytes(save_safetensors_to_bytes(tensors, metadata));
}

TEST(Safetensors, RoundTripsEveryDType) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  TensorDict tensors = {
      {"f32", tensor({{1.5, -0.0, inf}, {-inf, nan, 1e-45}}, kFloat32)},
      {"f64", tensor({3.141592653589793, -1e-300, 5e-324, nan}, kFloat64)},
      {"i64", tensor({INT64_MIN, INT64_MAX, int64_t{0}, int64_t{-1}}, kInt64)},
      {"u8", tensor({0, 1, 127, 128, 255}, kUInt8)},
      {"bool", tensor({{true, false}, {false, true}}, kBool)},
  };
  SafetensorsFile file = round_trip(tensors);
  expect_same_dict(file.tensors, tensors);
  EXPECT_TRUE(file.metadata.empty());
}

TEST(Safetensors, RoundTripsScalarsAndEmptyTensors) {
  TensorDict tensors = {
      {"scalar_f32", tensor(2.5, kFloat32)},    {"scalar_i64", tensor(int64_t{-7}, kInt64)},
      {"scalar_bool", tensor(true, kBool)},     {"empty", empty({0}, kFloat32)},
      {"empty_3d", empty({2, 0, 3}, kFloat64)}, {"empty_u8", empty({0, 5}, kUInt8)},
  };
  SafetensorsFile file = round_trip(tensors);
  expect_same_dict(file.tensors, tensors);
  EXPECT_EQ(file.tensors[0].second.dim(), 0);
  EXPECT_EQ(file.tensors[4].second.sizes().vec(), (Shape{2, 0, 3}));
}

TEST(Safetensors, WritesViewsAsTheirValuesInRowMajorOrder) {
  Tensor base = arange(0, 24, TensorOptions(kFloat32)).view({4, 6});
  Tensor transposed = base.t();             // strides (1, 6)
  Tensor stepped = base.slice(1, 1, 6, 2);  // every other column
  Tensor offset_row = base[2];              // contiguous, storage offset 12
  Tensor expanded = base[0].slice(0, 0, 3).unsqueeze(0).expand({2, 3});  // stride 0
  ASSERT_FALSE(transposed.is_contiguous());
  ASSERT_FALSE(stepped.is_contiguous());
  ASSERT_EQ(offset_row.storage_offset(), 12);
  TensorDict tensors = {{"transposed", transposed},
                        {"stepped", stepped},
                        {"offset_row", offset_row},
                        {"expanded", expanded}};
  SafetensorsFile file = round_trip(tensors);
  ASSERT_EQ(file.tensors.size(), 4u);
  EXPECT_TRUE(same_tensor(file.tensors[0].second, transposed.contiguous()));
  EXPECT_EQ(testing::values<float>(file.tensors[1].second),
            testing::floats({1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23}));
  EXPECT_EQ(testing::values<float>(file.tensors[2].second),
            testing::floats({12, 13, 14, 15, 16, 17}));
  EXPECT_EQ(testing::values<float>(file.tensors[3].second), testing::floats({0, 1, 2, 0, 1, 2}));
  for (const auto& [name, t] : file.tensors) EXPECT_TRUE(t.is_contiguous()) << name;
}

TEST(Safetensors, SavesTensorsThatRequireGradAsPlainValues) {
  Tensor leaf = tensor({1.0, 2.0, 3.0}, kFloat64).requires_grad_();
  Tensor computed = leaf * 2;  // has a grad_fn
  TensorDict tensors = {{"leaf", leaf}, {"computed", computed}};
  SafetensorsFile file = round_trip(tensors);
  expect_same_dict(file.tensors, {{"leaf", leaf.detach()}, {"computed", computed.detach()}});
  // Saving recorded nothing: the graph still differentiates as before.
  computed.sum().backward();
  EXPECT_EQ(testing::values<double>(leaf.grad()), (std::vector<double>{2, 2, 2}));
}

TEST(Safetensors, RoundTripsMetadata) {
  std::map<std::string, std::string> metadata = {
      {"format", "pt"},
      {"", "an empty key"},
      {"empty value", ""},
      {"escapes", "quote \" backslash \\ newline \n tab \t control \x01"},
      {"unicode \xe2\x9c\x93", "\xc3\xbc\xc3\xb1\xc3\xaf"},
  };
  SafetensorsFile file = round_trip({{"w", ones({2}, kFloat32)}}, metadata);
  EXPECT_EQ(file.metadata, metadata);
  EXPECT_EQ(round_trip({}, metadata).metadata, metadata);
}

TEST(Safetensors, KeepsTheCallersOrder) {
  TensorDict tensors = {
      {"z_u8", tensor({1, 2, 3}, kUInt8)}, {"y_f32", tensor({1.0, 2.0}, kFloat32)},
      {"x_f64", tensor({1.0}, kFloat64)},  {"w_i64", tensor({int64_t{5}}, kInt64)},
      {"v_bool", tensor({true}, kBool)},   {"u_f32", tensor({3.0}, kFloat32)},
  };
  SafetensorsFile file = round_trip(tensors);
  expect_same_dict(file.tensors, tensors);
}

// Note [safetensors layout]: 8-byte elements first, then 4-byte, then 1-byte, each group in the
// caller's order, so every tensor is aligned to its element size (the header is padded to 8).
TEST(Safetensors, AlignsEachTensorToItsElementSize) {
  TensorDict tensors = {
      {"odd_u8", tensor({1, 2, 3}, kUInt8)}, {"f32", tensor({1.0, 2.0, 3.0}, kFloat32)},
      {"f64", tensor({1.0}, kFloat64)},      {"bool", tensor({true}, kBool)},
      {"i64", tensor({int64_t{5}}, kInt64)}, {"f32_2", tensor({4.0}, kFloat32)},
  };
  std::string file = save_safetensors_to_bytes(tensors);
  nlohmann::ordered_json header = header_of(file);
  std::vector<std::string> listed;
  for (const auto& [name, entry] : header.items()) listed.push_back(name);
  EXPECT_EQ(listed, (std::vector<std::string>{"odd_u8", "f32", "f64", "bool", "i64", "f32_2"}));
  auto offsets = [&](const char* name) {
    return header[name]["data_offsets"].get<std::vector<uint64_t>>();
  };
  EXPECT_EQ(offsets("f64"), (std::vector<uint64_t>{0, 8}));
  EXPECT_EQ(offsets("i64"), (std::vector<uint64_t>{8, 16}));
  EXPECT_EQ(offsets("f32"), (std::vector<uint64_t>{16, 28}));
  EXPECT_EQ(offsets("f32_2"), (std::vector<uint64_t>{28, 32}));
  EXPECT_EQ(offsets("odd_u8"), (std::vector<uint64_t>{32, 35}));
  EXPECT_EQ(offsets("bool"), (std::vector<uint64_t>{35, 36}));
  uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(file.size(), 8 + n + 36);
}

std::string length_prefix(uint64_t n) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return bytes;
}

// The byte layout, spelled out: the length as 8 little-endian bytes, compact JSON padded with
// spaces to a multiple of 8, then the data.
TEST(Safetensors, WritesTheExactBytesOfASmallFile) {
  TensorDict tensors = {{"b", tensor({1, 2, 3}, kUInt8)}, {"a", tensor(1.0, kFloat64)}};
  const std::string json = R"({"__metadata__":{"k":"v"},)"
                           R"("b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]},)"
                           R"("a":{"dtype":"F64","shape":[],"data_offsets":[0,8]}})";
  ASSERT_EQ(json.size(), 131u);  // + 5 spaces = 136, a multiple of 8
  const std::string data("\x00\x00\x00\x00\x00\x00\xf0\x3f\x01\x02\x03", 11);  // 1.0, then b
  EXPECT_EQ(save_safetensors_to_bytes(tensors, {{"k", "v"}}),
            length_prefix(136) + json + "     " + data);
}

// The same bytes as safetensors' own serializer writes for these dicts (one tensor, or none):
// for a single tensor or none, its order and ours agree.
TEST(Safetensors, WritesTheSameBytesAsSafetensorsForOneTensor) {
  std::string data;
  for (float v : {0.f, 1.f, 2.f, 3.f, 4.f, 5.f}) data.append(reinterpret_cast<char*>(&v), 4);
  const std::string json = R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})";
  ASSERT_EQ(json.size(), 64u);  // no padding needed
  Tensor t = arange(0, 6, TensorOptions(kFloat32)).view({1, 2, 3});
  EXPECT_EQ(save_safetensors_to_bytes({{"attn.0", t}}), length_prefix(64) + json + data);

  const std::string json2 = R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}})";
  ASSERT_EQ(json2.size(), 65u);  // + 7 spaces = 72
  EXPECT_EQ(save_safetensors_to_bytes({{"attn0", t.view({1, 1, 2, 3})}}),
            length_prefix(72) + json2 + "       " + data);

  EXPECT_EQ(save_safetensors_to_bytes({}), length_prefix(8) + "{}      ");
  EXPECT_EQ(save_safetensors_to_bytes({}, {{"framework", "pt"}}),
            length_prefix(40) + R"({"__metadata__":{"framework":"pt"}})" + "     ");
}

TEST(Safetensors, RoundTripsAnEmptyDict) {
  SafetensorsFile file = round_trip({});
  EXPECT_TRUE(file.tensors.empty());
  EXPECT_TRUE(file.metadata.empty());
}

TEST(Safetensors, RefusesDictsItCannotWrite) {
  Tensor t = ones({2});
  EXPECT_AXON_ERROR(save_safetensors_to_bytes({{"w", t}, {"missing", Tensor()}}),
                    "save_safetensors: tensor 'missing' is undefined");
  EXPECT_AXON_ERROR(save_safetensors_to_bytes({{"w", t}, {"w", t}}),
                    "save_safetensors: the tensor name 'w' appears twice");
  EXPECT_AXON_ERROR(save_safetensors_to_bytes({{"__metadata__", t}}),
                    "'__metadata__' is reserved for the metadata");
  EXPECT_AXON_ERROR(save_safetensors_to_bytes({{"bad \xff name", t}}), "is not valid UTF-8");
  EXPECT_AXON_ERROR(save_safetensors_to_bytes({{"w", t}}, {{"key", "bad \xc3"}}),
                    "the metadata entry 'key' is not valid UTF-8");
}

}  // namespace
}  // namespace axon::serialize
