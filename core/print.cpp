// Printing tensors in PyTorch's repr format (torch/_tensor_str.py), so that what axon prints
// reads exactly as what PyTorch users know:
//   tensor([[1.0000, 2.5000],
//           [3.0000, 4.0000]], dtype=axon.float64, requires_grad=True)
#include "axon/print.h"

#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "axon/autograd/node.h"
#include "axon/functions.h"
#include "kernels/common/dtype_dispatch.h"

namespace axon {
namespace {

PrintOptions g_options;

// One element, as the formatter sees it.
struct Value {
  double f = 0;    // floating dtypes
  int64_t i = 0;   // integer dtypes
  bool b = false;  // bool
};

class Printer {
 public:
  explicit Printer(const Tensor& t) : tensor_(t), opts_(g_options) {
    kind_ = t.dtype() == DType::Bool ? Kind::Bool : t.is_floating_point() ? Kind::Float : Kind::Int;
    summarize_ = t.numel() > opts_.threshold;
  }

  std::string body() {
    std::vector<Value> seen;
    collect(tensor_, seen);
    init_formatter(seen);
    return str(tensor_, 7);
  }

 private:
  enum class Kind { Float, Int, Bool };

  Value read(const Tensor& scalar) const {
    Value v;
    kernels::visit_dtype(scalar.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      T x = *scalar.data_ptr<T>();
      if constexpr (std::is_same_v<T, bool>) {
        v.b = x;
      } else if constexpr (std::is_floating_point_v<T>) {
        v.f = static_cast<double>(x);
      } else {
        v.i = static_cast<int64_t>(x);
      }
    });
    return v;
  }

  // The elements the summarised print shows (all of them when not summarising).
  void collect(const Tensor& t, std::vector<Value>& out) const {
    if (t.dim() == 0) {
      out.push_back(read(t));
      return;
    }
    const int64_t n = t.size(0), edge = opts_.edgeitems;
    for (int64_t i = 0; i < n; ++i) {
      if (summarize_ && n > 2 * edge && i == edge) i = n - edge;
      collect(t.select(0, i), out);
    }
  }

  void init_formatter(const std::vector<Value>& values) {
    if (kind_ != Kind::Float) {
      for (const Value& v : values) width_ = std::max(width_, plain(v).size());
      return;
    }
    std::vector<double> finite;
    for (const Value& v : values) {
      if (std::isfinite(v.f) && v.f != 0) finite.push_back(v.f);
    }
    if (!finite.empty()) {
      double lo = std::abs(finite[0]), hi = lo;
      for (double x : finite) {
        lo = std::min(lo, std::abs(x));
        hi = std::max(hi, std::abs(x));
        if (x != std::ceil(x)) int_mode_ = false;
      }
      const int p = opts_.precision;
      if (int_mode_) {
        sci_mode_ = hi / lo > 1000.0 || hi > 1.0e8;
        for (double x : finite) {
          width_ = std::max(width_, sci_mode_ ? fmt::format("{:.{}e}", x, p).size()
                                              : fmt::format("{:.0f}", x).size() + 1);
        }
      } else {
        sci_mode_ = hi / lo > 1000.0 || hi > 1.0e8 || lo < 1.0e-4;
        for (double x : finite) {
          width_ = std::max(width_, sci_mode_ ? fmt::format("{:.{}e}", x, p).size()
                                              : fmt::format("{:.{}f}", x, p).size());
        }
      }
    }
    if (opts_.sci_mode) sci_mode_ = *opts_.sci_mode;
  }

  std::string plain(const Value& v) const {
    if (kind_ == Kind::Bool) return v.b ? "True" : "False";
    return std::to_string(v.i);
  }

  std::string format(const Value& v) const {
    std::string s;
    if (kind_ != Kind::Float) {
      s = plain(v);
    } else if (std::isnan(v.f)) {
      s = "nan";  // Python never prints a sign on NaN
    } else if (sci_mode_) {
      s = fmt::format("{:.{}e}", v.f, opts_.precision);
    } else if (int_mode_) {
      s = fmt::format("{:.0f}", v.f);
      if (std::isfinite(v.f)) s += ".";
    } else {
      s = fmt::format("{:.{}f}", v.f, opts_.precision);
    }
    return s.size() < width_ ? std::string(width_ - s.size(), ' ') + s : s;
  }

