#include "beyond/tasks/char_lm_task.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "beyond/core/atomic_file.h"
#include "beyond/core/error.h"
#include "beyond/core/log.h"
#include "beyond/engine/config.h"
#include "beyond/eval/bits_per_character.h"
#include "beyond/tasks/recurrent_config.h"

namespace beyond {
namespace fs = std::filesystem;

BpttCarryImpl::BpttCarryImpl(int64_t layers, int64_t streams, int64_t hidden, bool has_cell) {
  h_ = register_buffer("h", torch::zeros({layers, streams, hidden}));
  c_ = register_buffer("c", has_cell ? torch::zeros({layers, streams, hidden}) : torch::zeros({0}));
}

models::RecurrentState BpttCarryImpl::state() const {
  return {h_.clone(), c_.numel() > 0 ? c_.clone() : torch::Tensor()};
}

void BpttCarryImpl::store(const models::RecurrentState& state) {
  torch::NoGradGuard no_grad;
  h_.copy_(state.h.detach());
  if (c_.numel() > 0) c_.copy_(state.c.detach());
}

void BpttCarryImpl::reset() {
  torch::NoGradGuard no_grad;
  h_.zero_();
  c_.zero_();
}

namespace {

std::string corpus_path(const Config& cfg) {
  const std::string root = cfg.get_string("data.root"), text = cfg.get_string("data.text");
  BEYOND_CHECK_USAGE(root.empty() != text.empty(),
                     root.empty() ? "char_lm needs a text: pass --text FILE (any UTF-8 file) or --data DIR (a folder "
                                    "with train.txt, val.txt, test.txt, e.g. from `beyond data kjv --out DIR`)"
                                  : "pass either --text FILE or --data DIR, not both");
  return root.empty() ? text : root;
}

// model.output_dropout: 0 in a run config written before the key existed, so such runs still load.
double output_dropout(const Config& cfg) {
  return cfg.has("model.output_dropout") ? cfg.get_double("model.output_dropout") : 0.0;
}

}  // namespace

CharLmTask::CharLmTask(const Config& cfg) {
  corpus_ = data::load_text_corpus(corpus_path(cfg), data::TextCorpusOptions()
                                                         .vocab(data::parse_vocab_kind(cfg.get_string("data.vocab")))
                                                         .val_fraction(cfg.get_double("data.val_fraction"))
                                                         .test_fraction(cfg.get_double("data.test_fraction")));
  const int64_t streams = cfg.get_int("data.batch_size"), seq_len = cfg.get_int("data.seq_len");
  batches_ = std::make_unique<data::BpttBatches>(corpus_.train, streams, seq_len, corpus_.source + " (train split)");
  const auto cell = models::parse_cell_kind(cfg.get_string("model.cell"));
  model_ = models::CharLM(models::CharLMOptions(corpus_.vocabulary.size(), cfg.get_int("model.hidden"))
                              .embedding_dim(cfg.get_int("model.embedding_dim"))
                              .cell(cell)
                              .num_layers(cfg.get_int("model.num_layers"))
                              .dropout(cfg.get_double("model.dropout"))
                              .output_dropout(output_dropout(cfg))
                              .forget_bias(cfg.get_double("model.forget_bias"))
                              .fused(cfg.get_bool("model.fused"))
                              .sequence_kernel(sequence_kernel(cfg)));
  vocabulary_module_ = data::VocabularyModule(corpus_.vocabulary);
  carry_ = BpttCarry(cfg.get_int("model.num_layers"), streams, cfg.get_int("model.hidden"),
                     cell == models::CellKind::LSTM);
  eval_streams_ = cfg.get_int("eval.streams");
  eval_seq_len_ = cfg.get_int("eval.seq_len");
  sample_chars_ = cfg.get_int("eval.sample_chars");
  temperatures_ = cfg.get_doubles("eval.temperatures");
  eval_prime_ = cfg.get_string("eval.prime");
  log::info(str("char_lm: ", corpus_.source, ": ", corpus_.vocabulary.size(), " ",
                data::to_string(corpus_.vocabulary.kind()), "; train ", corpus_.train.numel(), ", val ",
                corpus_.val.numel(), ", test ", corpus_.test.numel(), "; ", batches_->windows(),
                " windows of ", seq_len, " x ", streams, " per epoch"));
}

NamedModules CharLmTask::modules() {
  // The vocabulary comes first: loading a checkpoint checks it before any weight shape.
  return {{"vocabulary", vocabulary_module_.ptr()}, {"char_lm", model_.ptr()}, {"carry", carry_.ptr()}};
}

std::vector<OptimizedPart> CharLmTask::parts() { return {{"model", model_->parameters(), "optim"}}; }

int64_t CharLmTask::steps_per_epoch() const { return batches_->windows(); }

void CharLmTask::seek(int64_t) {
  // Nothing to position: the window of a step is step mod windows, and the carried state of a
  // resumed run came with its checkpoint.
}

Metrics CharLmTask::train_step(StepContext& ctx) {
  const int64_t w = ctx.step() % batches_->windows();
  if (w == 0) carry_->reset();  // a new epoch: streams start over
  const auto window = batches_->window(w);
  auto [logits, state] = model_->forward(window.input, carry_->state());
  const auto loss = torch::nn::functional::cross_entropy(logits.view({-1, logits.size(-1)}), window.target.view(-1));
  ctx.optimize("model", loss);
  carry_->store(state);
  const double nats = loss.item<double>();
  return {{"loss", nats}, {"bpc", nats / std::log(2.0)}};
}

double CharLmTask::bits_per_character(const torch::Tensor& ids, int64_t streams, int64_t seq_len) {
  torch::NoGradGuard no_grad;
  const bool was_training = model_->is_training();
  model_->eval();
  // A short split gets fewer streams (each needs at least one window).
  streams = std::max<int64_t>(1, std::min(streams, (ids.numel() - 1) / std::max<int64_t>(1, seq_len)));
  seq_len = std::min(seq_len, (ids.numel() - 1) / streams);
  data::BpttBatches batches(ids, streams, seq_len, "evaluation split");
  eval::BitsPerCharacter bpc;
  models::RecurrentState state;
  for (int64_t w = 0; w < batches.windows_with_tail(); ++w) {
    const auto window = batches.window(w);
    auto [logits, next] = model_->forward(window.input, state);
    bpc.process(logits, window.target);
    state = next;
  }
  model_->train(was_training);
  return bpc.evaluate();
}

Metrics CharLmTask::evaluate() {
  Metrics m;
  for (const auto& [name, ids] : {std::pair<std::string, torch::Tensor>{"val", corpus_.val}, {"test", corpus_.test}}) {
    if (ids.numel() < 2) {
      log::warn(str("char_lm: the ", name, " split of ", corpus_.source, " has ", ids.numel(),
                    " characters; nothing to score (raise data.", name, "_fraction)"));
      continue;
    }
    m[name + "_bpc"] = bits_per_character(ids, eval_streams_, eval_seq_len_);
  }
  return m;
}

std::string CharLmTask::sample_text(const TextSampleOptions& o) {
  BEYOND_CHECK_USAGE(o.temperature > 0, "--temperature must be positive, got ", o.temperature,
                     " (lower is more conservative; 1 samples the model's distribution)");
  BEYOND_CHECK_USAGE(o.n >= 0, "--n must be >= 0, got ", o.n);
  const auto& vocab = corpus_.vocabulary;
  torch::Tensor prime;
  if (o.prime.empty()) {
    // Nothing to read: start as after a line break (or the first symbol if the text has none).
    const int64_t newline = vocab.id('\n');
    prime = torch::tensor({newline >= 0 ? newline : int64_t{0}}, torch::kInt64);
  } else {
    prime = vocab.encode(data::text_symbols(o.prime, vocab.kind(), "the priming text"), "the priming text");
  }
  auto generator = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  const bool was_training = model_->is_training();
  model_->eval();
  const auto drawn = model_->sample(prime, o.n, o.temperature, generator);
  model_->train(was_training);
  return o.prime + vocab.decode(drawn);
}

std::string CharLmTask::usable_prime() const {
  const auto& vocab = corpus_.vocabulary;
  for (int32_t s : data::text_symbols(eval_prime_, vocab.kind(), "eval.prime")) {
    if (vocab.id(s) < 0) {
      log::warn(str("char_lm: eval.prime \"", eval_prime_, "\" has ", vocab.describe(s),
                    ", which the text does not; samples start unprimed (set eval.prime)"));
      return "";
    }
  }
  return eval_prime_;
}

std::vector<std::string> CharLmTask::visualize(const std::string& dir) {
  const std::string prime = usable_prime();
  std::string text;
  for (double t : temperatures_) {
    text += str("=== temperature ", t, ", primed with \"", prime, "\" ===\n");
    text += sample_text({prime, sample_chars_, t, 0}) + "\n\n";
  }
  write_file_atomic((fs::path(dir) / "samples.txt").string(), text);
  return {"samples.txt"};
}

void CharLmTask::sample(int64_t n, const std::string& path) {
  write_file_atomic(path, sample_text({usable_prime(), n, 1.0, 0}));
}

std::map<std::string, std::string> CharLmTask::weights_metadata() {
  nlohmann::json symbols = corpus_.vocabulary.symbols();
  return {{"vocabulary", symbols.dump()}, {"vocab", data::to_string(corpus_.vocabulary.kind())}};
}

}  // namespace beyond
