#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>

#include <torch/torch.h>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/image.h"
#include "beyond/viz/grid.h"
#include "beyond/viz/plot.h"
#include "beyond/viz/report.h"

namespace fs = std::filesystem;
using namespace beyond::viz;

namespace {

class VizTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("beyond_viz_test_" + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

}  // namespace

TEST_F(VizTest, GridShapeAndPadding) {
  const torch::Tensor images = torch::zeros({10, 1, 28, 28});
  const torch::Tensor grid = make_grid(images, /*nrow=*/4, /*padding=*/2);
  // 3 rows of 4: H = 3 * 30 + 2, W = 4 * 30 + 2 (torchvision's layout).
  EXPECT_EQ(grid.sizes(), torch::IntArrayRef({1, 92, 122}));
  EXPECT_EQ(grid[0][0][0].item<float>(), 1.0f);    // padding
  EXPECT_EQ(grid[0][2][2].item<float>(), 0.0f);    // first image
  EXPECT_EQ(grid[0][2][30].item<float>(), 1.0f);   // between images
  EXPECT_EQ(grid[0][62][92].item<float>(), 1.0f);  // the empty 12th cell
  // Fewer images than nrow: only as wide as needed.
  EXPECT_EQ(make_grid(torch::rand({3, 3, 8, 8}), 8, 1, 0.0).sizes(), torch::IntArrayRef({3, 10, 28}));
  EXPECT_THROW(make_grid(images, 0), beyond::Error);
}

TEST_F(VizTest, GridMatchesTorchvisionPlacement) {
  const torch::Tensor images = torch::arange(6).to(torch::kFloat32).div(10).view({6, 1, 1, 1}).expand({6, 1, 2, 3});
  const torch::Tensor grid = make_grid(images, 3, 1, 0.5);
  ASSERT_EQ(grid.sizes(), torch::IntArrayRef({1, 7, 13}));
  EXPECT_FLOAT_EQ(grid[0][1][1].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(grid[0][1][5].item<float>(), 0.1f);
  EXPECT_FLOAT_EQ(grid[0][4][9].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(grid[0][0][0].item<float>(), 0.5f);
}

TEST_F(VizTest, StackRowsAndSaveGrid) {
  const torch::Tensor a = torch::rand({4, 1, 8, 8}), b = torch::rand({4, 3, 8, 8});
  const torch::Tensor rows = stack_rows({a, b, a});
  EXPECT_EQ(rows.sizes(), torch::IntArrayRef({12, 3, 8, 8}));
  EXPECT_TRUE(torch::equal(rows[0][2], a[0][0]));
  EXPECT_THROW(stack_rows({a, torch::rand({3, 1, 8, 8})}), beyond::Error);

  save_grid(rows, path("grid.png"), 4);
  const torch::Tensor img = beyond::read_image(path("grid.png"));
  EXPECT_EQ(img.sizes(), torch::IntArrayRef({3, 3 * 10 + 2, 4 * 10 + 2}));
}

TEST_F(VizTest, PlotWritesReadablePngOfRequestedSize) {
  Series train{"train loss", {}, {}};
  Series val{"val loss", {}, {}};
  for (int i = 0; i < 200; ++i) {
    train.x.push_back(i);
    train.y.push_back(500.0 * std::exp(-i / 50.0) + 100);
  }
  train.y[17] = std::numeric_limits<double>::quiet_NaN();
  train.y[18] = std::numeric_limits<double>::infinity();
  for (int i = 0; i < 200; i += 20) {
    val.x.push_back(i);
    val.y.push_back(520.0 * std::exp(-i / 50.0) + 110);
  }
  PlotOptions o;
  o.title = "VAE loss";
  o.xlabel = "step";
  o.ylabel = "negative ELBO";
  o.width = 640;
  o.height = 360;
  line_plot({train, val}, o, path("loss.png"));
  torch::Tensor img = beyond::read_image(path("loss.png"));
  EXPECT_EQ(img.sizes(), torch::IntArrayRef({3, 360, 640}));
  // Something other than white was drawn, in more than one colour.
  EXPECT_LT(img.to(torch::kFloat32).mean().item<float>(), 254.0f);

  o.log_y = true;
  line_plot({train, val}, o, path("loss_log.png"));
  EXPECT_EQ(beyond::read_image(path("loss_log.png")).sizes(), torch::IntArrayRef({3, 360, 640}));
}

TEST_F(VizTest, PlotHandlesEmptyAndDegenerateSeries) {
  PlotOptions o;
  line_plot({}, o, path("empty.png"));
  EXPECT_EQ(beyond::read_image(path("empty.png")).sizes(), torch::IntArrayRef({3, 480, 800}));
  line_plot({Series{"nan only", {1, 2}, {NAN, NAN}}}, o, path("nan.png"));
  line_plot({Series{"one point", {3}, {7}}}, o, path("one.png"));
  line_plot({Series{"flat", {0, 1, 2}, {5, 5, 5}}}, o, path("flat.png"));
  EXPECT_TRUE(fs::exists(path("flat.png")));
  EXPECT_THROW(line_plot({Series{"bad", {1, 2}, {1}}}, o, path("bad.png")), beyond::Error);
}

TEST(PlotTicks, NiceRoundNumbers) {
  EXPECT_EQ(beyond::viz::detail::nice_ticks(0, 1, 6), (std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1.0}));
  const auto t = beyond::viz::detail::nice_ticks(3, 97, 6);
  EXPECT_EQ(t.front(), 0);
  EXPECT_EQ(t.back(), 100);
  EXPECT_EQ(beyond::viz::detail::tick_label(0.2, 0.2), "0.2");
  EXPECT_EQ(beyond::viz::detail::tick_label(2000, 500), "2000");
  EXPECT_EQ(beyond::viz::detail::log_ticks(1e-3, 1e3).front(), 1e-3);
  EXPECT_EQ(beyond::viz::detail::log_ticks(1e-3, 1e3).back(), 1e3);
  EXPECT_EQ(beyond::viz::detail::log_ticks(120, 480), (std::vector<double>{100, 200, 500}));
}

TEST_F(VizTest, ReportEscapesTextAndHasImages) {
  HtmlReport r("Run <1> & \"friends\"");
  r.heading("Loss");
  r.paragraph("a < b && c > d");
  r.preformatted("line 1\n  <line> 2");
  r.image("loss.png", "loss 'per' step");
  r.link("vae/report.html", "the <vae> run");
  r.table({"name", "value"}, {{"<x>", "1"}, {"y"}});
  r.metrics({{"test/elbo", -245.25}});
  r.write(path("report.html"));
  const std::string html = beyond::read_file(path("report.html"));
  EXPECT_NE(html.find("<title>Run &lt;1&gt; &amp; &quot;friends&quot;</title>"), std::string::npos) << html;
  EXPECT_NE(html.find("a &lt; b &amp;&amp; c &gt; d"), std::string::npos);
  EXPECT_NE(html.find("<pre>line 1\n  &lt;line&gt; 2</pre>"), std::string::npos) << html;
  EXPECT_NE(html.find("<img src=\"loss.png\""), std::string::npos);
  EXPECT_NE(html.find("loss &#39;per&#39; step"), std::string::npos);
  EXPECT_NE(html.find("<td>&lt;x&gt;</td>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"vae/report.html\">the &lt;vae&gt; run</a>"), std::string::npos) << html;
  EXPECT_NE(html.find("-245.25"), std::string::npos);
  EXPECT_NE(html.find("<style>"), std::string::npos);
  EXPECT_EQ(html.find("<x>"), std::string::npos);
  EXPECT_THROW(r.table({"a"}, {{"1", "2"}}), beyond::Error);
}
