// Strict pinning: a key gets a copy of the tip only when the witness, or the organisation the
// witness pinned, vouches for it. Every refusal happens before anything is sealed or sent.
#include "tipline/client/pinning.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "tipline/client/display_text.hpp"
#include "tipline/client/messages.hpp"
#include "tipline/crypto/days.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/tooling/diagnostics.hpp"
#include "tipline/tooling/file_io.hpp"

namespace tipline::client {

using namespace tooling;  // exit codes, errors, files and keys
namespace {

namespace fs = std::filesystem;
constexpr std::size_t max_memory_bytes = 64 * 1024;

bool contains_identity(const std::vector<crypto::PublicIdentity>& ids,
                       const crypto::PublicIdentity& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// Why a list the tip line serves vouches for nobody, as the witness reads it.
std::string list_problem(std::error_code ec, const std::optional<crypto::RecipientList>& list,
                         std::optional<std::uint64_t> remembered) {
    using crypto::Error;
    if (ec == Error::authentication_failed) {
        return tr(
            "the tip line's list of responders does not carry a valid signature: it was altered");
    }
    if (ec == Error::expired && list) {
        return tr("the tip line's list of responders expired on {day}",
                  {{"day", crypto::format_day(list->expires_day)}});
    }
    if (ec == Error::rolled_back && list && remembered) {
        return tr(
            "the tip line's list of responders (serial {serial}) is older than one seen "
            "before (serial {remembered})",
            {{"serial", std::to_string(list->serial)},
             {"remembered", std::to_string(*remembered)}});
    }
    return tr(
        "the tip line's list of responders is damaged or of a version this tool does not read");
}

}  // namespace

bool Pins::contains(const std::string& fingerprint) const {
    return std::find(fingerprints.begin(), fingerprints.end(), fingerprint) != fingerprints.end();
}

Pins parse_pins(const std::vector<std::string>& typed) {
    Pins pins;
    for (const std::string& text : typed) {
        const auto fingerprint = crypto::parse_fingerprint(text);
        if (!fingerprint) {
            usage_error(tr("--expect '{text}' is not a fingerprint",
                           {{"text", escape_for_display(text.substr(0, 80))}}),
                        {tr("a fingerprint is 25 digits, as 'tipline-responder fingerprint' or the "
                            "NGO prints it; spaces and dashes between them do not matter")});
        }
        if (!pins.contains(*fingerprint)) pins.fingerprints.push_back(*fingerprint);
    }
    return pins;
}

ListMemory::ListMemory(fs::path file) : file_(std::move(file)) {
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(file_, ec))) return;
    const auto bytes = read_small_file(file_, max_memory_bytes);
    std::istringstream in(std::string(bytes.begin(), bytes.end()));
    const auto refuse = [&] {
        usage_error(
            tr("'{file}' is not a file of remembered list serials", {{"file", file_.string()}}),
            {tr("it is written by --remember; give a new file name, or the file an "
                "earlier run wrote")});
    };
    if (!bytes.empty() && bytes.back() != '\n') refuse();
    for (std::string line; std::getline(in, line);) {
        const auto space = line.find(' ');
        crypto::OrganisationKey key;
        if (space == std::string::npos ||
            crypto::decode_organisation_key(line.substr(0, space), key))
            refuse();
        const std::string digits = line.substr(space + 1);
        std::uint64_t serial = 0;
        const auto [end, err] =
            std::from_chars(digits.data(), digits.data() + digits.size(), serial);
        if (err != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
            (digits.size() > 1 && digits[0] == '0') ||
            !serials_.emplace(line.substr(0, space), serial).second) {
            refuse();
        }
    }
}

std::optional<std::uint64_t> ListMemory::highest(
    const crypto::OrganisationKey& organisation) const {
    const auto it = serials_.find(crypto::encode_organisation_key(organisation));
    if (it == serials_.end()) return std::nullopt;
    return it->second;
}

void ListMemory::record(const crypto::OrganisationKey& organisation, std::uint64_t serial) {
    if (file_.empty()) return;
    const auto [it, added] =
        serials_.emplace(crypto::encode_organisation_key(organisation), serial);
    if (!added && it->second >= serial) return;
    it->second = serial;
    std::string text;
    for (const auto& [key, value] : serials_) text += key + " " + std::to_string(value) + "\n";
    write_new_file(file_, {reinterpret_cast<const unsigned char*>(text.data()), text.size()}, 0600,
                   true);
}

