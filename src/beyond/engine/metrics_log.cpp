#include "beyond/engine/metrics_log.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"

namespace beyond {

namespace {
nlohmann::json to_json(const MetricsRecord& r) {
  nlohmann::json j;
  j["step"] = r.step;
  j["split"] = r.split;
  for (const auto& [k, v] : r.values) {
    if (std::isfinite(v)) j[k] = v;
    else j[k] = nullptr;  // JSON has no NaN; null keeps the line parseable
  }
  return j;
}
}  // namespace

MetricsLog::MetricsLog(std::string path, int64_t truncate_after) : path_(std::move(path)) {
  if (truncate_after < 0 || !std::filesystem::exists(path_)) return;
  std::string kept;
  for (const auto& r : read(path_))
    if (r.step <= truncate_after) kept += to_json(r).dump() + "\n";
  write_file_atomic(path_, kept);
}

void MetricsLog::append(const MetricsRecord& record) {
  std::ofstream out(path_, std::ios::app);
  BEYOND_CHECK(out, "cannot append to ", path_);
  out << to_json(record).dump() << "\n";
}

std::vector<MetricsRecord> MetricsLog::read(const std::string& path) {
  std::vector<MetricsRecord> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
      continue;  // a line cut short by a crash: skip it, keep the rest of the history
    }
    MetricsRecord r;
    r.step = j.value("step", int64_t{0});
    r.split = j.value("split", std::string());
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "step" || it.key() == "split") continue;
      r.values[it.key()] = it->is_number() ? it->get<double>() : std::nan("");
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace beyond
