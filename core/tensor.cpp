// Tensor's methods: properties, autograd accessors, and forwarding to the free functions.
#include "axon/tensor.h"

#include <sstream>

#include "axon/autograd/engine.h"
#include "axon/autograd/node.h"
#include "axon/functions.h"
#include "core/tensor_utils.h"

namespace axon {

int64_t Tensor::size(int64_t d) const {
  detail::check_defined(*this, "size");
  AXON_CHECK(dim() > 0, "size: dimension specified as {} but tensor has no dimensions", d);
  return sizes()[detail::wrap_dim(d, dim(), "size")];
}

int64_t Tensor::stride(int64_t d) const {
  detail::check_defined(*this, "stride");
  AXON_CHECK(dim() > 0, "stride: dimension specified as {} but tensor has no dimensions", d);
  return strides()[detail::wrap_dim(d, dim(), "stride")];
}

TensorOptions Tensor::options() const { return TensorOptions().dtype(dtype()).device(device()); }

std::string Tensor::toString() const {
  std::ostringstream os;
  os << *this;
  return os.str();
}

// ---- autograd -------------------------------------------------------------------------------

const Tensor& Tensor::requires_grad_(bool requires_grad) const {
  detail::check_defined(*this, "requires_grad_");
  AXON_CHECK(!requires_grad || is_floating_point(),
             "only Tensors of floating point dtype can require gradients (got {})", dtype());
  AXON_CHECK(is_leaf() || requires_grad,
             "you can only change requires_grad flags of leaf variables. If you want to use a "
             "computed variable in a subgraph that doesn't require differentiation use "
             "var_no_grad = var.detach().");
  impl_->set_requires_grad(requires_grad);
  return *this;
}

const Tensor& Tensor::grad() const { return detail::checked_impl(*this, "grad")->grad(); }
Tensor& Tensor::mutable_grad() const { return detail::checked_impl(*this, "grad")->grad(); }

const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const {
  return detail::checked_impl(*this, "grad_fn")->grad_fn();
}

bool Tensor::is_leaf() const { return grad_fn() == nullptr; }
uint32_t Tensor::output_nr() const { return detail::checked_impl(*this, "output_nr")->output_nr(); }
uint32_t Tensor::_version() const { return storage()->version(); }
bool Tensor::retains_grad() const {
  return detail::checked_impl(*this, "retains_grad")->retains_grad();
}

void Tensor::retain_grad() const {
  detail::check_defined(*this, "retain_grad");
  AXON_CHECK(requires_grad(), "can't retain_grad on Tensor that has requires_grad=False");
  if (is_leaf() || retains_grad()) return;
  grad_fn()->add_retained_grad(output_nr(), impl_);
  impl_->set_retains_grad(true);
}

void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph,
                      std::optional<std::vector<Tensor>> inputs) const {
  detail::check_defined(*this, "backward");
  autograd::backward({*this}, gradient.defined() ? variable_list{gradient} : variable_list{},
                     retain_graph, create_graph, inputs.value_or(variable_list{}));
}

// ---- forwarding -----------------------------------------------------------------------------

Tensor Tensor::view(IntArrayRef size) const { return axon::view(*this, size); }
Tensor Tensor::reshape(IntArrayRef shape) const { return axon::reshape(*this, shape); }
Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  return axon::flatten(*this, start_dim, end_dim);
}
Tensor Tensor::squeeze() const { return axon::squeeze(*this); }
Tensor Tensor::squeeze(int64_t d) const { return axon::squeeze(*this, d); }
Tensor Tensor::unsqueeze(int64_t d) const { return axon::unsqueeze(*this, d); }
Tensor Tensor::transpose(int64_t d0, int64_t d1) const { return axon::transpose(*this, d0, d1); }
Tensor Tensor::t() const { return axon::t(*this); }
Tensor Tensor::permute(IntArrayRef dims) const { return axon::permute(*this, dims); }
Tensor Tensor::select(int64_t d, int64_t index) const { return axon::select(*this, d, index); }
Tensor Tensor::slice(int64_t d, std::optional<int64_t> start, std::optional<int64_t> end,
                     int64_t step) const {
  return axon::slice(*this, d, start, end, step);
}
Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  return axon::narrow(*this, d, start, length);
}
Tensor Tensor::expand(IntArrayRef size) const { return axon::expand(*this, size); }
std::vector<Tensor> Tensor::split(int64_t split_size, int64_t d) const {
  return axon::split(*this, split_size, d);
}
std::vector<Tensor> Tensor::split(IntArrayRef split_sizes, int64_t d) const {
  return axon::split(*this, split_sizes, d);
}
std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t d) const {
  return axon::chunk(*this, chunks, d);
}
std::vector<Tensor> Tensor::unbind(int64_t d) const { return axon::unbind(*this, d); }
Tensor Tensor::contiguous() const { return axon::contiguous(*this); }
Tensor Tensor::clone() const { return axon::clone(*this); }

