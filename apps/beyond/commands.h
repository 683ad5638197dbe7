#pragma once
// One function per subcommand; each adds itself to the app and runs when selected.
#include <CLI/CLI.hpp>

namespace beyond::cli {

/// Options shared by every subcommand.
struct GlobalOptions {
  int threads = 0;  // 0 = one per core
  bool quiet = false;
};

/// --threads and --quiet, the options every subcommand accepts.
void add_global_options(CLI::App& app, GlobalOptions& global);

void add_train(CLI::App& app, const GlobalOptions& global);
void add_eval(CLI::App& app, const GlobalOptions& global);
void add_sample(CLI::App& app, const GlobalOptions& global);
void add_demo(CLI::App& app, const GlobalOptions& global);
void add_config(CLI::App& app, const GlobalOptions& global);
void add_data(CLI::App& app, const GlobalOptions& global);
/// `proposals IMAGE --out P.png`: draws the top Selective Search proposals.
void add_proposals(CLI::App& app, const GlobalOptions& global);
/// `detect --weights W IMAGES... --out DIR`: runs a trained detector, draws and writes COCO results.
void add_detect(CLI::App& app, const GlobalOptions& global);
/// `segment --weights W IMAGES... --out DIR`: label PNGs, overlays and probabilities of a trained FCN.
void add_segment(CLI::App& app, const GlobalOptions& global);
/// `eval detection RUN_DIR|W --data DIR`: COCO box AP and VOC07 mAP of a detector on a dataset split.
void add_eval_detection(CLI::App& eval);
/// `eval coco`, `eval voc`, `eval seg`: subcommands of `eval` that score prediction files.
void add_eval_scorers(CLI::App& eval);

/// `crf --image I.png (--unary U.npy | --probs P.npy) --out labels.png`: dense CRF post-processing.
void add_crf(CLI::App& app);
/// `refine --image I.png (--box x,y,w,h | --mask M.png) --out M2.png`: a coarse mask refined by the dense CRF.
void add_refine(CLI::App& app);
/// `gradients --cell rnn,lstm --T 100 --out grads.png`: the vanishing / exploding gradient plot.
void add_gradients(CLI::App& app, const GlobalOptions& global);

/// `stn show RUN_DIR --n 16 --out rectified.png`: a spatial transformer's distorted inputs and rectified outputs.
void add_stn(CLI::App& app, const GlobalOptions& global);

/// Exit status of the selected subcommand (0 unless it says otherwise, e.g. 130 after SIGINT).
int& exit_status();

}  // namespace beyond::cli
