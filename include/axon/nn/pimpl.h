#pragma once
// Module holders, as LibTorch's: `nn::Linear` is a shared handle to an `nn::LinearImpl`.
//
//   nn::Linear fc1{nullptr};                              // empty, assigned later
//   fc1 = register_module("fc1", nn::Linear(784, 128));   // constructs a LinearImpl
//   fc1->forward(x);  fc1(x);                             // both call LinearImpl::forward
//
// AXON_MODULE(Name) declares the holder `Name` for a user's `NameImpl`, as TORCH_MODULE does.

#include <cstddef>
#include <memory>
#include <ostream>
#include <type_traits>
#include <utility>

#include "axon/error.h"

namespace axon::nn {

template <typename Contained>
class ModuleHolder {
 public:
  using ContainedType = Contained;

  // Default-constructs the module when it can be; otherwise a holder needs arguments.
  ModuleHolder() requires std::is_default_constructible_v<Contained>
      : impl_(std::make_shared<Contained>()) {}
  ModuleHolder(std::nullptr_t) : impl_(nullptr) {}
  template <typename Head, typename... Tail>
  requires(!std::is_same_v<std::decay_t<Head>, ModuleHolder> &&
           !std::is_same_v<std::decay_t<Head>, std::nullptr_t> &&
           !std::is_same_v<std::decay_t<Head>, std::shared_ptr<Contained>> &&
           std::is_constructible_v<Contained, Head, Tail...>) explicit ModuleHolder(Head&& head,
                                                                                    Tail&&... tail)
      : impl_(std::make_shared<Contained>(std::forward<Head>(head), std::forward<Tail>(tail)...)) {}
  ModuleHolder(std::shared_ptr<Contained> module) : impl_(std::move(module)) {}

  explicit operator bool() const noexcept { return !is_empty(); }
  bool is_empty() const noexcept { return impl_ == nullptr; }

  Contained* operator->() { return get(); }
  const Contained* operator->() const { return get(); }
  Contained& operator*() { return *get(); }
  const Contained& operator*() const { return *get(); }
  const std::shared_ptr<Contained>& ptr() const {
    check_not_empty();
    return impl_;
  }
  Contained* get() {
    check_not_empty();
    return impl_.get();
  }
  const Contained* get() const {
    check_not_empty();
    return impl_.get();
  }

  // Calls the module's forward().
  template <typename... Args>
  decltype(auto) operator()(Args&&... args) {
    return get()->forward(std::forward<Args>(args)...);
  }

 protected:
  void check_not_empty() const {
    AXON_CHECK(impl_ != nullptr,
               "accessing an empty module holder: it was constructed with nullptr and never "
               "assigned a module");
  }
  std::shared_ptr<Contained> impl_;
};

template <typename Contained>
std::ostream& operator<<(std::ostream& stream, const ModuleHolder<Contained>& module) {
  return stream << *module;
}

}  // namespace axon::nn

#define AXON_MODULE_IMPL(Name, ImplType)                    \
  class Name : public ::axon::nn::ModuleHolder<ImplType> {  \
   public:                                                  \
    using ::axon::nn::ModuleHolder<ImplType>::ModuleHolder; \
    using Impl = ImplType;                                  \
  }

#define AXON_MODULE(Name) AXON_MODULE_IMPL(Name, Name##Impl)