Tensor Tensor::add(const Tensor& other, const Scalar& alpha) const {
  return axon::add(*this, other, alpha);
}
Tensor Tensor::add(const Scalar& other, const Scalar& alpha) const {
  return axon::add(*this, other, alpha);
}
Tensor Tensor::sub(const Tensor& other, const Scalar& alpha) const {
  return axon::sub(*this, other, alpha);
}
Tensor Tensor::sub(const Scalar& other, const Scalar& alpha) const {
  return axon::sub(*this, other, alpha);
}
Tensor Tensor::mul(const Tensor& other) const { return axon::mul(*this, other); }
Tensor Tensor::mul(const Scalar& other) const { return axon::mul(*this, other); }
Tensor Tensor::div(const Tensor& other) const { return axon::div(*this, other); }
Tensor Tensor::div(const Scalar& other) const { return axon::div(*this, other); }
Tensor Tensor::pow(const Tensor& exponent) const { return axon::pow(*this, exponent); }
Tensor Tensor::pow(const Scalar& exponent) const { return axon::pow(*this, exponent); }
Tensor Tensor::maximum(const Tensor& other) const { return axon::maximum(*this, other); }
Tensor Tensor::minimum(const Tensor& other) const { return axon::minimum(*this, other); }

Tensor Tensor::neg() const { return axon::neg(*this); }
Tensor Tensor::exp() const { return axon::exp(*this); }
Tensor Tensor::log() const { return axon::log(*this); }
Tensor Tensor::sqrt() const { return axon::sqrt(*this); }
Tensor Tensor::rsqrt() const { return axon::rsqrt(*this); }
Tensor Tensor::abs() const { return axon::abs(*this); }
Tensor Tensor::sign() const { return axon::sign(*this); }
Tensor Tensor::sin() const { return axon::sin(*this); }
Tensor Tensor::cos() const { return axon::cos(*this); }
Tensor Tensor::tanh() const { return axon::tanh(*this); }
Tensor Tensor::sigmoid() const { return axon::sigmoid(*this); }
Tensor Tensor::relu() const { return axon::relu(*this); }
Tensor Tensor::square() const { return axon::square(*this); }
Tensor Tensor::logical_not() const { return axon::logical_not(*this); }
Tensor Tensor::isnan() const { return axon::isnan(*this); }
Tensor Tensor::isinf() const { return axon::isinf(*this); }
Tensor Tensor::isfinite() const { return axon::isfinite(*this); }
Tensor Tensor::clamp(const std::optional<Scalar>& min, const std::optional<Scalar>& max) const {
  return axon::clamp(*this, min, max);
}
Tensor Tensor::clamp_min(const Scalar& min) const { return axon::clamp_min(*this, min); }
Tensor Tensor::clamp_max(const Scalar& max) const { return axon::clamp_max(*this, max); }
Tensor Tensor::masked_fill(const Tensor& mask, const Scalar& value) const {
  return axon::masked_fill(*this, mask, value);
}

#define AXON_FORWARD_COMPARISON(fn)                                               \
  Tensor Tensor::fn(const Tensor& other) const { return axon::fn(*this, other); } \
  Tensor Tensor::fn(const Scalar& other) const { return axon::fn(*this, other); }
