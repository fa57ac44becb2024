// The web form's files (style sheet, scripts, language catalogs), built into tiplined from web/.
#pragma once

#include <span>
#include <string_view>

namespace tipline::server {

struct WebAsset {
    std::string_view path;  // relative to web/, e.g. "static/style.css" or "i18n/ko.json"
    std::string_view bytes;
};

std::span<const WebAsset> web_assets();

}  // namespace tipline::server
