// The hostile inputs SECURITY.md lists, each against the real tiplined or the real tools: each gets
// its precise error, the server keeps serving, and nothing stored is lost.
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "server_process.hpp"
#include "support.hpp"
#include "tipline/crypto/bytes.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/labels.hpp"

using namespace tipline::test;
namespace crypto = tipline::crypto;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t header_bytes = 8 * 1024;  // tiplined's default header_bytes

int statuses(const std::string& raw) {
    int n = 0;
    for (std::size_t at = raw.find("HTTP/1.1 "); at != std::string::npos;
         at = raw.find("HTTP/1.1 ", at + 1))
        ++n;
    return n;
}

std::string post_tip(unsigned short port, const std::string& envelope) {
    return raw_http(port, tip_request(envelope, proof_line(port)));
}

// A GET whose header fields, up to and including the blank line, are exactly size bytes. The
// request line is limited on its own, to the same size.
std::string get_of_size(const std::string& target, std::size_t size) {
    const std::string head = "Host: x\r\nConnection: close\r\nX-Pad: ";
    const std::string tail = "\r\n\r\n";
    return "GET " + target + " HTTP/1.1\r\n" + head +
           std::string(size - head.size() - tail.size(), 'p') + tail;
}

crypto::BoxPublicKey responder_box_key(const Deployment& d) {
    const Bytes text = read_file(d.pub);
    std::string key(text.begin(), text.end());
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    crypto::PublicIdentity id;
    if (crypto::decode_public_key(key, id))
        throw std::runtime_error("the test public key does not decode");
    return id.box;
}

// A tip document built byte by byte, so that it can carry what the encoder refuses to write.
Bytes tip_document(const std::string& message,
                   const std::vector<std::pair<std::string, Bytes>>& files) {
    Bytes body;
    crypto::put_u8(body, 1);  // kind: tip
    crypto::put_u64(body, 1700000000);
    crypto::put_u8(body, 2);
    crypto::put_bytes(body, std::string_view("en"));
    crypto::put_u8(body, 0);  // no reply key
    crypto::put_u32(body, static_cast<std::uint32_t>(message.size()));
    crypto::put_bytes(body, message);
    crypto::put_u16(body, static_cast<std::uint16_t>(files.size()));
    for (const auto& [name, bytes] : files) {
        crypto::put_u16(body, static_cast<std::uint16_t>(name.size()));
        crypto::put_bytes(body, name);
        crypto::put_u8(body, 10);
        crypto::put_bytes(body, std::string_view("text/plain"));
        crypto::put_u64(body, bytes.size());
    }
    Bytes doc;
    crypto::put_bytes(doc, crypto::labels::tip_document_magic);
    crypto::put_u16(doc, crypto::labels::tip_document_version);
    crypto::put_u32(doc, static_cast<std::uint32_t>(body.size()));
    crypto::put_bytes(doc, body);
    for (const auto& file : files) crypto::put_bytes(doc, file.second);
    return doc;
}

struct Opened {
    CommandResult result;
    fs::path out;
};

// Exports what the server holds and opens it with tipline-responder.
Opened export_and_open_tool(const Deployment& d, const std::string& name) {
    const fs::path out = d.dir / (name + "-opened");
    return {open_with_key(d, export_all(d, name), out), out};
}

std::vector<fs::path> files_under(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) out.push_back(e.path());
    }
    return out;
}

}  // namespace

TEST_CASE("a header at its size limit is read, one byte more gets 431", "[hostile][http]") {
    Deployment d;
    ServerProcess server(d.data);
    for (const std::string target : {"/api/v1/keys", "/api/v1/challenge"}) {
        INFO(target);
        CHECK(status_of(raw_http(server.port(), get_of_size(target, header_bytes))) == 200);
        const std::string over = raw_http(server.port(), get_of_size(target, header_bytes + 1));
        CHECK(status_of(over) == 431);
        CHECK(error_code_of(over) == "header_too_large");
    }
    // The request line: a target that fills it is read (and not found), one byte more is refused.
    const std::size_t line_overhead = std::string("GET  HTTP/1.1\r\n").size();
    CHECK(status_of(raw_http(
              server.port(),
              get_of_size("/" + std::string(header_bytes - line_overhead - 1, 'a'), 100))) == 404);
    CHECK(status_of(raw_http(
              server.port(),
              get_of_size("/" + std::string(header_bytes - line_overhead, 'a'), 100))) == 431);
    CHECK(status_of(raw_http(server.port(), get_of_size("/api/v1/keys", 200))) == 200);
}

