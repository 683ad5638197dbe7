// beyond demo [--out DIR]: short runs of the generative family on Fashion-MNIST, with pictures and
// one index page. The settings are the models' defaults shortened to a few minutes on 2 cores.
#include <filesystem>
#include <iostream>

#include "beyond/core/atomic_file.h"
#include "beyond/core/log.h"
#include "beyond/engine/config.h"
#include "beyond/tasks/run.h"
#include "beyond/viz/report.h"
#include "commands.h"

namespace beyond::cli {
namespace {

struct DemoRun {
  std::string name;
  std::string model;
  std::vector<std::string> overrides;
  std::string what;
};

const std::vector<DemoRun>& demo_runs() {
  static const std::vector<DemoRun> runs = {
      {"vae", "vae", {"train.epochs=2", "eval.iwae_images=1000"},
       "VAE (784-400-20) after 2 epochs: test ELBO and IWAE bound (k=100) in nats per image"},
      {"ae", "ae", {"train.steps=400"}, "convolutional autoencoder, 400 steps"},
      {"dae", "dae", {"train.steps=400"},
       "denoising autoencoder, 400 steps: compare denoise_bce with the plain autoencoder's"},
      {"gan", "gan", {"train.steps=600", "eval.fid_samples=2000"},
       "DCGAN, 600 steps: FID of 2000 samples against the test set"},
  };
  return runs;
}

void run_demo(const std::string& out) {
  ensure_writable_dir(out);
  viz::HtmlReport index("beyond demo");
  index.paragraph("Short runs of the generative family on Fashion-MNIST, each with a link to its full report.");
  std::vector<std::vector<std::string>> rows;
  for (const auto& run : demo_runs()) {
    log::info("demo: training " + run.name + " (" + run.what + ")");
    Config cfg = Config::builtin(run.model);
    for (const auto& s : run.overrides) cfg.set_assignment(s);
    RunOptions options;
    options.out_dir = (std::filesystem::path(out) / run.name).string();
    auto result = train_run(cfg, options);
    if (result.status != TrainResult::Status::Completed) {
      exit_status() = 130;
      return;
    }
    std::string metrics;
    for (const auto& [k, v] : result.final_metrics) metrics += (metrics.empty() ? "" : ", ") + k + " " + str(v);
    rows.push_back({run.name, run.what, metrics});
    index.heading(run.name);
    index.image(run.name + "/images/" + (run.name == "vae" || run.name == "gan" ? "samples.png" : "reconstructions.png"),
                run.what);
    index.link(run.name + "/report.html", "full report of the " + run.name + " run (metrics, curves, all pictures)");
  }
  index.heading("Final metrics");
  index.table({"run", "what", "final metrics"}, rows);
  const std::string page = (std::filesystem::path(out) / "index.html").string();
  index.write(page);
  std::cout << "demo finished: open " << std::filesystem::absolute(page).string() << "\n";
}

}  // namespace

void add_demo(CLI::App& app, const GlobalOptions&) {
  auto out = std::make_shared<std::string>("runs/demo");
  auto* cmd = app.add_subcommand("demo", "train the generative family briefly and write a report (a few minutes)");
  cmd->add_option("--out", *out, "output directory");
  cmd->callback([out] { run_demo(*out); });
}

}  // namespace beyond::cli
