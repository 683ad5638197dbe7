#include <gtest/gtest.h>

#include "beyond/core/error.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/registry.h"

namespace beyond {
namespace {

const char* kYaml = R"(
task: vae
seed: 1
data:
  batch_size: 128
  root: /usr/share/datasets/fashion-mnist
optim:
  lr: 1.0e-3
  betas: [0.9, 0.999]
train:
  epochs: 10
  clip_grad_norm: 0.0
)";

TEST(Config, ReadsTypedValuesByDottedKey) {
  Config c = Config::from_yaml(kYaml, "test");
  EXPECT_EQ(c.get_int("data.batch_size"), 128);
  EXPECT_DOUBLE_EQ(c.get_double("optim.lr"), 1e-3);
  EXPECT_EQ(c.get_string("task"), "vae");
  EXPECT_EQ(c.get_doubles("optim.betas"), (std::vector<double>{0.9, 0.999}));
  EXPECT_TRUE(c.has("train.epochs"));
  EXPECT_FALSE(c.has("train.steps"));
}

TEST(Config, SetOverridesAnExistingLeaf) {
  Config c = Config::from_yaml(kYaml, "test");
  c.set_assignment("train.epochs=3");
  c.set("optim.betas", "[0.5, 0.99]");
  EXPECT_EQ(c.get_int("train.epochs"), 3);
  EXPECT_EQ(c.get_doubles("optim.betas"), (std::vector<double>{0.5, 0.99}));
}

TEST(Config, UnknownKeyNamesTheKeyAndTheClosestValidOne) {
  Config c = Config::from_yaml(kYaml, "test");
  try {
    c.set_assignment("data.batchsize=3");
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("data.batchsize"), std::string::npos) << msg;
    EXPECT_NE(msg.find("data.batch_size"), std::string::npos) << msg;
  }
}

TEST(Config, MergeRejectsUnknownKeysFromAFile) {
  Config c = Config::from_yaml(kYaml, "test");
  Config overrides = Config::from_yaml("train:\n  epoch: 4\n", "my.yaml");
  try {
    c.merge(overrides);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("train.epoch"), std::string::npos) << msg;
    EXPECT_NE(msg.find("train.epochs"), std::string::npos) << msg;
  }
  Config good = Config::from_yaml("train:\n  epochs: 4\n", "my.yaml");
  c.merge(good);
  EXPECT_EQ(c.get_int("train.epochs"), 4);
}

TEST(Config, WrongTypeIsAUsageErrorNamingTheKey) {
  Config c = Config::from_yaml(kYaml, "test");
  c.set("train.epochs", "many");
  try {
    c.get_int("train.epochs");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("train.epochs"), std::string::npos) << e.what();
  }
}

TEST(Config, MalformedYamlNamesTheSource) {
  try {
    Config::from_yaml("a: [1, 2\n", "broken.yaml");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("broken.yaml"), std::string::npos) << e.what();
  }
}

TEST(Config, EveryBuiltinConfigRoundTripsThroughYaml) {
  const auto names = Config::builtin_names();
  beyond::register_builtin_tasks();
  for (const char* expected : {"ae", "dae", "vae", "gan", "classifier", "faster_rcnn_small", "fast_rcnn_small",
                               "faster_rcnn_r50_fpn", "fast_rcnn_vgg16", "fcn32s_small", "fcn16s_small", "fcn8s_small",
                               "fcn8s_vgg16", "fcn8s_resnet_small"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
  for (const auto& name : names) {
    Config c = Config::builtin(name);
    Config again = Config::from_yaml(c.to_yaml(), "round trip");
    EXPECT_EQ(c.keys(), again.keys()) << name;
    // Each config names its task: its own name, or a task several configs share ("detection").
    EXPECT_TRUE(beyond::TaskRegistry::instance().contains(c.get_string("task"))) << name;
  }
}

TEST(Config, UnknownBuiltinListsTheKnownNames) {
  try {
    Config::builtin("vea");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("vae"), std::string::npos) << e.what();
  }
}

TEST(ClosestMatch, PicksTheNearestByEditDistance) {
  EXPECT_EQ(closest_match("optim.lrr", {"optim.lr", "optim.eps", "train.steps"}), "optim.lr");
  EXPECT_EQ(closest_match("zzzzzzzzzzzz", {"a", "b"}), "");
}

}  // namespace
}  // namespace beyond
