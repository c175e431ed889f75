#pragma once
// Whole-file reads and crash-safe writes, with errors that name the path and the OS's reason.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace axon::serialize::detail {

// The bytes of the file at `path`; `op` prefixes error messages ("load_safetensors").
std::vector<uint8_t> read_file(const std::string& path, const char* op);

// Writes a file so that `path` holds either its old content or the complete new one, whatever
// fails (the process, the disk, the machine): the bytes go to a temporary file in the same
// folder, which commit() syncs and renames over `path`. Destroying the writer before commit()
// removes the temporary file. Every failure throws an axon::Error naming the path.
class AtomicFileWriter {
 public:
  AtomicFileWriter(std::string path, const char* op);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* data, size_t size);
  void commit();

 private:
  // Closes and removes the temporary file, if any; reports nothing (used on failure paths).
  void discard() noexcept;

  std::string path_;
  std::string folder_;
  std::string temp_path_;
  const char* op_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace axon::serialize::detail