AXON_FORWARD_COMPARISON(eq)
AXON_FORWARD_COMPARISON(ne)
AXON_FORWARD_COMPARISON(lt)
AXON_FORWARD_COMPARISON(le)
AXON_FORWARD_COMPARISON(gt)
AXON_FORWARD_COMPARISON(ge)
#undef AXON_FORWARD_COMPARISON
Tensor Tensor::logical_and(const Tensor& other) const { return axon::logical_and(*this, other); }
Tensor Tensor::logical_or(const Tensor& other) const { return axon::logical_or(*this, other); }
Tensor Tensor::logical_xor(const Tensor& other) const { return axon::logical_xor(*this, other); }
bool Tensor::equal(const Tensor& other) const { return axon::equal(*this, other); }
bool Tensor::allclose(const Tensor& other, double rtol, double atol, bool equal_nan) const {
  return axon::allclose(*this, other, rtol, atol, equal_nan);
}
Tensor Tensor::isclose(const Tensor& other, double rtol, double atol, bool equal_nan) const {
  return axon::isclose(*this, other, rtol, atol, equal_nan);
}

Tensor Tensor::sum(std::optional<DType> dtype) const { return axon::sum(*this, dtype); }
Tensor Tensor::sum(IntArrayRef d, bool keepdim, std::optional<DType> dtype) const {
  return axon::sum(*this, d, keepdim, dtype);
}
Tensor Tensor::mean(std::optional<DType> dtype) const { return axon::mean(*this, dtype); }
Tensor Tensor::mean(IntArrayRef d, bool keepdim, std::optional<DType> dtype) const {
  return axon::mean(*this, d, keepdim, dtype);
}
Tensor Tensor::prod(std::optional<DType> dtype) const { return axon::prod(*this, dtype); }
Tensor Tensor::prod(int64_t d, bool keepdim, std::optional<DType> dtype) const {
  return axon::prod(*this, d, keepdim, dtype);
}
Tensor Tensor::max() const { return axon::max(*this); }
std::tuple<Tensor, Tensor> Tensor::max(int64_t d, bool keepdim) const {
  return axon::max(*this, d, keepdim);
}
Tensor Tensor::min() const { return axon::min(*this); }
std::tuple<Tensor, Tensor> Tensor::min(int64_t d, bool keepdim) const {
  return axon::min(*this, d, keepdim);
}
Tensor Tensor::amax(IntArrayRef d, bool keepdim) const { return axon::amax(*this, d, keepdim); }
Tensor Tensor::amin(IntArrayRef d, bool keepdim) const { return axon::amin(*this, d, keepdim); }
Tensor Tensor::argmax(std::optional<int64_t> d, bool keepdim) const {
  return axon::argmax(*this, d, keepdim);
}
Tensor Tensor::argmin(std::optional<int64_t> d, bool keepdim) const {
  return axon::argmin(*this, d, keepdim);
}
Tensor Tensor::var(bool unbiased) const { return axon::var(*this, unbiased); }
Tensor Tensor::var(IntArrayRef d, bool unbiased, bool keepdim) const {
  return axon::var(*this, d, unbiased, keepdim);
}
Tensor Tensor::std(bool unbiased) const { return axon::std(*this, unbiased); }
Tensor Tensor::std(IntArrayRef d, bool unbiased, bool keepdim) const {
  return axon::std(*this, d, unbiased, keepdim);
}
Tensor Tensor::logsumexp(IntArrayRef d, bool keepdim) const {
  return axon::logsumexp(*this, d, keepdim);
}
Tensor Tensor::any() const { return axon::any(*this); }
Tensor Tensor::all() const { return axon::all(*this); }
Tensor Tensor::softmax(int64_t d, std::optional<DType> dtype) const {
  return axon::softmax(*this, d, dtype);
}
Tensor Tensor::log_softmax(int64_t d, std::optional<DType> dtype) const {
  return axon::log_softmax(*this, d, dtype);
}

Tensor Tensor::matmul(const Tensor& other) const { return axon::matmul(*this, other); }
Tensor Tensor::mm(const Tensor& other) const { return axon::mm(*this, other); }
Tensor Tensor::bmm(const Tensor& other) const { return axon::bmm(*this, other); }

}  // namespace axon
