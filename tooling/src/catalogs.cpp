// Catalogs: parsing with Boost.JSON, lookups with an English fallback, and Accept-Language
// negotiation with Beast's parser of header lists.
#include "tipline/tooling/catalogs.hpp"

#include <algorithm>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/json.hpp>
#include <cstdlib>

namespace tipline::tooling {
namespace {

constexpr std::string_view english = "en";
constexpr std::string_view catalog_prefix = "i18n/";
constexpr std::string_view catalog_suffix = ".json";

}  // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

Catalogs::Catalogs(std::span<const EmbeddedFile> files) {
    for (const EmbeddedFile& f : files) {
        if (!f.path.starts_with(catalog_prefix) || !f.path.ends_with(catalog_suffix)) continue;
        const std::string lang(f.path.substr(
            catalog_prefix.size(), f.path.size() - catalog_prefix.size() - catalog_suffix.size()));
        boost::system::error_code ec;
        const boost::json::value v = boost::json::parse(f.bytes, ec);
        if (ec || !v.is_object()) continue;
        auto& texts = texts_[lang];
        for (const auto& [key, text] : v.as_object()) {
            if (text.is_string()) texts.emplace(std::string(key), std::string(text.as_string()));
        }
        languages_.push_back(lang);
    }
    std::sort(languages_.begin(), languages_.end(), [](const std::string& a, const std::string& b) {
        return (a == english) != (b == english) ? a == english : a < b;
    });
}

std::string_view Catalogs::translate(std::string_view lang, std::string_view key) const {
    for (const std::string_view from : {lang, english}) {
        const auto catalog = texts_.find(from);
        if (catalog == texts_.end()) continue;
        const auto text = catalog->second.find(key);
        if (text != catalog->second.end()) return text->second;
    }
    return key;
}

std::vector<std::string> Catalogs::problems(std::span<const std::string_view> used) const {
    std::vector<std::string> problems;
    const auto en = texts_.find(english);
    if (en == texts_.end()) return {"en: the English catalog is missing"};
    for (const std::string& lang : languages_) {
        const auto& texts = texts_.at(lang);
        for (const auto& [key, text] : en->second) {
            if (!texts.contains(key)) problems.push_back(lang + ": lacks " + key);
        }
        for (const auto& [key, text] : texts) {
            if (!en->second.contains(key))
                problems.push_back(lang + ": has " + key + ", which English lacks");
            if (text.empty()) problems.push_back(lang + ": " + key + " is empty");
        }
        for (const std::string_view key : used) {
            if (!texts.contains(key))
                problems.push_back(lang + ": lacks " + std::string(key) + ", which a page uses");
        }
    }
    return problems;
}

std::string Catalogs::negotiate(std::string_view accept_language) const {
    // Each language's weight: the highest q of the tags that name it (tag, or tag-anything).
    std::vector<double> weight(languages_.size(), 0.0);
    const auto primary = [](std::string_view tag) {
        std::string p(tag.substr(0, tag.find('-')));
        for (char& c : p) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        return p;
    };
    for (const auto& [tag, params] : boost::beast::http::ext_list(accept_language)) {
        double q = 1.0;
        for (const auto& [name, value] : params) {
            if (name != "q") continue;
            const std::string text(value);
            char* end = nullptr;
            q = std::strtod(text.c_str(), &end);
            if (end == text.c_str() || q < 0 || q > 1) q = 0;
        }
        const std::string asked = primary(std::string_view(tag.data(), tag.size()));
        for (std::size_t i = 0; i < languages_.size(); ++i) {
            if (primary(languages_[i]) == asked) weight[i] = std::max(weight[i], q);
        }
    }
    std::size_t best = 0;
    double best_weight = 0;
    for (std::size_t i = 0; i < languages_.size(); ++i) {
        if (weight[i] > best_weight) {
            best = i;
            best_weight = weight[i];
        }
    }
    return best_weight > 0 ? languages_[best] : std::string(english);
}

}  // namespace tipline::tooling
