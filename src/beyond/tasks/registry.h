#pragma once
/// Maps task names ("vae", "gan", ...) to factories that build the Task from a resolved Config.
/// Filled by an explicit register_builtin_tasks() call (not static initialisers, which a linker
/// may drop from a static library).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "beyond/engine/task.h"

namespace beyond {

class Config;

using TaskFactory = std::function<std::shared_ptr<Task>(const Config&)>;

class TaskRegistry {
 public:
  static TaskRegistry& instance();
  void add(const std::string& name, const std::string& description, TaskFactory factory);
  bool contains(const std::string& name) const;
  /// Builds the task named by cfg's `task` key; UsageError with the closest known name otherwise.
  std::shared_ptr<Task> create(const Config& cfg) const;
  std::vector<std::string> names() const;
  std::string description(const std::string& name) const;

 private:
  struct Entry {
    std::string description;
    TaskFactory factory;
  };
  std::vector<std::pair<std::string, Entry>> entries_;
};

/// Registers ae, dae, vae, gan, classifier, detection, segmentation, adding, copy,
/// char_lm and stn. Safe to call more
/// than once.
void register_builtin_tasks();

}  // namespace beyond
