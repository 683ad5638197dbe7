#include "beyond/core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "beyond/core/error.h"

namespace beyond {
namespace fs = std::filesystem;

namespace {
void fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}
std::string temp_name(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid());
}
}  // namespace

void write_atomic_with(const std::string& path, const std::function<void(const std::string&)>& writer) {
  const std::string tmp = temp_name(path);
  try {
    writer(tmp);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  fsync_path(tmp);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error(str("cannot move ", tmp, " to ", path, ": ", ec.message(),
                    " (check that the directory is writable and on one file system)"));
  }
  fs::path parent = fs::path(path).parent_path();
  fsync_path(parent.empty() ? "." : parent.string());
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
  write_atomic_with(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    BEYOND_CHECK(out, "cannot open ", tmp, " for writing: ", std::strerror(errno),
                 " (check that the directory exists and is writable)");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    BEYOND_CHECK(out, "failed writing ", bytes.size(), " bytes to ", tmp, ": ", std::strerror(errno),
                 " (is the disk full?)");
  });
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  BEYOND_CHECK(in, "cannot read ", path, ": ", std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ensure_writable_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    throw Error(str("cannot create output directory '", dir, "': ",
                    ec ? ec.message() : std::string("a file of that name exists"),
                    " (choose another --out, or fix the permissions)"));
  }
  const std::string probe = (fs::path(dir) / ".beyond_write_probe").string();
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    throw Error(str("output directory '", dir, "' is not writable: ", std::strerror(errno),
                    " (choose another --out, or fix the permissions)"));
  }
  ::close(fd);
  fs::remove(probe, ec);
}

}  // namespace beyond
