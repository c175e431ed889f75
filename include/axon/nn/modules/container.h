#pragma once
// Containers: Sequential (modules applied in order), ModuleList (an indexable list of
// submodules), Functional (a function as a module, to put torch-style functions in a
// Sequential).

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "axon/nn/modules/common.h"

namespace axon::nn {

// A module of any type with a `Tensor forward(Tensor)`, as Sequential stores it (LibTorch's
// AnyModule, for the one-tensor signature).
class AnyModule {
 public:
  template <typename ModuleType>
  AnyModule(std::shared_ptr<ModuleType> module)  // NOLINT: implicit, as LibTorch's
      : module_(module),
        forward_([raw = module.get()](const Tensor& x) -> Tensor { return raw->forward(x); }) {
    AXON_CHECK(module != nullptr, "AnyModule: the module is empty (nullptr)");
  }
  template <typename ModuleType>
  AnyModule(const ModuleHolder<ModuleType>& holder)  // NOLINT
      : AnyModule(holder.ptr()) {}

  Tensor forward(const Tensor& input) const { return forward_(input); }
  const std::shared_ptr<Module>& ptr() const { return module_; }

 private:
  std::shared_ptr<Module> module_;
  std::function<Tensor(const Tensor&)> forward_;
};

struct NamedAnyModule {
  template <typename M>
  NamedAnyModule(std::string name, M&& module)
      : name(std::move(name)), module(std::forward<M>(module)) {}
  std::string name;
  AnyModule module;
};

class SequentialImpl : public Module {
 public:
  SequentialImpl() = default;
  template <typename... Modules>
  requires(sizeof...(Modules) > 0) explicit SequentialImpl(Modules&&... modules) {
    (push_back(std::forward<Modules>(modules)), ...);
  }
  SequentialImpl(std::initializer_list<NamedAnyModule> named_modules) {
    for (const NamedAnyModule& m : named_modules) push_back(m.name, m.module);
  }

  // Appends a module under the next index ("0", "1", ...) or a given name.
  void push_back(AnyModule module) {
    push_back(std::to_string(modules_.size()), std::move(module));
  }
  void push_back(std::string name, AnyModule module);

  Tensor forward(const Tensor& input);
  size_t size() const noexcept { return modules_.size(); }
  bool is_empty() const noexcept { return modules_.empty(); }
  const std::shared_ptr<Module>& ptr(size_t index) const;
  template <typename T>
  std::shared_ptr<T> ptr(size_t index) const {
    return std::dynamic_pointer_cast<T>(ptr(index));
  }
  Module& operator[](size_t index) const { return *ptr(index); }

 private:
  std::vector<AnyModule> modules_;
};
// The holder also takes named modules: Sequential({{"fc", Linear(3, 2)}, {"act", ReLU()}}).
class Sequential : public ModuleHolder<SequentialImpl> {
 public:
  using ModuleHolder<SequentialImpl>::ModuleHolder;
  using Impl = SequentialImpl;
  Sequential(std::initializer_list<NamedAnyModule> named_modules)
      : ModuleHolder(std::make_shared<SequentialImpl>(named_modules)) {}
};

class ModuleListImpl : public Module {
 public:
  using Iterator = std::vector<std::shared_ptr<Module>>::iterator;
  using ConstIterator = std::vector<std::shared_ptr<Module>>::const_iterator;

  ModuleListImpl() = default;
  template <typename... Modules>
  requires(sizeof...(Modules) > 0) explicit ModuleListImpl(Modules&&... modules) {
    (push_back(std::forward<Modules>(modules)), ...);
  }

  void push_back(std::shared_ptr<Module> module);
  template <typename M>
  void push_back(const ModuleHolder<M>& holder) {
    push_back(std::shared_ptr<Module>(holder.ptr()));
  }
  template <typename M>
  requires std::is_base_of_v<Module, M>
  void push_back(std::shared_ptr<M> module) {
    push_back(std::shared_ptr<Module>(std::move(module)));
  }
  template <typename Container>
  void extend(const Container& container) {
    for (const auto& module : container) push_back(module);
  }

  size_t size() const noexcept { return modules_.size(); }
  bool is_empty() const noexcept { return modules_.empty(); }
  const std::shared_ptr<Module>& ptr(size_t index) const;
  template <typename T>
  std::shared_ptr<T> ptr(size_t index) const {
    return std::dynamic_pointer_cast<T>(ptr(index));
  }
  // The module at `index` as a T (an axon::Error if it is not one).
  template <typename T>
  T& at(size_t index) const {
    auto* m = dynamic_cast<T*>(ptr(index).get());
    AXON_CHECK(m != nullptr, "ModuleList::at: the module at index {} is a {}", index,
               ptr(index)->name());
    return *m;
  }
  std::shared_ptr<Module> operator[](size_t index) const { return ptr(index); }
  ConstIterator begin() const { return modules_.begin(); }
  ConstIterator end() const { return modules_.end(); }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};
AXON_MODULE(ModuleList);

class FunctionalImpl : public Module {
 public:
  using Function = std::function<Tensor(Tensor)>;
  explicit FunctionalImpl(Function function);
  // Binds extra arguments after the input: Functional(axon::leaky_relu, 0.2).
  template <typename F, typename A, typename... As>
  FunctionalImpl(F function, A&& arg, As&&... args)
      : FunctionalImpl(Function(
            [function, arg, args...](Tensor input) { return function(input, arg, args...); })) {}
  Tensor forward(Tensor input) { return function_(std::move(input)); }
  Tensor operator()(Tensor input) { return forward(std::move(input)); }

 private:
  Function function_;
};
AXON_MODULE(Functional);

}  // namespace axon::nn