TEST_CASE("a NUL in a header, an absolute-form target and a bare LF are refused with 400",
          "[hostile][http]") {
    Deployment d;
    ServerProcess server(d.data);
    const std::string nul =
        raw_http(server.port(),
                 std::string("GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 47));
    CHECK(status_of(nul) == 400);
    const std::string absolute =
        raw_http(server.port(), "GET http://x/api/v1/keys HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(status_of(absolute) == 400);
    CHECK(error_code_of(absolute) == "bad_target");
    CHECK(status_of(raw_http(server.port(), "GET /api/v1/keys HTTP/1.1\nHost: x\n\n")) == 400);
    CHECK(status_of(raw_http(
              server.port(),
              "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == 200);
}

TEST_CASE("pipelined requests are answered in order, a tip among them", "[hostile][http]") {
    Deployment d;
    ServerProcess server(d.data);
    const std::string envelope = sealed_envelope(d, "pipelined");
    const std::string get = "GET /api/v1/keys HTTP/1.1\r\nHost: x\r\n\r\n";
    const std::string tip =
        "POST /api/v1/tips HTTP/1.1\r\nHost: x\r\n" + proof_line(server.port()) +
        "Content-Length: " + std::to_string(envelope.size()) + "\r\n\r\n" + envelope;
    const std::string last =
        "GET /api/v1/challenge HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const std::string raw = raw_http(server.port(), get + tip + get + last);
    CHECK(statuses(raw) == 4);
    const auto first_201 = raw.find("HTTP/1.1 201");
    CHECK(first_201 != std::string::npos);
    CHECK(raw.find("HTTP/1.1 200") < first_201);
    CHECK(raw.rfind("\"required\":true") > first_201);  // the last answer is the challenge's
    CHECK(stored_tips(d.data) == 1);
}

TEST_CASE(
    "an envelope with 16 recipients declaring 2^31 chunks is refused by the server and the tool",
    "[hostile]") {
    Deployment d;
    ServerProcess server(d.data);
    auto header = [](std::uint64_t padded) {
        Bytes e;
        crypto::put_bytes(e, crypto::labels::envelope_magic);
        crypto::put_u16(e, crypto::labels::envelope_version);
        crypto::put_u8(e, 16);
        crypto::put_u64(e, padded);
        e.resize(e.size() + 24 + 80 * 16 + 32, 0x41);
        return e;
    };
    const Bytes chunks_2_31 = header(std::uint64_t{1} << 47);  // 2^31 chunks of 65536 bytes
    const std::string refused = post_tip(server.port(), as_text(chunks_2_31));
    CHECK(status_of(refused) == 400);
    CHECK(error_code_of(refused) == "envelope_malformed");
    const std::string largest =
        post_tip(server.port(), as_text(header(std::uint64_t{1} << 40)));  // 2^24 chunks
    CHECK(status_of(largest) == 413);
    CHECK(error_code_of(largest) == "envelope_too_large");
    const std::string upload =
        raw_http(server.port(), "POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nUpload-Length: " +
                                    std::to_string((std::uint64_t{1} << 47) + 2000) + "\r\n" +
                                    proof_line(server.port()) + "Connection: close\r\n\r\n");
    CHECK(status_of(upload) == 413);
    CHECK(stored_tips(d.data) == 0);

    write_file(d.dir / "huge.env", chunks_2_31);
    const auto opened = open_with_key(d, d.dir / "huge.env", d.dir / "huge");
    CHECK(opened.exit_code == 1);
    CHECK(opened.err.find("malformed") != std::string::npos);
    CHECK_FALSE(fs::exists(d.dir / "huge"));
}

TEST_CASE("a zero-length upload chunk gets 400 and the upload goes on", "[hostile][upload]") {
    Deployment d;
    ServerProcess server(d.data);
    const std::string envelope = sealed_envelope(d, "after an empty chunk");
    const std::string created =
        raw_http(server.port(), "POST /api/v1/uploads HTTP/1.1\r\nHost: x\r\nUpload-Length: " +
                                    std::to_string(envelope.size()) + "\r\n" +
                                    proof_line(server.port()) + "Connection: close\r\n\r\n");
    REQUIRE(status_of(created) == 201);
    const std::string path =
        "/api/v1/uploads/" + created.substr(created.find("\"upload\":\"") + 10, 32);
    const std::string empty =
        raw_http(server.port(), "PUT " + path +
                                    " HTTP/1.1\r\nHost: x\r\nUpload-Offset: 0\r\n"
                                    "Content-Length: 0\r\nConnection: close\r\n\r\n");
    CHECK(status_of(empty) == 400);
    CHECK(error_code_of(empty) == "empty_chunk");
    CHECK(status_of(raw_http(
              server.port(),
              "PUT " + path + " HTTP/1.1\r\nHost: x\r\nUpload-Offset: 0\r\nContent-Length: " +
                  std::to_string(envelope.size()) + "\r\nConnection: close\r\n\r\n" + envelope)) ==
          200);
    CHECK(status_of(raw_http(
              server.port(),
              "POST " + path + "/finish HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == 201);
    CHECK(stored_tips(d.data) == 1);
}

TEST_CASE("a bundle whose manifest lies about sizes is refused before any envelope is opened",
          "[hostile][tool]") {
    Deployment d;
    {
        ServerProcess server(d.data);
        REQUIRE(status_of(post_tip(server.port(), sealed_envelope(d, "first"))) == 201);
        REQUIRE(status_of(post_tip(server.port(), sealed_envelope(d, "second"))) == 201);
    }
    const fs::path bundle = export_all(d, "true");
    const Bytes truth = read_file(bundle);
    // The manifest: 14 bytes, then 28 per entry; an entry's size is its last 8 bytes.
    for (const auto& [name, delta] :
         std::vector<std::pair<std::string, int>>{{"bigger", 1}, {"smaller", -1}}) {
        Bytes lie = truth;
        const std::size_t size_at = 14 + 20;
        std::uint64_t size =
            crypto::get_u64(std::span<const unsigned char, 8>(lie.data() + size_at, 8));
        size = static_cast<std::uint64_t>(static_cast<std::int64_t>(size) + delta);
        crypto::store_u64(std::span<unsigned char, 8>(lie.data() + size_at, 8), size);
        write_file(d.dir / (name + ".bundle"), lie);
        const auto r = open_with_key(d, d.dir / (name + ".bundle"), d.dir / name);
        INFO(name << ": " << r.err);
        CHECK(r.exit_code == 1);
        CHECK((r.err.find("malformed") != std::string::npos ||
               r.err.find("truncated") != std::string::npos));
        CHECK_FALSE(fs::exists(d.dir / name / "message.txt"));
    }
    // The true bundle still opens: nothing stored was harmed.
    const auto r = open_with_key(d, bundle, d.dir / "true");
    CHECK(r.exit_code == 0);
}

TEST_CASE("a key file with a truncated or altered Argon2id parameter block is refused",
          "[hostile][tool]") {
    Deployment d;
    const Bytes key = read_file(d.key);
    REQUIRE(key.size() == 144);
    const std::string env_path = (d.dir / "tip.env").string();
    REQUIRE(
        run_command(
            tool("client/tipline-submit") + " seal --to " + q(d.pub) + " --out " + q(env_path), "x")
            .exit_code == 0);
    auto open_with = [&](const std::string& name, const Bytes& bytes) {
        write_file(d.dir / name, bytes);
        return run_command(tool("client/tipline-responder") + " open " + q(env_path) + " --key " +
                           q(d.dir / name) + " --passphrase-file " + q(d.pass) + " --out " +
                           q(d.dir / (name + "-out")));
    };
    Bytes ops = key;
    ++ops[15];  // opslimit one higher: still in range, but the header is authenticated
    const auto altered = open_with("ops.key", ops);
    CHECK(altered.exit_code == 1);
    CHECK(altered.err.find("cannot unlock") != std::string::npos);

    Bytes mem = key;
    crypto::store_u64(std::span<unsigned char, 8>(mem.data() + 16, 8),
                      std::uint64_t{1} << 40);  // 1 TiB
    const auto absurd =
        open_with("mem.key", mem);  // refused before Argon2id would try to allocate it
    CHECK(absurd.exit_code != 0);
    CHECK(absurd.err.find("malformed") != std::string::npos);

    const auto truncated =
        open_with("short.key", Bytes(key.begin(), key.begin() + 20));  // inside opslimit
    CHECK(truncated.exit_code != 0);
    CHECK(truncated.err.find("tipline-responder: error: ") == 0);
    for (const char* name : {"ops.key-out", "mem.key-out", "short.key-out"})
        CHECK_FALSE(fs::exists(d.dir / name));
}

TEST_CASE("hostile attachment names and an HTML message arrive and land as inert files",
          "[hostile][tool]") {
    Deployment d;
    ServerProcess server(d.data);
    const crypto::BoxPublicKey to[] = {responder_box_key(d)};
    const std::string message = "<script>alert('x')</script><img src=x onerror=alert(1)>\n";
    const std::vector<std::pair<std::string, Bytes>> files = {
        {"../../etc/passwd", pattern_bytes(10, 1)},
        {"/abs", pattern_bytes(11, 2)},
        {"CON", pattern_bytes(12, 3)},
        {"line\nbreak.txt", pattern_bytes(13, 4)},
        {"dup", pattern_bytes(14, 5)},
        {"dup", pattern_bytes(15, 6)}};
    REQUIRE(status_of(post_tip(server.port(),
                               as_text(seal_bytes(to, tip_document(message, files))))) == 201);
    // A 10 KB name breaks the format's 255-byte limit: that tip is refused whole, by name of the
    // problem.
    REQUIRE(status_of(post_tip(
                server.port(),
                as_text(seal_bytes(to, tip_document("long", {{std::string(10240, 'n'),
                                                              pattern_bytes(3, 7)}}))))) == 201);
    CHECK(stored_tips(d.data) == 2);

    const Opened opened = export_and_open_tool(d, "hostile");
    INFO(opened.result.err);
    CHECK(opened.result.exit_code == 1);  // one of the two tips could not be opened
    CHECK(opened.result.err.find("malformed") != std::string::npos);
    const auto written = files_under(opened.out);
    std::vector<fs::path> messages;
    for (const auto& p : written) {
        // Everything lands inside the output folder, in one folder per tip, never deeper.
        const fs::path relative = fs::relative(p, opened.out);
        CHECK(relative.begin()->string() != "..");
        CHECK(std::distance(relative.begin(), relative.end()) == 2);
        if (p.filename() == "message.txt") messages.push_back(p);
    }
    REQUIRE(messages.size() == 1);  // the tip with the 10 KB name left nothing behind
    CHECK(as_text(read_file(messages[0])) == message);  // written as plain text, byte for byte
    const fs::path folder = messages[0].parent_path();
    for (const char* name :
         {"_.._etc_passwd", "_abs", "_CON", "line_break.txt", "dup", "dup (2)"}) {
        INFO(name);
        CHECK(fs::is_regular_file(folder / name));
    }
    CHECK(read_file(folder / "dup (2)") == files[5].second);
    CHECK(read_file(folder / "_CON") == files[2].second);
    CHECK_FALSE(fs::exists(d.dir / "etc"));
    CHECK_FALSE(fs::exists("/abs"));
    const std::string info = as_text(read_file(folder / "info.txt"));
    CHECK(info.find("line\\u{A}break.txt") != std::string::npos);
    for (const auto& p : written) CHECK(p.extension() != ".html");
}
