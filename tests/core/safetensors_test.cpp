#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/safetensors.h"
#include "support/temp_dir.h"

namespace beyond {
namespace {

TEST(Safetensors, RoundTripsEveryDtypeAndShape) {
  test::TempDir dir;
  TensorMap in{{"f32", torch::randn({3, 4})},
               {"f64", torch::randn({2}, torch::kFloat64)},
               {"f16", torch::randn({5}).to(torch::kHalf)},
               {"i64", torch::arange(7)},
               {"u8", torch::arange(10).to(torch::kUInt8)},
               {"bool", torch::tensor({true, false, true})},
               {"scalar", torch::tensor(3.5f)},
               {"empty", torch::zeros({0, 3})},
               {"strided", torch::randn({4, 4}).t()}};
  save_safetensors(dir / "w.safetensors", in, {{"producer", "test"}});
  auto out = load_safetensors(dir / "w.safetensors");
  ASSERT_EQ(out.size(), in.size());
  for (const auto& [k, v] : in) {
    ASSERT_TRUE(out.count(k)) << k;
    EXPECT_EQ(out[k].scalar_type(), v.scalar_type()) << k;
    EXPECT_TRUE(torch::equal(out[k], v)) << k;
  }
}

TEST(Safetensors, StateDictRoundTripIntoAFreshModule) {
  test::TempDir dir;
  torch::nn::Sequential a(torch::nn::Linear(3, 4), torch::nn::BatchNorm1d(4));
  torch::nn::Sequential b(torch::nn::Linear(3, 4), torch::nn::BatchNorm1d(4));
  a->forward(torch::randn({8, 3}));  // moves the running statistics
  save_safetensors(dir / "m.safetensors", state_dict(*a, "net."));
  load_state_dict(*b, load_safetensors(dir / "m.safetensors"), "net.");
  for (const auto& [k, v] : state_dict(*a)) EXPECT_TRUE(torch::equal(v, state_dict(*b).at(k))) << k;
}

TEST(Safetensors, LoadStateDictNamesMissingAndMisshapenTensors) {
  torch::nn::Linear net(3, 4);
  TensorMap wrong = state_dict(*net);
  wrong["weight"] = torch::zeros({4, 5});
  try {
    load_state_dict(*net, wrong, "", "w.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("weight"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("w.safetensors"), std::string::npos) << e.what();
  }
  wrong.erase("weight");
  EXPECT_THROW(load_state_dict(*net, wrong, "", "w.safetensors"), Error);
}

TEST(Safetensors, LoadStateDictGivesBothShapesCountsEveryProblemAndCopiesNothing) {
  torch::nn::Linear net(3, 4);
  const auto before = net->weight.clone();
  TensorMap other = {{"net.weight", torch::zeros({4, 5})}, {"net.extra", torch::zeros({2})},
                     {"elsewhere.x", torch::zeros({1})}};
  std::string message;
  try {
    load_state_dict(*net, other, "net.", "w.safetensors");
  } catch (const Error& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("w.safetensors: tensor 'net.weight' has shape [4, 5], the model expects [4, 3]"),
            std::string::npos) << message;
  // bias is missing; net.extra is not in the model (elsewhere.x is outside the prefix).
  EXPECT_NE(message.find("[1 missing, 1 with another shape, 1 not in the model, of 2 expected]"), std::string::npos)
      << message;
  EXPECT_TRUE(torch::equal(net->weight, before)) << "nothing is copied when anything is wrong";
}

TEST(Safetensors, MetadataRoundTripsAndIsReadWithoutTheTensors) {
  test::TempDir dir;
  const std::string yaml = "model:\n  arch: faster_rcnn\n";
  save_safetensors(dir / "m.safetensors", {{"x", torch::ones({3})}}, {{"config", yaml}, {"categories", "[]"}});
  const auto metadata = load_safetensors_metadata(dir / "m.safetensors");
  EXPECT_EQ(metadata, (std::map<std::string, std::string>{{"config", yaml}, {"categories", "[]"}}));
  save_safetensors(dir / "bare.safetensors", {{"x", torch::ones({3})}});
  EXPECT_TRUE(load_safetensors_metadata(dir / "bare.safetensors").empty());
  write_file_atomic(dir / "tiny.safetensors", "abc");
  try {
    load_safetensors_metadata(dir / "tiny.safetensors");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tiny.safetensors: not a safetensors file"), std::string::npos) << e.what();
  }
}

TEST(Safetensors, TruncatedAndGarbageFilesGiveClearErrors) {
  test::TempDir dir;
  save_safetensors(dir / "w.safetensors", {{"x", torch::randn({100})}});
  const std::string bytes = read_file(dir / "w.safetensors");
  write_file_atomic(dir / "short.safetensors", bytes.substr(0, bytes.size() - 50));
  write_file_atomic(dir / "tiny.safetensors", "abc");
  write_file_atomic(dir / "garbage.safetensors", std::string("\x10\x00\x00\x00\x00\x00\x00\x00not json at all!", 24));
  for (const char* name : {"short.safetensors", "tiny.safetensors", "garbage.safetensors"}) {
    try {
      load_safetensors(dir / name);
      FAIL() << name;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

TEST(Safetensors, PythonReadsOurFileWithNumpy) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) GTEST_SKIP() << "no python3-numpy";
  test::TempDir dir;
  auto w = torch::arange(12, torch::kFloat32).reshape({3, 4});
  save_safetensors(dir / "w.safetensors", {{"layer.weight", w}});
  // A reader written from the format's definition: 8-byte header length, JSON header, raw bytes.
  const std::string script =
      "import json, struct, numpy as np, sys\n"
      "b = open(sys.argv[1], 'rb').read()\n"
      "n = struct.unpack('<Q', b[:8])[0]\n"
      "h = json.loads(b[8:8 + n])\n"
      "e = h['layer.weight']\n"
      "assert e['dtype'] == 'F32' and e['shape'] == [3, 4], e\n"
      "s, t = e['data_offsets']\n"
      "a = np.frombuffer(b[8 + n + s:8 + n + t], dtype='<f4').reshape(3, 4)\n"
      "assert (a == np.arange(12).reshape(3, 4)).all()\n";
  write_file_atomic(dir / "read.py", script);
  EXPECT_EQ(std::system(("/usr/bin/python3 " + (dir / "read.py") + " " + (dir / "w.safetensors")).c_str()), 0);
}

}  // namespace
}  // namespace beyond
