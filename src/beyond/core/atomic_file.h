#pragma once
/// Atomic file writes: the content goes to a temporary file in the same directory, is flushed to disk,
/// then renamed over the target. A reader (or a crash) sees the old file or the new one, never half.
#include <functional>
#include <string>

namespace beyond {

/// Writes `bytes` to `path` atomically. Throws beyond::Error naming the path on failure.
void write_file_atomic(const std::string& path, const std::string& bytes);

/// Lets `writer` fill a temporary path, then fsyncs and renames it to `path`.
/// If `writer` throws, the temporary file is removed and `path` is untouched.
void write_atomic_with(const std::string& path, const std::function<void(const std::string& tmp_path)>& writer);

/// Reads a whole file; throws beyond::Error naming the path if it cannot be read.
std::string read_file(const std::string& path);

/// Creates `dir` (and parents) and checks that a file can be created in it; throws beyond::Error with the reason.
void ensure_writable_dir(const std::string& dir);

}  // namespace beyond
