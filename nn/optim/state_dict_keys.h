#pragma once
// The key names of Optimizer::state_dict() ("param_groups.<g>.<option>", "state.<i>.<key>"),
// shared by load_state_dict and the checkpoint loader.

#include <charconv>
#include <string>
#include <string_view>

namespace axon::optim::detail {

inline std::string group_key(size_t group, std::string_view name) {
  return "param_groups." + std::to_string(group) + "." + std::string(name);
}

inline std::string state_key(size_t param, std::string_view name) {
  return "state." + std::to_string(param) + "." + std::string(name);
}

// Reads `text`, all of it, as a decimal index; false if it is anything else.
inline bool parse_index(std::string_view text, size_t* index) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *index);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// Splits "prefix<number>.rest" into number and rest; false if the key does not have that form.
inline bool split_indexed_key(std::string_view key, std::string_view prefix, size_t* index,
                              std::string_view* rest) {
  if (key.substr(0, prefix.size()) != prefix) return false;
  key.remove_prefix(prefix.size());
  size_t dot = key.find('.');
  if (dot == std::string_view::npos || !parse_index(key.substr(0, dot), index)) return false;
  *rest = key.substr(dot + 1);
  return true;
}

}  // namespace axon::optim::detail