  std::string vector_str(const Tensor& t, int64_t indent) const {
    const size_t element_length = width_ + 2;
    const size_t per_line = std::max<size_t>(
        1, static_cast<size_t>(std::max<int64_t>(0, opts_.linewidth - indent)) / element_length);
    std::vector<std::string> data;
    const int64_t n = t.size(0), edge = opts_.edgeitems;
    for (int64_t i = 0; i < n; ++i) {
      if (summarize_ && n > 2 * edge && i == edge) {
        data.emplace_back(" ...");
        i = n - edge;
      }
      data.push_back(format(read(t.select(0, i))));
    }
    std::string out = "[";
    for (size_t i = 0; i < data.size(); ++i) {
      if (i > 0 && i % per_line == 0) {
        out += ",\n";
        out.append(static_cast<size_t>(indent) + 1, ' ');
      } else if (i > 0) {
        out += ", ";
      }
      out += data[i];
    }
    return out + "]";
  }

  std::string str(const Tensor& t, int64_t indent) const {
    if (t.dim() == 0) return format(read(t));
    if (t.dim() == 1) return vector_str(t, indent);
    std::vector<std::string> slices;
    const int64_t n = t.size(0), edge = opts_.edgeitems;
    for (int64_t i = 0; i < n; ++i) {
      if (summarize_ && n > 2 * edge && i == edge) {
        slices.emplace_back("...");
        i = n - edge;
      }
      slices.push_back(str(t.select(0, i), indent + 1));
    }
    std::string separator(",");
    separator.append(static_cast<size_t>(t.dim() - 1), '\n');
    separator.append(static_cast<size_t>(indent) + 1, ' ');
    std::string out = "[";
    for (size_t i = 0; i < slices.size(); ++i) {
      if (i > 0) out += separator;
      out += slices[i];
    }
    return out + "]";
  }

  const Tensor& tensor_;
  const PrintOptions& opts_;
  Kind kind_;
  bool summarize_ = false;
  bool int_mode_ = true;
  bool sci_mode_ = false;
  size_t width_ = 1;
};

std::string shape_tuple(IntArrayRef sizes) {
  std::string s = "(";
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(sizes[i]);
  }
  return s + (sizes.size() == 1 ? ",)" : ")");
}

// Appends ", suffix" or, past the line width, ",\n       suffix" (PyTorch's _add_suffixes).
std::string add_suffixes(const std::string& body, const std::vector<std::string>& suffixes,
                         int linewidth) {
  std::string out = body;
  size_t newline = body.rfind('\n');
  size_t last_line = newline == std::string::npos ? body.size() + 2 : body.size() - newline + 1;
  for (const std::string& suffix : suffixes) {
    if (last_line + suffix.size() + 2 > static_cast<size_t>(linewidth)) {
      out += ",\n";
      out.append(7, ' ');
      out += suffix;
      last_line = 7 + suffix.size();
    } else {
      out += ", " + suffix;
      last_line += suffix.size() + 2;
    }
  }
  return out + ")";
}

}  // namespace

void set_printoptions(const PrintOptions& options) {
  AXON_CHECK(options.precision >= 0 && options.threshold >= 0 && options.edgeitems >= 0 &&
                 options.linewidth > 0,
             "set_printoptions: precision, threshold and edgeitems must be non-negative and "
             "linewidth positive");
  g_options = options;
}

const PrintOptions& get_printoptions() { return g_options; }

std::ostream& operator<<(std::ostream& os, const Tensor& tensor) {
  if (!tensor.defined()) return os << "[ Tensor (undefined) ]";
  Tensor t = tensor.is_cpu() ? tensor.detach() : tensor.detach().cpu();
  std::vector<std::string> suffixes;
  if (!tensor.is_cpu()) suffixes.push_back("device='" + tensor.device().str() + "'");
  const DType dtype = t.dtype();
  const std::string dtype_suffix = fmt::format("dtype=axon.{}", dtype_name(dtype));
  std::string body;
  if (t.numel() == 0) {
    if (t.dim() != 1) suffixes.push_back("size=" + shape_tuple(t.sizes()));
    if (dtype != get_default_dtype()) suffixes.push_back(dtype_suffix);
    body = "tensor([]";
  } else {
    bool default_dtype =
        dtype == get_default_dtype() || dtype == DType::Int64 || dtype == DType::Bool;
    if (!default_dtype) suffixes.push_back(dtype_suffix);
    body = "tensor(" + Printer(t).body();
  }
  if (tensor.grad_fn()) {
    suffixes.push_back("grad_fn=<" + tensor.grad_fn()->name() + ">");
  } else if (tensor.requires_grad()) {
    suffixes.push_back("requires_grad=True");
  }
  return os << add_suffixes(body, suffixes, get_printoptions().linewidth);
}

}  // namespace axon
