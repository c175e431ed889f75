// The safetensors format: writing a TensorDict, and parsing files that may be corrupt or
// hostile (every size and offset is checked before it is used).
//
// Note [safetensors layout]: safetensors' own writer orders the data by descending dtype
// alignment, then by name, so that each tensor starts at a multiple of its element size when
// the buffer does (the header is padded to 8 bytes for that); PyTorch's loader views the bytes
// as the dtype and needs that alignment. axon keeps the alignment rule but not the name
// order: the data holds 8-byte elements, then 4-byte, then 1-byte ones, each group in the
// caller's order, and the header lists "__metadata__" and then the tensors in the caller's
// order. A reader of the header therefore sees the caller's order, which is what the loader
// returns; safetensors itself sorts the entries by offset and does not care. The JSON is
// compact (no spaces), as serde_json writes it, with each entry's keys as dtype, shape,
// data_offsets.
#include <algorithm>
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <unordered_set>

#include "axon/error.h"
#include "axon/functions.h"
#include "axon/serialize.h"
#include "nn/serialize/file_io.h"

namespace axon::serialize {
namespace {

// Tensor bytes are copied as they lie in memory; the format stores them little-endian.
static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian: a big-endian host must swap bytes");

using Json = nlohmann::ordered_json;
using Metadata = std::map<std::string, std::string>;

constexpr const char* kSaveOp = "save_safetensors";
constexpr const char* kLoadOp = "load_safetensors";
constexpr const char* kMetadataKey = "__metadata__";
constexpr size_t kLengthPrefix = 8;

struct DTypeName {
  DType dtype;
  const char* name;
};
// Indexed by DType.
constexpr DTypeName kDTypeNames[] = {
    {kBool, "BOOL"}, {kUInt8, "U8"}, {kInt64, "I64"}, {kFloat32, "F32"}, {kFloat64, "F64"}};
constexpr bool names_follow_dtype_order() {
  if (std::size(kDTypeNames) != kNumDTypes) return false;
  for (int i = 0; i < kNumDTypes; ++i) {
    if (static_cast<int>(kDTypeNames[i].dtype) != i) return false;
  }
  return true;
}
static_assert(names_follow_dtype_order(), "every dtype needs its safetensors name, in order");

const char* safetensors_name(DType dtype) { return kDTypeNames[static_cast<int>(dtype)].name; }

std::optional<DType> dtype_from_safetensors_name(std::string_view name) {
  for (const DTypeName& d : kDTypeNames) {
    if (name == d.name) return d.dtype;
  }
  return std::nullopt;
}

// ---- writing --------------------------------------------------------------------------------

bool is_valid_utf8(const std::string& s) {
  try {
    (void)Json(s).dump();
    return true;
  } catch (const Json::type_error&) {
    return false;
  }
}

void check_names(const TensorDict& tensors, const Metadata& metadata) {
  std::set<std::string_view> seen;
  for (const auto& [name, t] : tensors) {
    AXON_CHECK(t.defined(), "{}: tensor '{}' is undefined", kSaveOp, name);
    AXON_CHECK(name != kMetadataKey, "{}: '{}' is reserved for the metadata, not a tensor name",
               kSaveOp, name);
    AXON_CHECK(seen.insert(name).second, "{}: the tensor name '{}' appears twice", kSaveOp, name);
    AXON_CHECK(is_valid_utf8(name), "{}: the tensor name '{}' is not valid UTF-8", kSaveOp, name);
  }
  for (const auto& [key, value] : metadata) {
    AXON_CHECK(is_valid_utf8(key) && is_valid_utf8(value),
               "{}: the metadata entry '{}' is not valid UTF-8", kSaveOp, key);
  }
}

// The file's header (length prefix included) and its tensors in data order, detached.
struct WritePlan {
  std::string header;
  std::vector<Tensor> data_order;
};

WritePlan plan_file(const TensorDict& tensors, const Metadata& metadata) {
  check_names(tensors, metadata);
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return tensors[a].second.element_size() > tensors[b].second.element_size();
  });

