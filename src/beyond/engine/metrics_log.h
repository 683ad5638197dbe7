#pragma once
/// metrics.jsonl: one JSON object per line ({"step": 100, "split": "train", "loss": 1.23, ...}), appended
/// and flushed as training goes, so a crashed run keeps its history and any tool can plot it.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace beyond {

struct MetricsRecord {
  int64_t step = 0;
  std::string split;
  std::map<std::string, double> values;
};

class MetricsLog {
 public:
  /// Opens `path` for appending. With `truncate_after` >= 0 (a resumed run), records of later steps,
  /// which the resumed run is about to redo, are dropped first.
  explicit MetricsLog(std::string path, int64_t truncate_after = -1);
  void append(const MetricsRecord& record);
  const std::string& path() const { return path_; }

  static std::vector<MetricsRecord> read(const std::string& path);

 private:
  std::string path_;
};

}  // namespace beyond
