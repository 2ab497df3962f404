// Progress bars on a TTY: formatting, rate-limited redraws and erasing.
#include "tools/dsc/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dsc::cli {
namespace {

// "1.2/2.4 GB": both numbers in the unit of the total, so the pair reads at a glance.
std::string Bytes(int64_t done, int64_t total) {
  const int64_t scale_of = std::max(done, total);
  const char* unit = "B";
  double div = 1;
  if (scale_of >= 1000000000) unit = "GB", div = 1e9;
  else if (scale_of >= 1000000) unit = "MB", div = 1e6;
  else if (scale_of >= 1000) unit = "kB", div = 1e3;
  if (div == 1) return total > 0 ? absl::StrFormat("%d/%d B", done, total) : absl::StrFormat("%d B", done);
  return total > 0 ? absl::StrFormat("%.1f/%.1f %s", done / div, total / div, unit)
                   : absl::StrFormat("%.1f %s", done / div, unit);
}

// Visible width: the line is ASCII apart from ANSI escape sequences ("\033[...m").
size_t VisibleWidth(const std::string& s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\033') {
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    ++n;
  }
  return n;
}

}  // namespace

ProgressStyle StderrProgressStyle() {
  ProgressStyle style;
  const char* term = std::getenv("TERM");
  style.enabled = isatty(STDERR_FILENO) == 1 && !(term != nullptr && std::strcmp(term, "dumb") == 0);
  const char* no_colour = std::getenv("NO_COLOR");
  style.colour = style.enabled && (no_colour == nullptr || *no_colour == '\0');
  return style;
}

std::string FormatProgressLine(std::string_view label, int64_t done, int64_t total, double seconds,
                               ProgressUnit unit, bool colour, int bar_width) {
  std::string line(label);
  if (total > 0) {
    const double fraction = std::clamp(static_cast<double>(done) / static_cast<double>(total), 0.0, 1.0);
    const int filled = static_cast<int>(fraction * bar_width);
    std::string bar(filled, '=');
    if (filled < bar_width) bar += '>';
    const std::string rest(bar_width - static_cast<int>(bar.size()), ' ');
    absl::StrAppend(&line, " [", colour ? absl::StrCat("\033[32m", bar, "\033[0m") : bar, rest, "] ",
                    absl::StrFormat("%3d%%", static_cast<int>(fraction * 100)));
  }
  absl::StrAppend(&line, "  ",
                  unit == ProgressUnit::kBytes ? Bytes(done, total)
                  : total > 0                  ? absl::StrFormat("%d/%d", done, total)
                                               : absl::StrFormat("%d", done),
                  absl::StrFormat("  %.1fs", seconds));
  return line;
}

ProgressBar::ProgressBar(std::string label, ProgressUnit unit)
    : ProgressBar(std::move(label), unit, StderrProgressStyle(), std::cerr) {}

ProgressBar::ProgressBar(std::string label, ProgressUnit unit, ProgressStyle style, std::ostream& out,
                         std::chrono::milliseconds redraw_interval)
    : label_(std::move(label)),
      unit_(unit),
      style_(style),
      out_(out),
      redraw_interval_(redraw_interval),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(int64_t done, int64_t total) {
  if (!style_.enabled) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  const auto now = std::chrono::steady_clock::now();
  const bool last = total > 0 && done >= total;
  if (drew_once_ && !last && now - last_draw_ < redraw_interval_) return;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const std::string line = FormatProgressLine(label_, done, total, seconds, unit_, style_.colour);
  const size_t width = VisibleWidth(line);
  // Pad over a longer previous line instead of relying on an erase-line escape.
  out_ << '\r' << line << std::string(drawn_width_ > width ? drawn_width_ - width : 0, ' ') << std::flush;
  drawn_width_ = width;
  drew_once_ = true;
  last_draw_ = now;
}

void ProgressBar::EraseLocked() {
  if (drawn_width_ == 0) return;
  out_ << '\r' << std::string(drawn_width_, ' ') << '\r' << std::flush;
  drawn_width_ = 0;
  drew_once_ = false;  // the next Update draws at once
}

void ProgressBar::Clear() {
  if (!style_.enabled) return;
  std::lock_guard<std::mutex> lock(mu_);
  EraseLocked();
}

void ProgressBar::Finish() {
  if (!style_.enabled) return;
  std::lock_guard<std::mutex> lock(mu_);
  EraseLocked();
  finished_ = true;
}

std::function<void(int64_t, int64_t)> ProgressBar::Callback() {
  return [this](int64_t done, int64_t total) { Update(done, total); };
}

}  // namespace dsc::cli
