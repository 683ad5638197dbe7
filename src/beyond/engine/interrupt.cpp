#include "beyond/engine/interrupt.h"

#include <csignal>

namespace beyond {
namespace {
volatile std::sig_atomic_t g_requested = 0;
struct sigaction g_previous {};

void on_sigint(int) {
  if (g_requested) {
    // Second Ctrl-C: the user wants out now.
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
  }
  g_requested = 1;
}
}  // namespace

InterruptGuard::InterruptGuard() {
  g_requested = 0;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &g_previous);
}

InterruptGuard::~InterruptGuard() { sigaction(SIGINT, &g_previous, nullptr); }

bool interrupt_requested() { return g_requested != 0; }
void request_interrupt() { g_requested = 1; }

}  // namespace beyond