  WritePlan plan;
  std::vector<std::pair<uint64_t, uint64_t>> offsets(tensors.size());
  uint64_t end = 0;
  for (size_t i : order) {
    const Tensor& t = tensors[i].second;
    offsets[i] = {end, end + t.nbytes()};
    end += t.nbytes();
    plan.data_order.push_back(t.detach());
  }

  Json header = Json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i].second;
    header[tensors[i].first] = Json{{"dtype", safetensors_name(t.dtype())},
                                    {"shape", t.sizes().vec()},
                                    {"data_offsets", {offsets[i].first, offsets[i].second}}};
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  AXON_CHECK(json.size() <= kMaxSafetensorsHeaderSize,
             "{}: the header would be {} bytes, over the format's limit of {} (too many tensors or "
             "too much metadata)",
             kSaveOp, json.size(), kMaxSafetensorsHeaderSize);

  uint64_t length = json.size();
  plan.header.resize(kLengthPrefix);
  std::memcpy(plan.header.data(), &length, kLengthPrefix);
  plan.header += json;
  return plan;
}

// Passes the file's bytes to `sink(pointer, size)`, one tensor at a time.
template <typename Sink>
void emit(const WritePlan& plan, Sink&& sink) {
  sink(plan.header.data(), plan.header.size());
  for (const Tensor& t : plan.data_order) {
    if (t.numel() == 0) continue;
    Tensor host = t.cpu().contiguous();
    sink(host.data_ptr(), host.nbytes());
  }
}

// ---- reading --------------------------------------------------------------------------------

struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

// serde_json's default, which safetensors reads with; a valid header nests three levels.
constexpr int kMaxJsonDepth = 128;

// Parses the JSON header. nlohmann keeps the last of repeated keys, so repeats are found while
// parsing: a file naming one tensor twice is ambiguous. Deep nesting is refused while parsing
// too, before a small file can make the parser build millions of nested arrays.
Json parse_header(const uint8_t* begin, const uint8_t* end, const std::string& where) {
  std::vector<std::unordered_set<std::string>> open_objects;
  std::string repeated;
  int repeated_depth = 0;
  auto note_keys = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) {
      AXON_CHECK(depth < kMaxJsonDepth, "{}: the header nests deeper than {} levels", where,
                 kMaxJsonDepth);
    }
    if (event == Json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == Json::parse_event_t::object_end) {
      open_objects.pop_back();
    } else if (event == Json::parse_event_t::key && repeated.empty() &&
               !open_objects.back().insert(parsed.get<std::string>()).second) {
      repeated = parsed.get<std::string>();
      repeated_depth = depth;
    }
    return true;
  };
  Json header;
  try {
    header = Json::parse(begin, end, note_keys);
  } catch (const Json::exception& e) {
    AXON_ERROR("{}: the header is not valid JSON: {}", where, e.what());
  }
  AXON_CHECK(repeated.empty() || repeated_depth != 1 || repeated == kMetadataKey,
             "{}: the header lists tensor '{}' twice", where, repeated);
  AXON_CHECK(repeated.empty(), "{}: the header repeats the key '{}'", where, repeated);
  AXON_CHECK(header.is_object(), "{}: the header is a JSON {}, not an object", where,
             header.type_name());
  return header;
}

Metadata parse_metadata(const Json& value, const std::string& where) {
  Metadata metadata;
  if (value.is_null()) return metadata;  // safetensors reads null as "no metadata"
  AXON_CHECK(value.is_object(), "{}: \"{}\" is a JSON {}, not an object of strings", where,
             kMetadataKey, value.type_name());
  for (const auto& [key, v] : value.items()) {
    AXON_CHECK(v.is_string(), "{}: metadata '{}' is a JSON {}, not a string", where, key,
               v.type_name());
    metadata.emplace(key, v.get<std::string>());
  }
  return metadata;
}

const Json& field(const Json& entry, const char* key, const std::string& where,
                  const std::string& name) {
  auto it = entry.find(key);
  AXON_CHECK(it != entry.end(), "{}: tensor '{}' has no \"{}\"", where, name, key);
  return *it;
}

