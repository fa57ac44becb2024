// The web form's files (style sheet, scripts, language catalogs), built into tiplined from web/.
#pragma once

#include <span>

#include "tipline/tooling/catalogs.hpp"

namespace tipline::server {

using WebAsset = tooling::EmbeddedFile;  // path relative to web/

std::span<const WebAsset> web_assets();

}  // namespace tipline::server