TrustedRecipients choose_recipients(const std::vector<crypto::PublicIdentity>& listed,
                                    const std::optional<std::vector<unsigned char>>& list_bytes,
                                    const Pins& pins, ListMemory& memory, std::int64_t today) {
    TrustedRecipients out;
    out.pinned = !pins.empty();
    std::vector<crypto::PublicIdentity> offered = listed;
    std::optional<crypto::RecipientList> decoded;
    std::string problem;  // why the served list vouches for nobody
    bool certified = false;
    if (list_bytes) {
        crypto::RecipientList list;
        if (const auto ec = crypto::decode_recipient_list(*list_bytes, list)) {
            problem = list_problem(ec, std::nullopt, std::nullopt);
        } else {
            decoded = list;
            for (const auto& id : list.recipients) {
                if (!contains_identity(offered, id)) offered.push_back(id);
            }
            const std::string organisation = crypto::organisation_fingerprint(list.organisation);
            const auto remembered = memory.highest(list.organisation);
            crypto::ListExpectations expect{today, std::nullopt, remembered};
            if (const auto refused = crypto::check_recipient_list(list, expect)) {
                problem = list_problem(refused, list, remembered);
            } else if (pins.empty() || pins.contains(organisation)) {
                certified = true;
                if (pins.empty()) {
                    out.warnings.push_back(
                        tr("the tip line's responders are vouched for by organisation key "
                           "{fingerprint}, which you did not pin: compare it with the fingerprint "
                           "the NGO publishes (a flyer, its website) before you trust any reply, "
                           "and give it with --expect next time",
                           {{"fingerprint", organisation}}));
                }
            } else {
                out.warnings.push_back(
                    tr("the tip line's list of responders is signed by organisation key "
                       "{fingerprint}, which you did not pin; it vouches for nobody here",
                       {{"fingerprint", organisation}}));
            }
        }
        if (!problem.empty()) out.warnings.push_back(problem);
    }

    if (certified) {
        out.list = decoded;
        out.identities = decoded->recipients;
        memory.record(decoded->organisation, decoded->serial);
    } else if (pins.empty() && !list_bytes) {
        out.identities = listed;
        out.warnings.push_back(
            tr("no fingerprint pinned: whoever controls this server could read what you send; "
               "give the NGO's published fingerprint with --expect"));
    }
    for (const auto& id : offered) {  // keys the witness pinned one by one
        if (pins.contains(crypto::fingerprint(id)) && !contains_identity(out.identities, id)) {
            out.identities.push_back(id);
        }
    }
    for (const std::string& pin : pins.fingerprints) {
        const bool found =
            std::any_of(offered.begin(), offered.end(),
                        [&](const auto& id) { return crypto::fingerprint(id) == pin; }) ||
            (decoded && crypto::organisation_fingerprint(decoded->organisation) == pin);
        if (!found) {
            out.warnings.push_back(tr("no key the tip line lists has the fingerprint {fingerprint}",
                                      {{"fingerprint", pin}}));
        }
    }
    // Keys left out; when an unpinned list failed, its problem already says why all of them are.
    for (const auto& id : offered) {
        if (contains_identity(out.identities, id) || (pins.empty() && !certified)) continue;
        const std::string fingerprint = crypto::fingerprint(id);
        out.warnings.push_back(
            pins.empty() ? tr("the tip line lists a key its signed list does not name, "
                              "{fingerprint}: it gets no copy",
                              {{"fingerprint", fingerprint}})
                         : tr("the tip line lists a key you did not pin, {fingerprint}: it gets no "
                              "copy",
                              {{"fingerprint", fingerprint}}));
    }
    if (out.identities.empty()) {
        out.refusal =
            problem.empty()
                ? tr("none of the keys the tip line lists is one you pinned; nothing was sent")
                : tr("{problem}; nothing was sent", {{"problem", problem}});
    }
    return out;
}

}  // namespace tipline::client
