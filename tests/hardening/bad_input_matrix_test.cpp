// The bad-input matrix: one row per mistake a user can make with the library (ops, modules,
// optimizers, data files, checkpoints), each its own ctest case. A row passes when the mistake
// throws an axon::Error whose message contains every listed substring (the op and the offending
// values); a crash, a hang, another exception type or a vaguer message fails it. A second table
// holds the empty-tensor cases that PyTorch 1.13 accepts, which must work rather than throw.
// Expectations follow PyTorch 1.13 (/usr/bin/python3) where it defines them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "axon/axon.h"
#include "data/data_files.h"
#include "test_utils.h"

namespace axon {
namespace {

namespace fs = std::filesystem;
using testing::Bytes;
using testing::kInf;
using testing::kNaN;

// Where a row can run: anywhere, only with a usable GPU (a true device mismatch needs a CUDA
// tensor), or only without one (asking for CUDA must fail clearly).
enum class Needs { kNothing, kGpu, kNoGpu };

struct BadInput {
  const char* name;
  std::function<void()> run;
  std::vector<std::string> message;  // substrings the error's message must contain
  Needs needs = Needs::kNothing;
};

// The scratch folder of the running row: data rows write their broken files here.
fs::path& scratch() {
  static fs::path folder;
  return folder;
}

Bytes truncated(Bytes bytes, size_t size) {
  bytes.resize(size);
  return bytes;
}

// A folder holding the four MNIST files with `n` images, then `change` applied to its files.
std::string mnist_folder(uint32_t n, const std::function<void(const fs::path&)>& change = {}) {
  const fs::path dir = scratch() / "mnist";
  fs::create_directories(dir);
  for (const char* split : {"train", "t10k"}) {
    testing::write_file(dir / (std::string(split) + "-images-idx3-ubyte"), testing::idx_images(n));
    testing::write_file(dir / (std::string(split) + "-labels-idx1-ubyte"),
                        testing::idx_labels(testing::cycling_labels(n)));
  }
  if (change) change(dir);
  return dir.string();
}

std::string safetensors_bytes() {
  return serialize::save_safetensors_to_bytes({{"w", ones({2, 3})}});
}

// A safetensors file of `header` (padded to 8 bytes) and `data_size` zero bytes.
void load_header(std::string header, size_t data_size) {
  header.resize((header.size() + 7) / 8 * 8, ' ');
  std::string bytes(8, '\0');
  for (size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  serialize::load_safetensors_from_bytes(bytes + header + std::string(data_size, '\0'),
                                         "bad.safetensors");
}

Tensor param(IntArrayRef shape) { return zeros(shape).requires_grad_(); }

const Tensor& with_grad(const Tensor& p, double g) {
  p.mutable_grad() = full(p.sizes(), g);
  return p;
}

const std::vector<BadInput>& bad_inputs() {
  static const std::vector<BadInput> rows = {
      // --- ops: shapes ---
      {"add_shapes_do_not_broadcast",
       [] {
         add(zeros({2, 3}), zeros({4}));
       },
       {"[2, 3]", "[4]"}},
      {"inplace_add_broadcasts_past_self",
       [] {
         zeros({3}).add_(zeros({2, 3}));
       },
       {"[3]", "[2, 3]"}},
      {"mm_inner_sizes_differ",
       [] {
         mm(zeros({2, 3}), zeros({4, 5}));
       },
       {"mm", "2x3", "4x5"}},
      {"mm_of_a_vector",
       [] {
         mm(zeros({3}), zeros({3, 5}));
       },
       {"mm", "[3]"}},
      {"bmm_batch_sizes_differ",
       [] {
         bmm(zeros({2, 2, 3}), zeros({3, 3, 5}));
       },
       {"bmm", "2 matrices", "3"}},
      {"matmul_of_a_scalar", [] { matmul(tensor(1.0), zeros({3})); }, {"matmul", "0D"}},
      {"matmul_vectors_differ", [] { matmul(zeros({3}), zeros({4})); }, {"matmul", "3", "4"}},
      {"view_size_mismatch",
       [] {
         zeros({6}).view({4, 2});
       },
       {"view", "[4, 2]", "6"}},
      {"view_two_inferred_dims",
       [] {
         zeros({6}).view({-1, -1});
       },
       {"view", "only one"}},
      {"view_negative_size",
       [] {
         zeros({6}).view({-2, 3});
       },
       {"view", "-2"}},
      {"view_across_strides",
       [] {
         zeros({2, 3}).t().view({6});
       },
       {"view", "reshape"}},
      {"reshape_empty_with_inferred_dim",
       [] {
         zeros({0}).reshape({0, -1});
       },
       {"reshape", "[0, -1]", "size 0"}},
      {"permute_repeats_a_dim",
       [] {
         zeros({2, 3}).permute({0, 0});
       },
       {"permute", "repeated dim 0", "[0, 0]"}},
      {"permute_wrong_count",
       [] {
         zeros({2, 3}).permute({0});
       },
       {"permute", "2", "1"}},
      {"expand_to_smaller_size", [] { zeros({3}).expand({2}); }, {"expand", "[3]", "[2]"}},
      {"expand_negative_size",
       [] {
         zeros({3}).expand({-2, 3});
       },
       {"expand", "-2"}},
      {"narrow_past_the_end", [] { zeros({5}).narrow(0, 3, 4); }, {"narrow", "3", "4", "5"}},
      {"narrow_negative_length", [] { zeros({5}).narrow(0, 1, -1); }, {"narrow", "-1"}},
      {"slice_step_zero", [] { zeros({5}).slice(0, 0, 5, 0); }, {"slice", "step", "0"}},
      {"cat_empty_list", [] { cat(std::vector<Tensor>{}); }, {"cat", "non-empty"}},
      {"cat_sizes_differ",
       [] {
         cat({zeros({2, 3}), zeros({2, 4})});
       },
       {"cat", "3", "4", "tensor number 1"}},
      {"cat_of_scalars",
       [] {
         cat({tensor(1.0), tensor(2.0)});
       },
       {"cat", "zero-dimensional"}},
      {"stack_sizes_differ",
       [] {
         stack({zeros({2}), zeros({3})});
       },
       {"stack", "[2]", "[3]"}},
      {"stack_empty_list", [] { stack(std::vector<Tensor>{}); }, {"stack", "non-empty"}},
      {"split_size_zero",
       [] { zeros({4}).split(0); },
       {"split", "split_size can only be 0", "size of 4"}},
      {"split_sizes_do_not_sum",
       [] {
         zeros({4}).split(IntArrayRef{1, 2});
       },
       {"split", "4", "[1, 2]"}},
      {"chunk_zero_chunks", [] { zeros({4}).chunk(0); }, {"chunk", "0"}},
      {"copy_shapes_do_not_broadcast", [] { zeros({3}).copy_(zeros({4})); }, {"[3]", "[4]"}},
      {"tensor_shape_does_not_hold_values",
       [] {
         tensor(std::vector<float>{1, 2, 3}, {2, 2});
       },
       {"tensor", "[2, 2]", "3"}},
      {"item_of_many_elements", [] { zeros({2}).item(); }, {"2 elements", "Scalar"}},
      {"item_of_empty_tensor", [] { zeros({0}).item(); }, {"0 elements", "Scalar"}},
      {"index_put_shape_mismatch",
       [] {
         zeros({3, 4}).index_put_({indexing::Slice()}, zeros({5}));
       },
       {"[5]", "[3, 4]"}},
      {"index_too_many_indices",
       [] {
         zeros({3}).index({0, 0});
       },
       {"too many indices", "1"}},
      // --- ops: dtypes ---
      {"mm_dtypes_differ",
       [] {
         mm(zeros({2, 3}), zeros({3, 2}, kFloat64));
       },
       {"mm", "float32", "float64"}},
      {"inplace_add_float_into_int",
       [] { zeros({3}, kInt64).add_(ones({3})); },
       {"float32", "int64"}},
      {"integer_alpha_is_float",
       [] { add(zeros({3}, kInt64), ones({3}, kInt64), 0.5); },
       {"add", "integral", "alpha"}},
      {"integer_to_negative_power",
       [] {
         tensor({2, 3}).pow(-1);
       },
       {"pow", "negative"}},
      {"where_condition_not_bool",
       [] { where(ones({3}), zeros({3}), ones({3})); },
       {"where", "bool", "float32"}},
      {"mean_of_integers",
       [] {
         zeros({2, 3}, kInt64).mean();
       },
       {"mean", "int64"}},
      {"var_of_integers",
       [] {
         zeros({2, 3}, kInt64).var();
       },
       {"var", "int64"}},
      {"softmax_of_integers",
       [] {
         zeros({2, 3}, kInt64).softmax(1);
       },
       {"softmax", "int64"}},
      {"conv2d_weight_dtype_differs",
       [] {
         conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}, kFloat64));
       },
       {"conv2d", "float32", "float64"}},
      {"nll_loss_float_target",
       [] {
         nll_loss(zeros({2, 3}), zeros({2}));
       },
       {"nll_loss", "int64", "float32"}},
      {"requires_grad_on_integers",
       [] { zeros({2}, kInt64).requires_grad_(); },
       {"require gradients", "int64"}},
      {"data_ptr_of_wrong_type", [] { zeros({2}).data_ptr<double>(); }, {"float32", "float64"}},
      // --- ops: devices ---
      {"to_cuda_without_gpu", [] { zeros({2}).to(Device(kCUDA)); }, {"CUDA"}, Needs::kNoGpu},
      {"empty_on_cuda_without_gpu",
       [] { empty({2}, TensorOptions(kCUDA)); },
       {"CUDA"},
       Needs::kNoGpu},
      {"pin_memory_without_gpu",
       [] { zeros({2}).pin_memory(); },
       {"pin_memory", "CUDA"},
       Needs::kNoGpu},
      {"set_device_without_gpu", [] { cuda::set_device(0); }, {"set_device", "CUDA"}, Needs::kNoGpu},
      {"data_loader_to_cuda_without_gpu",
       [] {
         auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
             data::datasets::TensorDataset(zeros({4, 2}), zeros({4}))
                 .map(data::transforms::Stack<>()),
             data::DataLoaderOptions(2).device(Device(kCUDA)));
         for (auto& batch : *loader) (void)batch;
       },
       {"cuda"},
       Needs::kNoGpu},
      {"device_string_unknown", [] { Device("cudaa"); }, {"cudaa"}},
      {"device_string_negative_index", [] { Device("cuda:-1"); }, {"cuda:-1"}},
      {"add_cpu_and_cuda",
       [] { add(zeros({2}), zeros({2}).to(Device(kCUDA))); },
       {"cpu", "cuda"},
       Needs::kGpu},
      {"mm_cpu_and_cuda",
       [] {
         mm(zeros({2, 2}), zeros({2, 2}).to(Device(kCUDA)));
       },
       {"mm", "cpu", "cuda"},
       Needs::kGpu},
      {"linear_input_on_cpu_weight_on_cuda",
       [] {
         nn::Linear layer(3, 2);
         layer->to(Device(kCUDA));
         layer(zeros({2, 3}));
       },
       {"cpu", "cuda"},
       Needs::kGpu},
      // --- ops: dims and indices out of range ---
      {"sum_dim_out_of_range",
       [] {
         zeros({2, 3}).sum(IntArrayRef{2});
       },
       {"[-2, 1]", "2"}},
      {"sum_dim_repeated",
       [] {
         zeros({2, 3}).sum(IntArrayRef{0, 0});
       },
       {"dim 0", "multiple"}},
      {"softmax_dim_out_of_range",
       [] {
         zeros({2, 3}).softmax(2);
       },
       {"[-2, 1]", "2"}},
      {"transpose_dim_out_of_range",
       [] {
         zeros({2, 3}).transpose(0, 2);
       },
       {"[-2, 1]", "2"}},
      {"unsqueeze_dim_out_of_range",
       [] {
         zeros({2, 3}).unsqueeze(4);
       },
       {"[-3, 2]", "4"}},
      {"squeeze_dim_out_of_range",
       [] {
         zeros({2, 3}).squeeze(-3);
       },
       {"[-2, 1]", "-3"}},
      {"flatten_start_after_end",
       [] {
         zeros({2, 3, 4}).flatten(2, 1);
       },
       {"flatten", "start_dim"}},
      {"argmax_dim_out_of_range", [] { zeros({3}).argmax(1); }, {"[-1, 0]", "1"}},
      {"select_index_out_of_range", [] { zeros({3}).select(0, 3); }, {"select", "3", "[3]"}},
      {"select_on_a_scalar", [] { tensor(1.0).select(0, 0); }, {"select", "0-dim"}},
      {"index_out_of_range", [] { zeros({3}).index({5}); }, {"5", "3"}},
      {"unbind_a_scalar", [] { tensor(1.0).unbind(); }, {"unbind", "0"}},
      {"nll_loss_target_too_large",
       [] {
         nll_loss(zeros({2, 3}), tensor({0, 3}));
       },
       {"nll_loss", "target 3", "3 classes"}},
      {"nll_loss_target_negative",
       [] {
         nll_loss(zeros({2, 3}), tensor({0, -1}));
       },
       {"nll_loss", "-1"}},
      {"cat_dim_out_of_range",
       [] {
         cat({zeros({2, 3})}, 2);
       },
       {"[-2, 1]", "2"}},
      {"too_many_dims", [] { zeros(std::vector<int64_t>(17, 1)); }, {"17"}},
      // --- ops: sizes and arguments ---
      {"empty_negative_size", [] { empty({-1}); }, {"negative", "-1"}},
      {"empty_size_overflows",
       [] {
         empty({int64_t{1} << 40, int64_t{1} << 40});
       },
       {"overflowed", "[1099511627776, 1099511627776]"}},
      {"arange_step_zero", [] { arange(0, 5, 0); }, {"arange", "step"}},
      {"arange_step_wrong_sign", [] { arange(0, 5, -1); }, {"arange", "sign"}},
      {"arange_to_nan", [] { arange(0, kNaN); }, {"arange", "nan"}},
      {"arange_to_inf", [] { arange(0, kInf); }, {"arange", "inf"}},
      {"linspace_negative_steps", [] { linspace(0, 1, -1); }, {"linspace", "-1"}},
      {"eye_negative", [] { eye(-1); }, {"eye", "-1"}},
      {"randint_empty_range", [] { randint(5, 5, {3}); }, {"randint", "5"}},
      {"randperm_negative", [] { randperm(-1); }, {"randperm", "-1"}},
      {"uniform_from_above_to", [] { uniform_(zeros({3}), 2, 1); }, {"uniform_", "2", "1"}},
      {"normal_negative_std", [] { normal_(zeros({3}), 0, -1); }, {"normal_", "-1"}},
      {"bernoulli_p_above_one", [] { bernoulli_(zeros({3}), 1.5); }, {"bernoulli_", "1.5"}},
      {"dropout_p_above_one", [] { dropout(zeros({3}), 1.5, true); }, {"dropout", "1.5"}},
      {"gelu_unknown_approximation", [] { gelu(zeros({3}), "foo"); }, {"gelu", "foo"}},
      {"conv2d_stride_zero",
       [] {
         conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), {}, 0);
       },
       {"conv2d", "stride"}},
      {"conv2d_negative_padding",
       [] {
         conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), {}, 1, -1);
       },
       {"conv2d", "padding"}},
      {"conv2d_dilation_zero",
       [] {
         conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), {}, 1, 0, 0);
       },
       {"conv2d", "dilation"}},
      {"conv2d_groups_zero",
       [] {
         conv2d(zeros({1, 1, 5, 5}), zeros({1, 1, 3, 3}), {}, 1, 0, 1, 0);
       },
       {"conv2d", "groups"}},
      {"conv2d_bias_size",
       [] {
         conv2d(zeros({1, 1, 5, 5}), zeros({2, 1, 3, 3}), zeros({3}));
       },
       {"conv2d", "bias", "[3]"}},
      {"max_pool2d_kernel_zero",
       [] {
         max_pool2d(zeros({1, 1, 5, 5}), {0, 0});
       },
       {"max_pool2d"}},
      {"max_pool2d_padding_above_half_kernel",
       [] {
         max_pool2d(zeros({1, 1, 5, 5}), {2, 2}, {2, 2}, {2, 2});
       },
       {"max_pool2d", "pad", "2"}},
      {"max_pool2d_output_empty",
       [] {
         max_pool2d(zeros({1, 1, 1, 1}), {3, 3});
       },
       {"max_pool2d", "too small"}},
      {"avg_pool2d_divisor_zero",
       [] {
         avg_pool2d(zeros({1, 1, 4, 4}), {2, 2}, {}, 0, false, true, 0);
       },
       {"avg_pool2d", "divisor"}},
      {"adaptive_avg_pool2d_negative_size",
       [] {
         adaptive_avg_pool2d(zeros({1, 1, 4, 4}), {-1, 2});
       },
       {"adaptive_avg_pool2d", "-1"}},
      {"adaptive_avg_pool2d_empty_input",
       [] {
         adaptive_avg_pool2d(zeros({1, 1, 0, 4}), {2, 2});
       },
       {"adaptive_avg_pool2d", "[1, 1, 0, 4]"}},
      {"cross_entropy_label_smoothing_above_one",
       [] {
         cross_entropy_loss(zeros({2, 3}), tensor({0, 1}), {}, kMean, -100, 1.5);
       },
       {"label_smoothing", "1.5"}},
      {"set_rng_state_wrong_size",
       [] { set_rng_state(zeros({3}, kUInt8)); },
       {"set_state", "3 bytes"}},
      {"full_nan_into_int64", [] { full({2}, kNaN, TensorOptions(kInt64)); }, {"nan", "int64"}},
      {"fill_inf_into_int64", [] { zeros({2}, kInt64).fill_(kInf); }, {"inf", "int64"}},
      {"full_300_into_uint8", [] { full({2}, 300, TensorOptions(kUInt8)); }, {"300", "uint8"}},
      {"masked_fill_nan_into_int64",
       [] {
         zeros({2}, kInt64).masked_fill(tensor({true, false}), kNaN);
       },
       {"nan", "int64"}},
      {"arange_size_overflows", [] { arange(0, 1e30); }, {"arange", "1e+30"}},
      {"linspace_size_overflows", [] { linspace(0, 1, int64_t{1} << 62); }, {"overflowed"}},
      {"eye_size_overflows", [] { eye(int64_t{1} << 40); }, {"overflowed"}},
      {"randint_negative_size", [] { randint(0, 5, {-1}); }, {"negative", "-1"}},
      {"index_slice_step_zero",
       [] { zeros({3}).index({indexing::Slice(0, 2, 0)}); },
       {"step", "0"}},
      {"inplace_into_expanded_tensor",
       [] {
         zeros({3}).expand({2, 3}).add_(1);
       },
       {"add_", "more than one element"}},
      {"conv2d_weight_rank_three",
       [] {
         conv2d(zeros({1, 1, 5, 5}), zeros({1, 3, 3}));
       },
       {"conv2d", "weight", "[1, 3, 3]"}},
      {"avg_pool2d_padding_above_half_kernel",
       [] {
         avg_pool2d(zeros({1, 1, 5, 5}), {2, 2}, {2, 2}, {2, 2});
       },
       {"avg_pool2d", "pad"}},
      {"avg_pool2d_kernel_zero",
       [] {
         avg_pool2d(zeros({1, 1, 5, 5}), {0, 0});
       },
       {"avg_pool2d"}},
      {"max_pool2d_dilation_zero",
       [] {
         max_pool2d(zeros({1, 1, 5, 5}), {2, 2}, {2, 2}, {0, 0}, {0, 0});
       },
       {"max_pool2d", "dilation"}},
      {"max_pool2d_negative_stride",
       [] {
         max_pool2d(zeros({1, 1, 5, 5}), {2, 2}, {-1, -1});
       },
       {"max_pool2d", "stride", "-1"}},
      {"nll_loss_weight_size",
       [] {
         nll_loss(zeros({2, 3}), tensor({0, 1}), ones({4}));
       },
       {"nll_loss", "weight", "3 entries", "[4]"}},
      {"nll_loss_spatial_target_shape",
       [] {
         nll_loss(zeros({2, 3, 4}), zeros({2, 5}, kInt64));
       },
       {"nll_loss", "[2, 4]", "[2, 5]"}},
      {"batch_norm_running_var_size",
       [] {
         batch_norm(zeros({2, 3}), {}, {}, zeros({3}), ones({4}), false, 0.1, 1e-5);
       },
       {"batch_norm", "running_var", "4"}},
      {"bce_with_logits_pos_weight_size",
       [] {
         binary_cross_entropy_with_logits(zeros({2, 3}), zeros({2, 3}), {}, ones({4}));
       },
       {"binary_cross_entropy_with_logits", "pos_weight", "[4]", "[2, 3]"}},
      {"bce_weight_size",
       [] {
         binary_cross_entropy(full({2, 3}, 0.5), zeros({2, 3}), ones({4}));
       },
       {"binary_cross_entropy", "weight", "[4]", "[2, 3]"}},
      {"softmax_to_int64", [] { zeros({2}).softmax(0, kInt64); }, {"softmax", "int64"}},
      {"mean_to_int64", [] { zeros({2}).mean(kInt64); }, {"mean", "int64"}},
      {"logsumexp_dim_repeated",
       [] {
         zeros({2, 3}).logsumexp({0, 0});
       },
       {"logsumexp", "dim 0", "multiple"}},
      {"dropout_p_nan", [] { dropout(zeros({3}), kNaN, true); }, {"dropout", "nan"}},
      {"bernoulli_p_nan", [] { bernoulli_(zeros({3}), kNaN); }, {"bernoulli_", "nan"}},
      {"uniform_to_inf", [] { uniform_(zeros({3}), 0, kInf); }, {"uniform_", "inf", "finite"}},
      {"uniform_to_nan", [] { uniform_(zeros({3}), 0, kNaN); }, {"uniform_", "nan", "finite"}},
      {"uniform_width_past_float32",
       [] { uniform_(zeros({3}), -3e38, 3e38); },
       {"uniform_", "finite in float32"}},
      {"normal_std_nan", [] { normal_(zeros({3}), 0, kNaN); }, {"normal_", "nan"}},
      {"device_index_past_int8", [] { Device("cuda:300"); }, {"cuda:300"}},
      {"device_index_past_int64", [] { Device("cuda:99999999999999999999"); }, {"cuda:9999"}},
      {"set_num_threads_zero", [] { set_num_threads(0); }, {"set_num_threads", "0"}},
      {"from_blob_null", [] { from_blob(nullptr, {2}); }, {"from_blob", "null"}},
      {"from_blob_negative_stride",
       [] {
         float data[2] = {};
         from_blob(data, {2}, {-1});
       },
       {"from_blob", "[-1]"}},
      {"tensor_ragged_lists", [] { tensor({{1, 2}, {3}}); }, {"tensor", "[2]", "[1]"}},
      // --- ops: empty tensors where PyTorch refuses them ---
      {"max_of_empty", [] { zeros({0}).max(); }, {"max", "dim"}},
      {"amax_of_empty", [] { zeros({0}).amax(); }, {"amax", "dim"}},
      {"argmax_of_empty", [] { zeros({0}).argmax(); }, {"argmax", "dim"}},
      {"max_over_empty_dim",
       [] {
         max(zeros({3, 0}), 1);
       },
       {"max", "dim 1"}},
      // --- ops: non-finite and out-of-domain values ---
      {"binary_cross_entropy_input_above_one",
       [] {
         binary_cross_entropy(tensor({0.5, 1.5}), tensor({0.0, 1.0}));
       },
       {"binary_cross_entropy", "between 0 and 1", "1.5"}},
      {"binary_cross_entropy_input_nan",
       [] {
         binary_cross_entropy(tensor({0.5, kNaN}), tensor({0.0, 1.0}));
       },
       {"binary_cross_entropy", "between 0 and 1", "nan"}},
      {"backward_of_non_scalar", [] { (param({2}) * 2).backward(); }, {"backward", "scalar"}},
      {"backward_without_grad", [] { zeros({2}).sum().backward(); }, {"does not require grad"}},
      {"backward_through_freed_graph",
       [] {
         Tensor x = param({2});
         Tensor y = (x * x).sum();
         y.backward();
         y.backward();
       },
       {"second time"}},
      {"inplace_on_leaf_requiring_grad", [] { param({2}).add_(1); }, {"leaf", "in-place"}},
      {"backward_gradient_shape_differs",
       [] { (param({2}) * 2).backward(ones({3})); },
       {"[3]", "[2]"}},
      {"grad_of_input_not_requiring_grad",
       [] {
         Tensor x = param({2});
         autograd::grad({(x * 2).sum()}, {zeros({2})});
       },
       {"does not require grad"}},
      {"grad_of_unused_input",
       [] {
         Tensor x = param({2});
         autograd::grad({(x * 2).sum()}, {param({2})});
       },
       {"allow_unused"}},
      {"requires_grad_on_non_leaf",
       [] { (param({2}) * 2).requires_grad_(false); },
       {"requires_grad", "leaf"}},
      {"add_undefined_tensor", [] { add(Tensor(), ones({2})); }, {"add", "undefined"}},
      {"sizes_of_undefined_tensor", [] { Tensor().sizes(); }, {"undefined"}},
      {"item_of_undefined_tensor", [] { Tensor().item(); }, {"undefined"}},
      {"mse_loss_undefined_target",
       [] { mse_loss(ones({2}), Tensor()); },
       {"mse_loss", "undefined"}},
      {"linear_forward_undefined_input",
       [] { nn::Linear(2, 2)(Tensor()); },
       {"linear", "undefined"}},
      // --- modules: input rank and channels ---
      {"linear_wrong_in_features",
       [] {
         nn::Linear(3, 2)(zeros({2, 4}));
       },
       {"linear", "[2, 4]", "[2, 3]"}},
      {"linear_scalar_input", [] { nn::Linear(3, 2)(tensor(1.0)); }, {"linear", "[]"}},
      {"conv2d_wrong_channels",
       [] {
         nn::Conv2d(nn::Conv2dOptions(3, 2, 3))(zeros({1, 4, 5, 5}));
       },
       {"conv2d", "3 channels", "4 channels"}},
      {"conv2d_rank_two_input",
       [] {
         nn::Conv2d(nn::Conv2dOptions(3, 2, 3))(zeros({5, 5}));
       },
       {"conv2d", "[5, 5]"}},
      {"conv2d_kernel_larger_than_input",
       [] {
         nn::Conv2d(nn::Conv2dOptions(1, 2, 3))(zeros({1, 1, 2, 2}));
       },
       {"Kernel size", "input"}},
      {"conv2d_channels_not_divisible_by_groups",
       [] { nn::Conv2d(nn::Conv2dOptions(3, 2, 3).groups(2)); },
       {"Conv2d", "groups"}},
      {"batch_norm2d_wrong_channels",
       [] {
         nn::BatchNorm2d(3)(zeros({2, 4, 5, 5}));
       },
       {"BatchNorm2d", "3", "4"}},
      {"batch_norm2d_rank_three_input",
       [] {
         nn::BatchNorm2d(3)(zeros({3, 5, 5}));
       },
       {"BatchNorm2d", "4D", "3D"}},
      {"max_pool2d_rank_one_input",
       [] { nn::MaxPool2d(nn::MaxPool2dOptions(2))(zeros({5})); },
       {"max_pool2d", "[5]"}},
      {"flatten_dim_out_of_range",
       [] {
         nn::Flatten(nn::FlattenOptions().start_dim(3))(zeros({2, 3}));
       },
       {"[-2, 1]", "3"}},
      {"softmax_module_dim_out_of_range",
       [] {
         nn::Softmax(nn::SoftmaxOptions(2))(zeros({2, 3}));
       },
       {"[-2, 1]", "2"}},
      {"register_parameter_dotted_name",
       [] { nn::Module().register_parameter("a.b", zeros({1})); },
       {"a.b", "."}},
      {"register_parameter_empty_name",
       [] { nn::Module().register_parameter("", zeros({1})); },
       {"empty"}},
      {"register_parameter_twice",
       [] {
         nn::Module module;
         module.register_parameter("a", zeros({1}));
         module.register_buffer("a", zeros({1}));
       },
       {"'a'", "already"}},
      {"load_state_dict_missing_key",
       [] {
         nn::Linear layer(2, 2);
         nn::load_state_dict(*layer, {{"weight", zeros({2, 2})}});
       },
       {"Linear", "Missing key(s)", "\"bias\""}},
      {"load_state_dict_wrong_shape",
       [] {
         nn::Linear layer(2, 2);
         nn::load_state_dict(*layer, {{"weight", zeros({3, 2})}, {"bias", zeros({2})}});
       },
       {"weight", "[3, 2]", "[2, 2]"}},
      {"module_to_cuda_without_gpu",
       [] { nn::Linear(2, 2)->to(Device(kCUDA)); },
       {"CUDA"},
       Needs::kNoGpu},
      {"sequential_index_out_of_range",
       [] { nn::Sequential(nn::Linear(2, 2))->ptr(3); },
       {"Sequential", "3", "1"}},
      {"module_list_index_out_of_range",
       [] { nn::ModuleList(nn::Linear(2, 2))->ptr(1); },
       {"ModuleList", "1"}},
      {"load_state_dict_wrong_dtype",
       [] {
         nn::Linear layer(2, 2);
         nn::load_state_dict(*layer, {{"weight", zeros({2, 2}, kFloat64)}, {"bias", zeros({2})}});
       },
       {"weight", "float64", "float32"}},
      {"named_parameters_unknown_key",
       [] { nn::Linear(2, 2)->named_parameters()["nope"]; },
       {"nope"}},
      {"register_module_null",
       [] { nn::Module().register_module("child", std::shared_ptr<nn::Module>()); },
       {"register_module", "child"}},
      {"state_dict_with_undefined_tensor",
       [] {
         nn::Linear layer(2, 2);
         nn::load_state_dict(*layer, {{"weight", Tensor()}, {"bias", zeros({2})}});
       },
       {"load_state_dict", "weight", "undefined"}},
      // --- nn::init ---
      {"xavier_uniform_of_a_vector",
       [] { nn::init::xavier_uniform_(zeros({3})); },
       {"fewer than 2 dimensions"}},
      {"kaiming_normal_of_a_vector",
       [] { nn::init::kaiming_normal_(zeros({3})); },
       {"fewer than 2 dimensions"}},
      {"eye_init_of_three_dims",
       [] {
         nn::init::eye_(zeros({2, 2, 2}));
       },
       {"eye_", "2-D", "[2, 2, 2]"}},
      {"init_uniform_from_above_to",
       [] { nn::init::uniform_(zeros({3}), 2, 1); },
       {"uniform_", "2", "1"}},
      {"init_normal_negative_std", [] { nn::init::normal_(zeros({3}), 0, -1); }, {"normal_", "-1"}},
      // --- optimizers ---
      {"sgd_no_parameters",
       [] { optim::SGD(std::vector<Tensor>{}, optim::SGDOptions(0.1)); },
       {"SGD", "empty parameter list"}},
      {"adam_no_parameters",
       [] { optim::Adam(std::vector<Tensor>{}, optim::AdamOptions(0.1)); },
       {"Adam", "empty parameter list"}},
      {"sgd_negative_lr",
       [] { optim::SGD({param({2})}, optim::SGDOptions(-0.1)); },
       {"SGD", "learning rate", "-0.1"}},
      {"sgd_nan_lr",
       [] { optim::SGD({param({2})}, optim::SGDOptions(kNaN)); },
       {"SGD", "learning rate", "nan"}},
      {"adam_negative_lr",
       [] { optim::Adam({param({2})}, optim::AdamOptions(-1)); },
       {"Adam", "learning rate", "-1"}},
      {"sgd_negative_momentum",
       [] { optim::SGD({param({2})}, optim::SGDOptions(0.1).momentum(-1)); },
       {"SGD", "momentum", "-1"}},
      {"sgd_nesterov_without_momentum",
       [] { optim::SGD({param({2})}, optim::SGDOptions(0.1).nesterov(true)); },
       {"SGD", "Nesterov"}},
      {"adam_beta_one",
       [] {
         optim::Adam({param({2})}, optim::AdamOptions(0.1).betas({1.0, 0.999}));
       },
       {"Adam", "beta", "1"}},
      {"adamw_negative_weight_decay",
       [] { optim::AdamW({param({2})}, optim::AdamWOptions(0.1).weight_decay(-1)); },
       {"AdamW", "weight_decay", "-1"}},
      {"rmsprop_negative_alpha",
       [] { optim::RMSprop({param({2})}, optim::RMSpropOptions(0.1).alpha(-1)); },
       {"RMSprop", "alpha", "-1"}},
      {"optimizer_non_leaf_parameter",
       [] { optim::SGD({param({2}) * 2}, optim::SGDOptions(0.1)); },
       {"SGD", "leaf"}},
      {"one_cycle_zero_total_steps",
       [] {
         optim::SGD sgd({param({2})}, optim::SGDOptions(0.1));
         optim::OneCycleLR(sgd, 0.1, 0);
       },
       {"OneCycleLR", "total_steps", "0"}},
      {"one_cycle_stepped_too_often",
       [] {
         optim::SGD sgd({param({2})}, optim::SGDOptions(0.1));
         optim::OneCycleLR schedule(sgd, 0.1, 2);
         for (int i = 0; i < 3; ++i) schedule.step();
       },
       {"OneCycleLR", "2"}},
      {"cosine_annealing_zero_t_max",
       [] {
         optim::SGD sgd({param({2})}, optim::SGDOptions(0.1));
         optim::CosineAnnealingLR schedule(sgd, 0);
         schedule.step();
       },
       {"CosineAnnealingLR", "T_max", "0"}},
      {"clip_grad_norm_non_finite",
       [] { nn::utils::clip_grad_norm_({with_grad(param({1}), kNaN)}, 1.0, 2.0, true); },
       {"clip_grad_norm_", "non-finite"}},
      {"optimizer_step_grad_shape_differs",
       [] {
         Tensor p = param({2});
         optim::SGD sgd({p}, optim::SGDOptions(0.1));
         p.mutable_grad() = zeros({3});
         sgd.step();
       },
       {"SGD", "[3]", "[2]"}},
      {"adam_eps_nan",
       [] { optim::Adam({param({2})}, optim::AdamOptions(0.1).eps(kNaN)); },
       {"Adam", "epsilon", "nan"}},
      {"parameter_in_two_groups",
       [] {
         Tensor p = param({2});
         optim::SGD({optim::OptimizerParamGroup({p}), optim::OptimizerParamGroup({p})},
                    optim::SGDOptions(0.1));
       },
       {"SGD", "more than once", "group 1"}},
      {"step_lr_zero_step_size",
       [] {
         optim::SGD sgd({param({2})}, optim::SGDOptions(0.1));
         optim::StepLR(sgd, 0);
       },
       {"StepLR", "step_size", "0"}},
      {"linear_lr_end_factor_above_one",
       [] {
         optim::SGD sgd({param({2})}, optim::SGDOptions(0.1));
         optim::LinearLR(sgd, 0.5, 2.0);
       },
       {"LinearLR", "2"}},
      {"reduce_on_plateau_factor_one",
       [] {
         optim::SGD sgd({param({2})}, optim::SGDOptions(0.1));
         optim::ReduceLROnPlateauScheduler(sgd, optim::ReduceLROnPlateauScheduler::min, 1.0);
       },
       {"ReduceLROnPlateau", "1"}},
      {"optimizer_load_from_other_optimizer",
       [] {
         Tensor p = param({2});
         optim::SGD sgd({p}, optim::SGDOptions(0.1));
         optim::Adam adam({p}, optim::AdamOptions(0.1));
         const std::string path = (scratch() / "sgd.safetensors").string();
         save(sgd, path);
         load(adam, path);
       },
       {"SGD", "Adam"}},
      // --- data: missing, truncated, wrong magic ---
      {"mnist_missing_folder",
       [] { data::datasets::MNIST((scratch() / "nowhere").string()); },
       {"nowhere", "train-images-idx3-ubyte"}},
      {"mnist_images_truncated",
       [] {
         data::datasets::MNIST(mnist_folder(3, [](const fs::path& dir) {
           testing::write_file(dir / "train-images-idx3-ubyte",
                               truncated(testing::idx_images(3), 16 + 28 * 28 * 2 + 5));
         }));
       },
       {"train-images-idx3-ubyte", "3"}},
      {"mnist_images_wrong_magic",
       [] {
         data::datasets::MNIST(mnist_folder(3, [](const fs::path& dir) {
           testing::write_file(dir / "train-images-idx3-ubyte",
                               testing::idx_images(3, 28, 28, 2049));
         }));
       },
       {"train-images-idx3-ubyte", "2049", "2051"}},
      {"mnist_labels_wrong_magic",
       [] {
         data::datasets::MNIST(mnist_folder(3, [](const fs::path& dir) {
           testing::write_file(dir / "train-labels-idx1-ubyte",
                               testing::idx_labels(testing::cycling_labels(3), 2051));
         }));
       },
       {"train-labels-idx1-ubyte", "2051", "2049"}},
      {"mnist_label_out_of_range",
       [] {
         data::datasets::MNIST(mnist_folder(3, [](const fs::path& dir) {
           testing::write_file(dir / "train-labels-idx1-ubyte", testing::idx_labels({0, 1, 12}));
         }));
       },
       {"train-labels-idx1-ubyte", "12"}},
      {"mnist_counts_differ",
       [] {
         data::datasets::MNIST(mnist_folder(3, [](const fs::path& dir) {
           testing::write_file(dir / "train-labels-idx1-ubyte", testing::idx_labels({0, 1}));
         }));
       },
       {"3", "2"}},
      {"mnist_gzip_truncated",
       [] {
         data::datasets::MNIST(mnist_folder(3, [](const fs::path& dir) {
           const Bytes zipped = testing::gzip(testing::idx_images(3));
           fs::remove(dir / "train-images-idx3-ubyte");
           testing::write_file(dir / "train-images-idx3-ubyte.gz",
                               truncated(zipped, zipped.size() / 2));
         }));
       },
       {"train-images-idx3-ubyte.gz"}},
      {"idx_images_header_truncated",
       [] {
         const Bytes bytes = truncated(testing::idx_images(1), 10);
         data::datasets::parse_idx_images(bytes.data(), bytes.size(), "short.idx");
       },
       {"short.idx", "10"}},
      {"cifar_missing_folder",
       [] { data::datasets::CIFAR10((scratch() / "nowhere").string()); },
       {"nowhere", "data_batch_1.bin"}},
      {"cifar_record_truncated",
       [] {
         const Bytes bytes = truncated(testing::cifar_records(2), 3073 + 100);
         data::datasets::parse_cifar10_batch(bytes.data(), bytes.size(), "cut.bin");
       },
       {"cut.bin", "3173", "3073"}},
      {"cifar_label_out_of_range",
       [] {
         Bytes bytes = testing::cifar_records(2);
         bytes[3073] = 10;
         data::datasets::parse_cifar10_batch(bytes.data(), bytes.size(), "labels.bin");
       },
       {"labels.bin", "10"}},
      {"cifar_empty_file",
       [] {
         const Bytes bytes;
         data::datasets::parse_cifar10_batch(bytes.data(), bytes.size(), "empty.bin");
       },
       {"empty.bin"}},
      {"normalize_zero_std", [] { data::transforms::Normalize<>(0.5, 0.0); }, {"Normalize", "0"}},
      {"normalize_channels_differ",
       [] {
         data::transforms::Normalize<>({0.5, 0.5}, {0.2, 0.2})(zeros({3, 2, 2}));
       },
       {"Normalize", "2", "3"}},
      {"data_loader_batch_size_zero",
       [] {
         data::make_data_loader(data::datasets::TensorDataset(zeros({4, 2}), zeros({4})),
                                data::DataLoaderOptions(0));
       },
       {"batch_size", "0"}},
      {"idx_image_size_overflows",
       [] {
         Bytes bytes;
         for (uint32_t v : {2051u, 1u << 22, 1u << 21, 1u << 21})
           testing::append_big_endian(bytes, v);
         data::datasets::parse_idx_images(bytes.data(), bytes.size(), "wrap.idx");
       },
       {"wrap.idx"}},
      {"tensor_dataset_sizes_differ",
       [] {
         data::datasets::TensorDataset(zeros({4, 2}), zeros({3}));
       },
       {"TensorDataset", "4", "3"}},
      {"tensor_dataset_index_out_of_range",
       [] {
         data::datasets::TensorDataset(zeros({4, 2}), zeros({4})).get(4);
       },
       {"TensorDataset", "4"}},
      {"stacked_batch_index_out_of_range",
       [] {
         data::datasets::TensorDataset(zeros({4, 2}), zeros({4})).get_stacked_batch({0, 9});
       },
       {"9", "4"}},
      {"random_crop_larger_than_image",
       [] {
         data::transforms::RandomCrop<>(8)(zeros({1, 4, 4}));
       },
       {"RandomCrop", "8", "4"}},
      {"transform_error_in_loader_worker",
       [] {
         auto dataset = data::datasets::TensorDataset(zeros({4, 3, 2, 2}), zeros({4}))
                            .map(data::transforms::Normalize<>({0.5, 0.5}, {0.2, 0.2}));
         auto loader = data::make_data_loader<data::samplers::SequentialSampler>(
             std::move(dataset), data::DataLoaderOptions(2).workers(2));
         for (auto& batch : *loader) (void)batch;
       },
       {"Normalize", "2 channels"}},
      {"normalize_without_channels",
       [] { data::transforms::Normalize<>(std::vector<double>{}, std::vector<double>{}); },
       {"Normalize"}},
      {"random_crop_negative_padding",
       [] {
         data::transforms::RandomCrop<>(2, -1)(zeros({1, 4, 4}));
       },
       {"RandomCrop", "-1"}},
      // --- checkpoints (safetensors) ---
      {"safetensors_missing_file",
       [] { serialize::load_safetensors((scratch() / "none.safetensors").string()); },
       {"none.safetensors"}},
      {"safetensors_header_length_past_end",
       [] {
         std::string bytes = safetensors_bytes();
         bytes[0] = static_cast<char>(0xff);
         bytes[1] = static_cast<char>(0xff);
         serialize::load_safetensors_from_bytes(bytes, "lie.safetensors");
       },
       {"lie.safetensors", "header"}},
      {"safetensors_header_length_huge",
       [] {
         std::string bytes = safetensors_bytes();
         for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(0xff);
         serialize::load_safetensors_from_bytes(bytes, "huge.safetensors");
       },
       {"huge.safetensors", "header"}},
      {"safetensors_data_truncated",
       [] {
         const std::string bytes = safetensors_bytes();
         serialize::load_safetensors_from_bytes(bytes.substr(0, bytes.size() - 4), "cut.st");
       },
       {"cut.st"}},
      {"safetensors_shorter_than_length_field",
       [] { serialize::load_safetensors_from_bytes(std::string("abc"), "tiny.st"); },
       {"tiny.st", "3"}},
      {"safetensors_shape_product_overflows",
       [] {
         load_header(
             R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", 0);
       },
       {"bad.safetensors", "w", "overflows"}},
      {"safetensors_unknown_dtype",
       [] { load_header(R"({"w":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}})", 1); },
       {"bad.safetensors", "F8"}},
      {"safetensors_negative_shape",
       [] { load_header(R"({"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}})", 1); },
       {"bad.safetensors", "w", "shape"}},
      {"safetensors_offsets_reversed",
       [] { load_header(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}})", 1); },
       {"bad.safetensors", "w", "data_offsets"}},
      {"safetensors_header_not_json",
       [] { load_header("{not json", 0); },
       {"bad.safetensors", "JSON"}},
      {"safetensors_header_an_array", [] { load_header("[1, 2]", 0); }, {"bad.safetensors"}},
      {"save_safetensors_undefined_tensor",
       [] { serialize::save_safetensors_to_bytes({{"w", Tensor()}}); },
       {"w", "undefined"}},
      {"save_safetensors_duplicate_names",
       [] { serialize::save_safetensors_to_bytes({{"w", ones({1})}, {"w", ones({1})}}); },
       {"w", "twice"}},
      {"save_to_unwritable_folder",
       [] { save(nn::Linear(2, 2), "/proc/axon-cannot-write/model.safetensors"); },
       {"/proc/axon-cannot-write"}},
  };
  return rows;
}

