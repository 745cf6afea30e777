// Trainer: determinism, resume equivalence, fractional phase boundaries.
#include <gtest/gtest.h>

#include "axtrain/layers/attach.h"
#include "axtrain/run/run_config.h"
#include "axtrain/train/trainer.h"
#include "test_util.h"

namespace ax {
namespace {

run::RunConfig make_config(const std::string& phases) {
  std::string text = R"(name: tr
seed: 7
data: {type: synthetic, shape: [1, 8, 8], classes: 3, train_size: 80, test_size: 40, noise: 0.1, batch_size: 10}
model: {type: mlp, hidden: [16]}
optimizer: {type: adam, lr: 0.01}
schedule: {type: cosine}
phases: )" + phases + "\n";
  return run::parse_run_config(YAML::Load(text), "<test>");
}

struct TrainRun {
  std::unique_ptr<data::Dataset> data;
  std::shared_ptr<models::Model> model;
  std::unique_ptr<train::Trainer> trainer;
};

TrainRun make_run(const run::RunConfig& c) {
  TrainRun r;
  torch::manual_seed(c.seed);
  r.data = c.data.open(c.seed);
  r.model = c.model.build(r.data->input_shape(), r.data->num_classes());
  layers::attach_hardware(*r.model, c.hardware, c.seed);
  r.trainer = std::make_unique<train::Trainer>(run::trainer_options(c), *r.data, r.model, torch::kCPU);
  return r;
}

TEST(Trainer, SameConfigAndSeedGiveIdenticalMetrics) {
  auto c = make_config("[{epochs: 2}]");
  TrainRun a = make_run(c), b = make_run(c);
  a.trainer->run();
  b.trainer->run();
  ASSERT_EQ(a.trainer->history().size(), 2u);
  for (std::size_t e = 0; e < 2; ++e) {
    EXPECT_EQ(a.trainer->history()[e].train.loss, b.trainer->history()[e].train.loss);
    EXPECT_EQ(a.trainer->history()[e].test.accuracy, b.trainer->history()[e].test.accuracy);
  }
  EXPECT_GT(a.trainer->history().back().test.accuracy, 0.5) << "the synthetic set is learnable";
}

struct StopAfter final : train::Observer {
  std::int64_t epoch;
  std::string file;
  void on_epoch(const train::EpochRecord& r, train::Trainer& t) override {
    if (r.epoch == epoch) {
      t.save(file);
      throw std::runtime_error("interrupted");
    }
  }
};

// A run of c interrupted (checkpoint, then an exception) after epoch `stop_epoch`, and a fresh
// run loaded from that checkpoint, ready to continue.
TrainRun interrupted_and_resumed(const run::RunConfig& c, std::int64_t stop_epoch, const std::string& tag) {
  std::string file = test::temp_dir(tag) + "/last.pt";
  {
    TrainRun first = make_run(c);
    StopAfter stop;
    stop.epoch = stop_epoch;
    stop.file = file;
    first.trainer->add_observer(&stop);
    EXPECT_THROW(first.trainer->run(), std::runtime_error);
  }
  TrainRun resumed = make_run(c);
  resumed.trainer->load(file);
  EXPECT_EQ(resumed.trainer->epochs_done(), stop_epoch);
  return resumed;
}

TEST(Trainer, ResumeAfterInterruptionEndsWithIdenticalMetrics) {
  // Two phases with their own optimizers, interrupted after epoch 2 of 4 (in the second phase).
  auto c = make_config("[{name: a, epochs: 1.5}, {name: b, epochs: 2.5, optimizer: {type: sgd, lr: 0.05}}]");
  TrainRun full = make_run(c);
  full.trainer->run();

  TrainRun resumed = interrupted_and_resumed(c, 2, "resume");
  resumed.trainer->run();
  const auto& h1 = full.trainer->history();
  const auto& h2 = resumed.trainer->history();
  ASSERT_EQ(h1.size(), h2.size());
  for (std::size_t e = 0; e < h1.size(); ++e) {
    EXPECT_EQ(h1[e].train.loss, h2[e].train.loss) << "epoch " << e + 1;
    EXPECT_EQ(h1[e].test.loss, h2[e].test.loss) << "epoch " << e + 1;
    EXPECT_EQ(h1[e].phases, h2[e].phases);
  }
}

struct PhaseLog final : train::Observer {
  std::vector<std::string> phase_of_batch;
  void on_batch(const train::BatchEvent& e) override { phase_of_batch.push_back(*e.phase); }
};

TEST(Trainer, FractionalPhasesSwitchAtTheRightBatch) {
  // 80 examples / batch 10 = 8 batches per epoch; 2.75 + 0.25 epochs → the switch at batch
  // round(2.75 · 8) = 22 of 24: the fine-tune phase runs the last quarter epoch only.
  auto c = make_config("[{name: inject, epochs: 2.75}, {name: finetune, epochs: 0.25}]");
  TrainRun r = make_run(c);
  PhaseLog log;
  r.trainer->add_observer(&log);
  r.trainer->run();
  ASSERT_EQ(log.phase_of_batch.size(), 24u);
  for (std::size_t b = 0; b < 24; ++b) EXPECT_EQ(log.phase_of_batch[b], b < 22 ? "inject" : "finetune") << b;
  EXPECT_EQ(r.trainer->history().size(), 3u);
  EXPECT_EQ(r.trainer->history()[2].phases, (std::vector<std::string>{"inject", "finetune"}));
}

TEST(Trainer, ScheduleWarmupAndDecayClosedForms) {
  train::ScheduleSpec s = train::ScheduleSpec::constant();
  EXPECT_DOUBLE_EQ(s.lr(0.1, 3.0, 10.0), 0.1);
  YAML::Node n = YAML::Load("{type: poly, power: 2, warmup_epochs: 2}");
  config::Section sec({{n, "<t>"}}, "schedule");
  train::ScheduleSpec p = train::ScheduleSpec::parse(sec);
  EXPECT_NEAR(p.lr(1.0, 1.0, 10.0), 0.5, 1e-9);             // half-way through warm-up
  EXPECT_NEAR(p.lr(1.0, 6.0, 10.0), 0.25, 1e-9);            // (1 - 4/8)^2
}

}  // namespace
}  // namespace ax

