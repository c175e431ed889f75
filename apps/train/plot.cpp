#include "plot.h"

#include <fmt/format.h>

#include <filesystem>

#include "common/plot.h"

namespace axon::train {

bool plot_curves(const std::string& dir, const std::vector<EpochMetrics>& history) {
  apps::Series train_loss{"train", {}, {}, "linespoints"}, test_loss{"test", {}, {}, "linespoints"};
  apps::Series train_accuracy = train_loss, test_accuracy = test_loss;
  for (const EpochMetrics& m : history) {
    for (apps::Series* s : {&train_loss, &test_loss, &train_accuracy, &test_accuracy}) {
      s->x.push_back(static_cast<double>(m.epoch));
    }
    train_loss.y.push_back(m.train_loss);
    test_loss.y.push_back(m.test_loss);
    train_accuracy.y.push_back(100 * m.train_accuracy);
    test_accuracy.y.push_back(100 * m.test_accuracy);
  }
  apps::Panel loss{"loss", "epoch", "cross-entropy", {train_loss, test_loss}};
  apps::Panel accuracy{"accuracy", "epoch", "accuracy (%)", {train_accuracy, test_accuracy}};
  accuracy.key = "bottom right";
  // One tick per epoch, as the epochs are few.
  loss.extra = accuracy.extra = fmt::format("set xtics 1\nset xrange [0.5:{}]",
                                            history.empty() ? 1.5 : history.back().epoch + 0.5);
  namespace fs = std::filesystem;
  return apps::plot_panel((fs::path(dir) / "loss.png").string(), loss) &&
         apps::plot_panel((fs::path(dir) / "accuracy.png").string(), accuracy);
}

}  // namespace axon::train
