// Pieces verify_script() and verify_scripts() share; not part of the API.
#pragma once

#include <array>
#include <cstddef>

#include "rmaplab/kernel.h"
#include "rmaplab/script.h"
#include "rmaplab/status.h"

namespace rmaplab {
namespace model {
struct Profile;
}

// Runs the script through the model, keeping nothing: a script error is
// known before any process starts.
Status validate_in_model(const Script& script, const model::Profile* profile);

}  // namespace rmaplab
