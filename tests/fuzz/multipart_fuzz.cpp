// The web form's multipart/form-data parser: a fuzzed boundary (or whole Content-Type) and body,
// the body fed whole, at fuzzed split points, and byte by byte; all three must agree.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "tipline/server/multipart.hpp"

namespace {

using namespace tipline;
using fuzz::require;

constexpr std::size_t max_splits = 8;
constexpr std::size_t byte_by_byte_limit = 4096;  // longer bodies are fed byte by byte too slowly

// Not inlined, so a crash report names the line of the broken invariant.
struct Part {
    server::FormPart header;
    std::vector<unsigned char> data;
    bool ended = false;

    bool operator==(const Part& o) const {
        return header.name == o.header.name && header.filename == o.header.filename &&
               header.content_type == o.header.content_type && data == o.data && ended == o.ended;
    }
};

// Records what the parser reports, and checks it reports it in order.
class Recorder final : public server::FormHandler {
  public:
    void on_part(const server::FormPart& part) override {
        require(parts.empty() || parts.back().ended);
        parts.push_back({part, {}, false});
    }
    void on_data(std::span<const unsigned char> bytes) override {
        require(!parts.empty() && !parts.back().ended);
        parts.back().data.insert(parts.back().data.end(), bytes.begin(), bytes.end());
    }
    void on_part_end() override {
        require(!parts.empty() && !parts.back().ended);
        parts.back().ended = true;
    }

    std::vector<Part> parts;
};

struct Outcome {
    bool ok = false;
    std::vector<Part> parts;
};

// Feeds body in pieces that end at each cut (sorted offsets into body), then finishes.
Outcome parse(const std::string& boundary, std::span<const unsigned char> body,
              const std::vector<std::size_t>& cuts) {
    Recorder recorder;
    server::MultipartParser parser(boundary, recorder);
    Outcome out;
    try {
        std::size_t at = 0;
        for (const std::size_t cut : cuts) {
            parser.write(body.subspan(at, cut - at));
            at = cut;
        }
        parser.write(body.subspan(at));
        parser.finish();
        out.ok = true;
        for (const Part& p : recorder.parts) require(p.ended);
        require(recorder.parts.size() <= server::FormLimits{}.parts);
    } catch (const server::FormError&) {
        out.ok = false;
    }
    out.parts = std::move(recorder.parts);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const bool raw_type = in.ConsumeBool();
    std::string type = in.ConsumeRandomLengthString(96);
    if (!raw_type) type = "multipart/form-data; boundary=" + type;
    const std::size_t split_count = in.ConsumeIntegralInRange<std::size_t>(0, max_splits);
    std::vector<std::size_t> splits;
    for (std::size_t i = 0; i < split_count; ++i)
        splits.push_back(in.ConsumeIntegral<std::uint16_t>());
    const std::vector<unsigned char> body = in.ConsumeRemainingBytes<unsigned char>();

    const std::optional<std::string> boundary = server::form_boundary(type);
    if (!boundary) return 0;
    require(!boundary->empty() && boundary->size() <= 70 && boundary->back() != ' ');

    for (std::size_t& s : splits) s = body.empty() ? 0 : s % (body.size() + 1);
    std::sort(splits.begin(), splits.end());
    const Outcome whole = parse(*boundary, body, {});
    const Outcome split = parse(*boundary, body, splits);
    require(whole.ok == split.ok);
    if (whole.ok) require(whole.parts == split.parts);
    if (body.size() <= byte_by_byte_limit) {
        std::vector<std::size_t> every(body.size());
        for (std::size_t i = 0; i < every.size(); ++i) every[i] = i;
        const Outcome bytes = parse(*boundary, body, every);
        require(whole.ok == bytes.ok);
        if (whole.ok) require(whole.parts == bytes.parts);
    }
    return 0;
}