namespace ax {
namespace {

// AxTrain-act in a phase: S(w) and γ are logged per epoch, γ follows the adaptive rule, the
// regulariser lowers S against plain training (γ = 0, S only measured), and γ survives a resume.
TEST(Trainer, SensitivityPhaseLowersSAndAdaptsGamma) {
  auto bp = make_config("[{epochs: 4, mode: ideal, sensitivity: {gamma: 0, adaptive: false}}]");
  auto act = make_config("[{epochs: 4, mode: ideal, sensitivity: {gamma: 0.05, delta_gamma: 0.01}}]");
  TrainRun a = make_run(bp), b = make_run(act);
  a.trainer->run();
  b.trainer->run();
  const auto& ha = a.trainer->history();
  const auto& hb = b.trainer->history();
  ASSERT_EQ(hb.size(), 4u);
  for (const auto& r : hb) ASSERT_TRUE(r.extra.contains("sensitivity"));
  const double s_bp = ha.back().extra["sensitivity"]["S"].get<double>(), s_act = hb.back().extra["sensitivity"]["S"].get<double>();
  EXPECT_LT(s_act, 0.7 * s_bp) << "S with the regulariser " << s_act << ", without " << s_bp;
  EXPECT_FALSE(ha.back().extra["sensitivity"].contains("next_gamma"));  // not adaptive
  // γ of epoch e+1 is the rule's answer at the end of epoch e.
  train::GammaRule rule(0.05, 0.01, 0.0);
  for (const auto& r : hb) {
    EXPECT_DOUBLE_EQ(r.extra["sensitivity"]["gamma"].get<double>(), rule.gamma());
    EXPECT_DOUBLE_EQ(r.extra["sensitivity"]["next_gamma"].get<double>(), rule.update(1.0 - r.train.accuracy));
  }
  EXPECT_GT(hb.back().test.accuracy, 0.5);
}

TEST(Trainer, SensitivityGammaSurvivesResume) {
  auto c = make_config("[{epochs: 3, mode: ideal, sensitivity: {gamma: 0.5, delta_gamma: 0.05}}]");
  TrainRun full = make_run(c);
  full.trainer->run();
  TrainRun resumed = interrupted_and_resumed(c, 2, "sens_resume");
  resumed.trainer->run();
  EXPECT_DOUBLE_EQ(resumed.trainer->history().back().extra["sensitivity"]["gamma"].get<double>(),
                   full.trainer->history().back().extra["sensitivity"]["gamma"].get<double>());
  EXPECT_EQ(resumed.trainer->history().back().train.loss, full.trainer->history().back().train.loss);
}

}  // namespace
}  // namespace ax
