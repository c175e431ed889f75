#pragma once
// The math libraries behind the backends: what the CPU kernels run on (LibTorch's
// torch::show_config), and the CUDA backend's switch LibTorch spells
// at::globalContext().setAllowTF32CuBLAS / setAllowTF32CuDNN (torch.backends.cuda.matmul.
// allow_tf32 and torch.backends.cudnn.allow_tf32 in Python), as one flag.

#include <string>

namespace axon {

// One line per library the CPU kernels call, as this process runs them: oneDNN (float32 matrix
// products) with its version and the instruction set its kernels use here, OpenBLAS (float64)
// with its build and the core its kernels were picked for (OPENBLAS_CORETYPE when set), and the
// OpenMP thread count.
std::string show_config();

// Whether float32 matrix products (cuBLAS) and convolutions (cuDNN) on CUDA may round their
// inputs to TF32 (a 10-bit mantissa) to run on tensor cores: several times faster on Ampere and
// later GPUs, with about 1e-3 relative error. Off by default, so that float32 results agree with
// the CPU to float32 rounding (PyTorch allows TF32 in cuDNN by default; axon does not). No effect
// on the CPU, on float64, or in a build without CUDA. Applies to the calls made after it returns.
void set_allow_tf32(bool allow);
bool allow_tf32();

}  // namespace axon
