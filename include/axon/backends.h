#pragma once
// Switches of the math libraries behind the CUDA backend: LibTorch's
// at::globalContext().setAllowTF32CuBLAS / setAllowTF32CuDNN (torch.backends.cuda.matmul.
// allow_tf32 and torch.backends.cudnn.allow_tf32 in Python), as one flag.

namespace axon {

// Whether float32 matrix products (cuBLAS) and convolutions (cuDNN) on CUDA may round their
// inputs to TF32 (a 10-bit mantissa) to run on tensor cores: several times faster on Ampere and
// later GPUs, with about 1e-3 relative error. Off by default, so that float32 results agree with
// the CPU to float32 rounding (PyTorch allows TF32 in cuDNN by default; axon does not). No effect
// on the CPU, on float64, or in a build without CUDA. Applies to the calls made after it returns.
void set_allow_tf32(bool allow);
bool allow_tf32();

}  // namespace axon
