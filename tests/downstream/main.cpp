// A user program built against an installed beyond with find_package(beyond).
#include <beyond/core/error.h>
#include <beyond/models/generative/vae.h>

#include <iostream>

int main() {
  beyond::models::Vae vae(beyond::models::VaeOptions(784, 400, 20));
  auto out = vae->forward(torch::rand({2, 1, 28, 28}));
  if (out.logits.size(0) != 2) return 1;
  std::cout << "downstream ok\n";
  return 0;
}
