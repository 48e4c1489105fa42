// gridserve-repair: wiring only; the rules live in domain/.
#include "services/common/server.h"
#include "services/repair/repair_spec.h"

int main(int argc, char** argv) { return gridserve::RunService(argc, argv, gridserve::repair::RepairSpec()); }
