#include "nn/serialize/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "axon/error.h"

namespace axon::serialize::detail {
namespace {

std::string os_reason(int err) { return std::system_category().message(err); }

// Closes a descriptor on every path out of a scope.
struct FileDescriptor {
  int fd;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

std::string folder_of(const std::string& path) {
  std::string folder = std::filesystem::path(path).parent_path().string();
  return folder.empty() ? "." : folder;
}

// Unique per process (pid) and per save (counter), so concurrent saves of one path, from
// threads or processes, never share a temporary file. A process killed mid-save leaves its
// file behind, and a later process may get the same pid: the writer then takes the next name.
std::string temporary_path_for(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

}  // namespace

std::vector<uint8_t> read_file(const std::string& path, const char* op) {
  FileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) AXON_ERROR("{}: cannot open '{}': {}", op, path, os_reason(errno));
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) {
    AXON_ERROR("{}: cannot stat '{}': {}", op, path, os_reason(errno));
  }
  AXON_CHECK(!S_ISDIR(info.st_mode), "{}: '{}' is a folder, not a file", op, path);
  // The size is a hint only: read to the end, in case the file is not a regular one.
  std::vector<uint8_t> bytes(std::max<size_t>(static_cast<size_t>(info.st_size), 1));
  size_t filled = 0;
  while (true) {
    if (filled == bytes.size()) bytes.resize(bytes.size() * 2);
    ssize_t n = ::read(file.fd, bytes.data() + filled, bytes.size() - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      AXON_ERROR("{}: cannot read '{}': {}", op, path, os_reason(errno));
    }
    if (n == 0) break;
    filled += static_cast<size_t>(n);
  }
  bytes.resize(filled);
  return bytes;
}

AtomicFileWriter::AtomicFileWriter(std::string path, const char* op)
    : path_(std::move(path)), folder_(folder_of(path_)), op_(op) {
  AXON_CHECK(!path_.empty(), "{}: the path is empty", op_);
  std::string temp;
  do {
    temp = temporary_path_for(path_);
    fd_ = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  } while (fd_ < 0 && errno == EEXIST);
  if (fd_ < 0) {
    AXON_ERROR("{}: cannot create a temporary file in folder '{}' to write '{}': {}", op_, folder_,
               path_, os_reason(errno));
  }
  temp_path_ = std::move(temp);
}

AtomicFileWriter::~AtomicFileWriter() {
  if (!committed_) discard();
}

void AtomicFileWriter::discard() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  temp_path_.clear();
}

void AtomicFileWriter::write(const void* data, size_t size) {
  AXON_INTERNAL_ASSERT(fd_ >= 0, "write to '{}' after commit or failure", path_);
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd_, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // A regular file never accepts zero bytes without an error; treat it as a full disk.
      const int err = n < 0 ? errno : ENOSPC;
      discard();
      AXON_ERROR("{}: cannot write '{}' (temporary file in folder '{}'): {}", op_, path_, folder_,
                 os_reason(err));
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFileWriter::commit() {
  AXON_INTERNAL_ASSERT(fd_ >= 0, "commit of '{}' after commit or failure", path_);
  // The data must be on disk before the rename makes it visible: otherwise a crash can leave
  // the new name pointing at an empty or partial file.
  if (::fsync(fd_) != 0) {
    const int err = errno;
    discard();
    AXON_ERROR("{}: cannot sync '{}' to disk: {}", op_, path_, os_reason(err));
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    const int err = errno;
    discard();
    AXON_ERROR("{}: cannot close the temporary file for '{}': {}", op_, path_, os_reason(err));
  }
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    discard();
    AXON_ERROR("{}: cannot replace '{}': {}", op_, path_, os_reason(err));
  }
  committed_ = true;
  // The rename itself lives in the folder: sync it so that the new name survives a crash.
  // Some file systems cannot sync a folder (EINVAL); there is nothing more to do on those.
  FileDescriptor folder{::open(folder_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (folder.fd < 0 || (::fsync(folder.fd) != 0 && errno != EINVAL)) {
    AXON_ERROR("{}: wrote '{}' but cannot sync its folder '{}': {}", op_, path_, folder_,
               os_reason(errno));
  }
}

}  // namespace axon::serialize::detail
