#pragma once
/// SIGINT handling for training: the first Ctrl-C asks the Trainer to stop after the current step
/// (it then writes a checkpoint and the CLI exits 130); a second one ends the process at once.

namespace beyond {

class InterruptGuard {
 public:
  InterruptGuard();   // installs the handler and clears any earlier request
  ~InterruptGuard();  // restores the previous handler
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

bool interrupt_requested();
/// Marks an interrupt as requested, as SIGINT does (for tests).
void request_interrupt();

}  // namespace beyond
