// Filled in by its own issue; registers nothing yet.
#include <napi.h>

namespace stratum {
void InitRender(Napi::Env /*env*/, Napi::Object /*exports*/) {}
}  // namespace stratum
