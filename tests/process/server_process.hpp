// A real tiplined started on an ephemeral 127.0.0.1 port for integration tests, and raw HTTP over a
// socket.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "support.hpp"
#include "tipline/crypto/proof_of_work.hpp"

namespace tipline::test {

// A responder key pair (test::write_key_pair) and a data directory initialised for it by the real
// tiplined init.
struct Deployment {
    TempDir dir;
    std::filesystem::path key = dir / "responder.key";
    std::filesystem::path pub = dir / "responder.key.pub";
    std::filesystem::path pass = dir / "pass";
    std::filesystem::path data = dir / "data";
    // config: lines of tiplined.conf to replace, e.g. {"header_timeout_s", "1"}. Unless replaced,
    // proof of work stays on at pow_bits 8, cheap enough for every submission a test makes.
    explicit Deployment(const std::map<std::string, std::string>& config = {});
};

class ServerProcess {
  public:
    explicit ServerProcess(const std::filesystem::path& data_dir);
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    unsigned short port() const noexcept { return port_; }
    unsigned short responder_port() const noexcept { return responder_port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    pid_t pid() const noexcept { return pid_; }

    // SIGTERM and wait; returns the exit status (or -1 after SIGKILL when it would not stop).
    int stop();
    // SIGKILL and wait, as a crash would.
    void kill_hard();

  private:
    pid_t pid_ = -1;
    unsigned short port_ = 0;
    unsigned short responder_port_ = 0;
};

// A tip sealed to the deployment's responder with tipline-submit seal.
std::string sealed_envelope(const Deployment& d, const std::string& message);

// Exports everything the server holds into d.dir/NAME.bundle with tiplined export; returns its
// path.
std::filesystem::path export_all(const Deployment& d, const std::string& name);
// tipline-responder open of input (an envelope or a bundle) with the deployment's key, into out.
CommandResult open_with_key(const Deployment& d, const std::filesystem::path& input,
                            const std::filesystem::path& out);

// Exports and opens everything; returns the ids in the bundle's manifest and how many opened.
std::pair<std::set<std::string>, std::size_t> export_and_open(const Deployment& d,
                                                              const std::string& name);

// A TCP connection to 127.0.0.1:port, or -1.
int connect_to(unsigned short port);

// Whether the server listening on server_port has read every byte sent so far on the connection
// fd: the kernel's receive queue of the server's end is empty (/proc/net/tcp).
bool server_has_read(unsigned short server_port, int fd);
// Whether the server has accepted every connection made to this port so far (none waits in its
// listen queue).
bool accept_queue_empty(unsigned short server_port);

// Sends raw bytes, then reads until the server closes or timeout passes; returns what arrived.
// The timeout only bounds a server that hangs: under CI's load the low-priority workers that
// derive receipts for the form without JavaScript have taken more than 5 seconds to answer.
std::string raw_http(unsigned short port, const std::string& request,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(60000));

// Status code of the first response in raw, or 0.
int status_of(const std::string& raw);
// The body of the first response in raw, or "".
std::string body_of(const std::string& raw);
// The value of a header of the first response in raw (name case-insensitive), or "".
std::string header_of(const std::string& raw, const std::string& name);
// The stable code of the JSON error body in raw, or "".
std::string error_code_of(const std::string& raw);

// A whole POST /api/v1/tips of envelope that closes the connection; extra_headers are whole lines,
// each ending in CRLF (a proof_line, mailbox headers).
std::string tip_request(const std::string& envelope, const std::string& extra_headers = "");

// A fresh challenge from GET /api/v1/challenge; nullopt when the server asks for no proof or is
// down.
std::optional<crypto::PowChallenge> fetch_challenge(unsigned short port);

// A "Tipline-Proof: ...\r\n" header line solving a fresh challenge from the server (extra_bits
// harder than it states), or "" when the server asks for no proof of work.
std::string proof_line(unsigned short port, unsigned extra_bits = 0);

// How many tips the data directory holds, as `tiplined stats` reports it; -1 if it cannot tell.
long stored_tips(const std::filesystem::path& data_dir);

// A file of the web form's submit form.
struct FilePart {
    std::string name;
    std::string type;
    std::string bytes;
};

// A browser's multipart/form-data POST of the submit form, closing the connection.
std::string form_post(const std::string& path, const std::string& message,
                      const std::string& language, const std::vector<FilePart>& files,
                      const std::string& token = "");

// A browser's multipart POST of single text fields, as the check and follow-up forms send them.
std::string fields_post(const std::string& path,
                        const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace tipline::test