void PrintTo(const BadInput& row, std::ostream* os) { *os << row.name; }

class BadInputTest : public ::testing::TestWithParam<BadInput> {
 protected:
  void SetUp() override {
    const BadInput& row = GetParam();
    if (row.needs == Needs::kGpu && !cuda::is_available()) GTEST_SKIP() << "needs a GPU";
    if (row.needs == Needs::kNoGpu && cuda::is_available()) GTEST_SKIP() << "needs no GPU";
    scratch() = fs::temp_directory_path() /
                ("axon_bad_input_" + std::to_string(::getpid()) + "_" + row.name);
    fs::remove_all(scratch());
    fs::create_directories(scratch());
  }
  void TearDown() override {
    if (!scratch().empty()) fs::remove_all(scratch());
  }
};

TEST_P(BadInputTest, ThrowsAxonErrorThatSaysWhatWasWrong) {
  const BadInput& row = GetParam();
  try {
    row.run();
    ADD_FAILURE() << "no error was thrown";
  } catch (const Error& e) {
    const std::string message = e.what();
    std::printf("MSG %s: %s\n", row.name, message.c_str());
    for (const std::string& part : row.message) {
      EXPECT_NE(message.find(part), std::string::npos)
          << "the message lacks \"" << part << "\": " << message;
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a " << typeid(e).name() << " instead of axon::Error: " << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Matrix, BadInputTest, ::testing::ValuesIn(bad_inputs()),
                         [](const ::testing::TestParamInfo<BadInput>& row) {
                           return std::string(row.param.name);
                         });

// Empty tensors where PyTorch 1.13 gives a result rather than an error.
struct EmptyInput {
  const char* name;
  std::function<::testing::AssertionResult()> check;
};

const std::vector<EmptyInput>& empty_inputs() {
  using testing::same_values;
  static const std::vector<EmptyInput> rows = {
      {"sum_is_zero", [] { return same_values(zeros({0}).sum(), tensor(0.0f)); }},
      {"prod_is_one", [] { return same_values(zeros({0}).prod(), tensor(1.0f)); }},
      {"mean_is_nan", [] { return same_values(zeros({0}).mean(), tensor(float(kNaN))); }},
      {"var_is_nan", [] { return same_values(zeros({0}).var(), tensor(float(kNaN))); }},
      {"logsumexp_is_minus_inf",
       [] { return same_values(zeros({0}).logsumexp({0}), tensor(float(-kInf))); }},
      {"any_is_false", [] { return same_values(zeros({0}).any(), tensor(false)); }},
      {"all_is_true", [] { return same_values(zeros({0}).all(), tensor(true)); }},
      {"max_over_non_empty_dim",
       [] {
         return same_values(std::get<0>(max(zeros({0, 3}), 1)), zeros({0}));
       }},
      {"softmax_keeps_shape",
       [] {
         return same_values(zeros({0, 3}).softmax(1), zeros({0, 3}));
       }},
      {"mm_of_empty_inner_dim_is_zeros",
       [] {
         return same_values(mm(ones({2, 0}), ones({0, 3})), zeros({2, 3}));
       }},
      {"cross_entropy_of_empty_batch_is_nan",
       [] {
         return same_values(cross_entropy_loss(zeros({0, 3}), zeros({0}, kInt64)),
                            tensor(float(kNaN)));
       }},
      {"nll_loss_sum_of_empty_batch_is_zero",
       [] {
         return same_values(nll_loss(zeros({0, 3}), zeros({0}, kInt64), {}, kSum), tensor(0.0f));
       }},
      {"mse_loss_of_empty_is_nan",
       [] { return same_values(mse_loss(zeros({0}), zeros({0})), tensor(float(kNaN))); }},
      {"conv2d_of_empty_batch",
       [] {
         return same_values(conv2d(zeros({0, 1, 5, 5}), ones({1, 1, 3, 3})), zeros({0, 1, 3, 3}));
       }},
      {"linear_of_empty_batch",
       [] {
         return same_values(nn::Linear(3, 2)(zeros({0, 3})), zeros({0, 2}));
       }},
      {"xavier_uniform_of_empty_is_a_no_op",
       [] {
         return same_values(nn::init::xavier_uniform_(zeros({0, 3})), zeros({0, 3}));
       }},
      {"xavier_uniform_of_0x0_is_a_no_op",
       [] {
         return same_values(nn::init::xavier_uniform_(zeros({0, 0})), zeros({0, 0}));
       }},
      {"linear_without_in_features_gives_its_bias",
       [] {
         nn::Linear layer(0, 2);
         return same_values(layer(zeros({3, 0})), layer->bias.detach().expand({3, 2}));
       }},
      {"max_pool2d_of_empty_batch",
       [] {
         return same_values(max_pool2d(zeros({0, 1, 4, 4}), {2, 2}), zeros({0, 1, 2, 2}));
       }},
      {"adaptive_avg_pool2d_of_empty_batch",
       [] {
         return same_values(adaptive_avg_pool2d(zeros({0, 1, 4, 4}), {2, 2}), zeros({0, 1, 2, 2}));
       }},
      {"batch_norm_eval_of_empty_batch",
       [] {
         return same_values(
             batch_norm(zeros({0, 3}), {}, {}, zeros({3}), ones({3}), false, 0.1, 1e-5),
             zeros({0, 3}));
       }},
      {"sum_over_empty_dim_is_zeros",
       [] {
         return same_values(zeros({0, 3}).sum({0}), zeros({3}));
       }},
      {"mean_over_empty_dim_is_nan",
       [] {
         return same_values(zeros({0, 3}).mean({0}), full({3}, kNaN));
       }},
      {"argmax_over_non_empty_dim",
       [] {
         return same_values(zeros({0, 3}).argmax(1), zeros({0}, kInt64));
       }},
      {"kaiming_uniform_of_empty_is_a_no_op",
       [] {
         return same_values(nn::init::kaiming_uniform_(zeros({0, 3})), zeros({0, 3}));
       }},
      {"cat_with_empty_tensor",
       [] {
         return same_values(cat({ones({2}), zeros({0})}), ones({2}));
       }},
      {"reshape_empty",
       [] {
         return same_values(zeros({0, 4}).reshape({4, 0}), zeros({4, 0}));
       }},
  };
  return rows;
}

void PrintTo(const EmptyInput& row, std::ostream* os) { *os << row.name; }

class EmptyInputTest : public ::testing::TestWithParam<EmptyInput> {};

TEST_P(EmptyInputTest, WorksAsInPyTorch) {
  try {
    EXPECT_TRUE(GetParam().check());
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw: " << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Matrix, EmptyInputTest, ::testing::ValuesIn(empty_inputs()),
                         [](const ::testing::TestParamInfo<EmptyInput>& row) {
                           return std::string(row.param.name);
                         });

}  // namespace
}  // namespace axon