// A JSON number that must be a non-negative integer.
uint64_t unsigned_integer(const Json& v, const std::string& where, const std::string& name,
                          const char* what) {
  AXON_CHECK(v.is_number_unsigned(), "{}: tensor '{}' has {} {}, not a non-negative integer", where,
             name, what, v.dump());
  return v.get<uint64_t>();
}

Entry parse_entry(const std::string& name, const Json& value, const std::string& where) {
  AXON_CHECK(value.is_object(),
             "{}: tensor '{}' is a JSON {}, not an object with dtype, shape and data_offsets",
             where, name, value.type_name());
  Entry entry;
  entry.name = name;

  const Json& dtype = field(value, "dtype", where, name);
  AXON_CHECK(dtype.is_string(), "{}: tensor '{}' has dtype {}, not a string", where, name,
             dtype.dump());
  std::optional<DType> parsed = dtype_from_safetensors_name(dtype.get<std::string>());
  AXON_CHECK(parsed.has_value(),
             "{}: tensor '{}' has dtype {}, which axon does not read (it reads BOOL, U8, I64, "
             "F32, F64)",
             where, name, dtype.dump());
  entry.dtype = *parsed;

  const Json& shape = field(value, "shape", where, name);
  AXON_CHECK(shape.is_array(), "{}: tensor '{}' has shape {}, not an array", where, name,
             shape.dump());
  AXON_CHECK(shape.size() <= static_cast<size_t>(kMaxDims),
             "{}: tensor '{}' has {} dimensions; axon supports up to {}", where, name, shape.size(),
             kMaxDims);
  // The size in bytes, with zero dims counted as ones, must fit int64: it bounds both the
  // byte count and the largest stride of a contiguous tensor of this shape.
  auto extent = static_cast<int64_t>(element_size(entry.dtype));
  for (const Json& d : shape) {
    const uint64_t size = unsigned_integer(d, where, name, "a shape entry");
    const int64_t factor = size == 0 ? 1 : static_cast<int64_t>(size);
    AXON_CHECK(size <= static_cast<uint64_t>(INT64_MAX) &&
                   !__builtin_mul_overflow(extent, factor, &extent),
               "{}: tensor '{}' has shape {}, whose size overflows 64 bits", where, name,
               shape.dump());
    entry.shape.push_back(static_cast<int64_t>(size));
  }

  const Json& offsets = field(value, "data_offsets", where, name);
  AXON_CHECK(offsets.is_array() && offsets.size() == 2,
             "{}: tensor '{}' has data_offsets {}, not [begin, end]", where, name, offsets.dump());
  entry.begin = unsigned_integer(offsets[0], where, name, "a data offset");
  entry.end = unsigned_integer(offsets[1], where, name, "a data offset");
  AXON_CHECK(entry.begin <= entry.end,
             "{}: tensor '{}' has data_offsets [{}, {}], ending before they begin", where, name,
             entry.begin, entry.end);
  return entry;
}

uint64_t expected_bytes(const Entry& e) {
  uint64_t bytes = element_size(e.dtype);
  for (int64_t d : e.shape) bytes *= static_cast<uint64_t>(d);  // no overflow: parse_entry
  return bytes;
}

