#pragma once
// An insertion-ordered map from keys to values, as LibTorch's torch::OrderedDict: what
// named_parameters(), named_buffers() and named_children() return. Iterating yields items with
// key() and value(); lookups by key are linear, which is what a module's handful of names needs.

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "axon/error.h"

namespace axon {

template <typename Key, typename Value>
class OrderedDict {
 public:
  class Item {
   public:
    Item(Key key, Value value) : pair_(std::move(key), std::move(value)) {}
    const Key& key() const noexcept { return pair_.first; }
    Value& value() noexcept { return pair_.second; }
    const Value& value() const noexcept { return pair_.second; }
    Value& operator*() noexcept { return pair_.second; }
    const Value& operator*() const noexcept { return pair_.second; }
    Value* operator->() noexcept { return &pair_.second; }
    const Value* operator->() const noexcept { return &pair_.second; }
    const std::pair<Key, Value>& pair() const noexcept { return pair_; }

   private:
    std::pair<Key, Value> pair_;
  };
  using Iterator = typename std::vector<Item>::iterator;
  using ConstIterator = typename std::vector<Item>::const_iterator;

  explicit OrderedDict(std::string key_description = "Key")
      : key_description_(std::move(key_description)) {}
  OrderedDict(std::initializer_list<Item> items) : items_(items) {}

  const std::string& key_description() const noexcept { return key_description_; }

  // Adds a new item; a key already present is an error.
  template <typename V>
  Value& insert(Key key, V&& value) {
    AXON_CHECK(find(key) == nullptr, "{} '{}' already defined", key_description_, key);
    items_.emplace_back(std::move(key), Value(std::forward<V>(value)));
    return items_.back().value();
  }
  // Inserts, or replaces the value of an existing key in place (keeping its position).
  template <typename V>
  Value& insert_or_assign(Key key, V&& value) {
    if (Value* existing = find(key)) return *existing = Value(std::forward<V>(value));
    items_.emplace_back(std::move(key), Value(std::forward<V>(value)));
    return items_.back().value();
  }
  void erase(const Key& key) {
    for (auto it = items_.begin(); it != items_.end(); ++it) {
      if (it->key() == key) {
        items_.erase(it);
        return;
      }
    }
    AXON_ERROR("{} '{}' is not defined", key_description_, key);
  }

  Value* find(const Key& key) noexcept {
    for (Item& item : items_) {
      if (item.key() == key) return &item.value();
    }
    return nullptr;
  }
  const Value* find(const Key& key) const noexcept {
    return const_cast<OrderedDict*>(this)->find(key);
  }
  bool contains(const Key& key) const noexcept { return find(key) != nullptr; }
  Value& operator[](const Key& key) {
    Value* v = find(key);
    AXON_CHECK(v != nullptr, "{} '{}' is not defined", key_description_, key);
    return *v;
  }
  const Value& operator[](const Key& key) const { return const_cast<OrderedDict&>(*this)[key]; }
  Item& operator[](size_t index) {
    AXON_CHECK(index < items_.size(), "index {} is out of range for an OrderedDict of size {}",
               index, items_.size());
    return items_[index];
  }
  const Item& operator[](size_t index) const { return const_cast<OrderedDict&>(*this)[index]; }

  Iterator begin() { return items_.begin(); }
  Iterator end() { return items_.end(); }
  ConstIterator begin() const { return items_.begin(); }
  ConstIterator end() const { return items_.end(); }
  size_t size() const noexcept { return items_.size(); }
  bool is_empty() const noexcept { return items_.empty(); }
  void clear() { items_.clear(); }
  void reserve(size_t n) { items_.reserve(n); }

  const std::vector<Item>& items() const noexcept { return items_; }
  std::vector<Key> keys() const {
    std::vector<Key> out;
    out.reserve(items_.size());
    for (const Item& item : items_) out.push_back(item.key());
    return out;
  }
  std::vector<Value> values() const {
    std::vector<Value> out;
    out.reserve(items_.size());
    for (const Item& item : items_) out.push_back(item.value());
    return out;
  }

 private:
  std::vector<Item> items_;
  std::string key_description_ = "Key";
};

}  // namespace axon
