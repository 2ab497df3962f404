// Progress bars on stderr (cli.md: only when stderr is a TTY; colour only when NO_COLOR is
// unset too). One bar is one line redrawn in place with '\r' and erased when the work ends, so
// the results and diagnostics around it stay clean. When stderr is not a TTY nothing at all is
// written. The library layers (frontend, runtime) never see this: they take a plain
// ProgressFn callback and the subcommands plug a bar into it.
#ifndef DSC_TOOLS_DSC_PROGRESS_H_
#define DSC_TOOLS_DSC_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

namespace dsc::cli {

// What a bar may do on a stream.
struct ProgressStyle {
  bool enabled = false;  // draw at all (stderr is a TTY and TERM is not "dumb")
  bool colour = false;   // ANSI colour (enabled, and NO_COLOR unset or empty)
};

// The style for stderr in this process, from isatty(2), TERM and NO_COLOR.
ProgressStyle StderrProgressStyle();

enum class ProgressUnit { kCount, kBytes };

// One bar line without the leading '\r', e.g.
//   "loading weights [##########..........]  50%  1.2/2.4 GB  3.1s"
// `total` <= 0 means unknown: no bar and no percentage, only the count. Pure (for tests).
std::string FormatProgressLine(std::string_view label, int64_t done, int64_t total, double seconds,
                               ProgressUnit unit, bool colour, int bar_width = 24);

class ProgressBar {
 public:
  // A bar on std::cerr styled by StderrProgressStyle().
  explicit ProgressBar(std::string label, ProgressUnit unit = ProgressUnit::kCount);
  // Tests: an explicit style, stream and minimum time between redraws.
  ProgressBar(std::string label, ProgressUnit unit, ProgressStyle style, std::ostream& out,
              std::chrono::milliseconds redraw_interval = std::chrono::milliseconds(80));
  ~ProgressBar();  // Finish()
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Thread-safe. Redraws at most once per redraw interval (80 ms), and always for the first
  // and the last step.
  void Update(int64_t done, int64_t total);
  // Erases the bar so that a line can be printed; the next Update draws it again.
  void Clear();
  // Erases the bar for good; later Updates print nothing.
  void Finish();
  // A callback for the library layers' progress parameters, bound to this bar.
  std::function<void(int64_t done, int64_t total)> Callback();

  bool enabled() const { return style_.enabled; }

 private:
  void EraseLocked();

  std::string label_;
  ProgressUnit unit_;
  ProgressStyle style_;
  std::ostream& out_;
  std::chrono::milliseconds redraw_interval_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  size_t drawn_width_ = 0;  // visible characters of the line on screen (0: none)
  bool drew_once_ = false, finished_ = false;
};

}  // namespace dsc::cli

#endif  // DSC_TOOLS_DSC_PROGRESS_H_