// Each tensor's bytes must lie in the buffer and match its shape, and together the tensors must
// cover the buffer exactly, as the format requires (no hidden bytes, no aliasing).
void check_offsets(const std::vector<Entry>& entries, uint64_t buffer_size,
                   const std::string& where) {
  for (const Entry& e : entries) {
    AXON_CHECK(e.end <= buffer_size,
               "{}: tensor '{}' has data_offsets [{}, {}], beyond the {}-byte data buffer", where,
               e.name, e.begin, e.end, buffer_size);
    AXON_CHECK(e.end - e.begin == expected_bytes(e),
               "{}: tensor '{}' of dtype {} and shape {} needs {} bytes but its data_offsets "
               "[{}, {}] hold {}",
               where, e.name, safetensors_name(e.dtype), IntArrayRef(e.shape), expected_bytes(e),
               e.begin, e.end, e.end - e.begin);
  }
  std::vector<const Entry*> by_offset;
  for (const Entry& e : entries) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return std::pair(a->begin, a->end) < std::pair(b->begin, b->end);
  });
  uint64_t covered = 0;
  for (size_t i = 0; i < by_offset.size(); ++i) {
    const Entry& e = *by_offset[i];
    AXON_CHECK(e.begin >= covered, "{}: the data of tensors '{}' and '{}' overlap", where,
               by_offset[i - 1]->name, e.name);  // i > 0: nothing overlaps the first
    AXON_CHECK(e.begin == covered, "{}: bytes [{}, {}) of the data buffer belong to no tensor",
               where, covered, e.begin);
    covered = e.end;
  }
  AXON_CHECK(covered == buffer_size,
             "{}: bytes [{}, {}) of the data buffer belong to no tensor (the tensors end at {})",
             where, covered, buffer_size, covered);
}

Tensor read_tensor(const Entry& e, const uint8_t* buffer, const std::string& where) {
  const uint8_t* src = buffer + e.begin;
  const size_t bytes = e.end - e.begin;
  if (e.dtype == kBool) {
    // Any other byte would be an invalid bool in memory.
    const uint8_t* bad = std::find_if(src, src + bytes, [](uint8_t b) { return b > 1; });
    AXON_CHECK(bad == src + bytes, "{}: BOOL tensor '{}' holds the byte {} at element {}", where,
               e.name, *bad, bad - src);
  }
  Tensor t = empty(e.shape, TensorOptions(e.dtype));
  if (bytes > 0) std::memcpy(t.data_ptr(), src, bytes);
  return t;
}

}  // namespace

std::string save_safetensors_to_bytes(const TensorDict& tensors, const Metadata& metadata) {
  WritePlan plan = plan_file(tensors, metadata);
  std::string bytes;
  emit(plan, [&](const void* p, size_t n) { bytes.append(static_cast<const char*>(p), n); });
  return bytes;
}

void save_safetensors(const TensorDict& tensors, const std::string& path,
                      const Metadata& metadata) {
  WritePlan plan = plan_file(tensors, metadata);
  detail::AtomicFileWriter file(path, kSaveOp);
  emit(plan, [&](const void* p, size_t n) { file.write(p, n); });
  file.commit();
}

SafetensorsFile load_safetensors_from_bytes(const uint8_t* data, size_t size,
                                            const std::string& source) {
  const std::string where = fmt::format("{}: '{}'", kLoadOp, source);
  AXON_CHECK(size >= kLengthPrefix,
             "{}: the file has {} bytes, fewer than the 8 of the header length", where, size);
  uint64_t header_size = 0;
  std::memcpy(&header_size, data, kLengthPrefix);
  AXON_CHECK(header_size <= kMaxSafetensorsHeaderSize,
             "{}: the header length {} is over the format's limit of {}", where, header_size,
             kMaxSafetensorsHeaderSize);
  AXON_CHECK(header_size <= size - kLengthPrefix,
             "{}: the header length is {} but only {} bytes follow it", where, header_size,
             size - kLengthPrefix);
  const uint8_t* header_begin = data + kLengthPrefix;
  const uint8_t* buffer = header_begin + header_size;
  const uint64_t buffer_size = size - kLengthPrefix - header_size;

  Json header = parse_header(header_begin, buffer, where);
  SafetensorsFile file;
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == kMetadataKey) {
      file.metadata = parse_metadata(value, where);
    } else {
      entries.push_back(parse_entry(key, value, where));
    }
  }
  check_offsets(entries, buffer_size, where);
  for (const Entry& e : entries) file.tensors.emplace_back(e.name, read_tensor(e, buffer, where));
  return file;
}

SafetensorsFile load_safetensors(const std::string& path) {
  std::vector<uint8_t> bytes = detail::read_file(path, kLoadOp);
  return load_safetensors_from_bytes(bytes.data(), bytes.size(), path);
}

}  // namespace axon::serialize
