// Outputs given as a FIFO or device (`-o /dev/null`, a pipe) are written in place. The atomic
// write (a temp file renamed over the path) used to replace the node itself: a test writing
// `-o /dev/null` as root turned the machine's /dev/null into a regular file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/tools/cli_runner.h"

namespace dsc::testing {
namespace {

TEST(SpecialOutputTest, AFifoOutputStaysAFifoAndGetsTheWholeFile) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("dsc_fifo_out_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string fifo = (dir / "logits.safetensors").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Held open read-write (never blocks, and dsc's open for writing does not block either); the
  // pipe buffer holds the whole file, read after dsc exits. No thread, no hang if it regresses.
  const int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  ::fcntl(fd, F_SETPIPE_SZ, 1 << 20);
  CliOptions options;
  options.timeout_seconds = 120;
  CliResult r = RunDsc("logits -m " + SharedDir() + "/golden/tiny-a --engine interp --tokens 1,2,3 -o " + fifo,
                       options);
  std::string received;
  char buffer[65536];
  for (ssize_t got; (got = ::read(fd, buffer, sizeof(buffer))) > 0;) received.append(buffer, got);
  ::close(fd);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO was replaced";
  // A safetensors file: 8-byte little-endian header length, then the JSON header naming logits.
  ASSERT_GT(received.size(), 8u);
  uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = header << 8 | static_cast<uint8_t>(received[i]);
  ASSERT_LE(8 + header, received.size());
  EXPECT_NE(received.substr(8, header).find("\"logits\""), std::string::npos);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1)
      << "a temp file was left beside the FIFO";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dsc::testing
