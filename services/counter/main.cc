// gridserve-counter: wiring only; the rules live in domain/.
#include "services/common/server.h"
#include "services/counter/counter_spec.h"

int main(int argc, char** argv) { return gridserve::RunService(argc, argv, gridserve::counter::CounterSpec()); }
