// Crypto benchmark: envelope seal/open throughput as a ratio of raw secretstream, and peak RSS per
// size; what signing a reply and checking the organisation's list add, as ratios of the unsigned
// reply.
#include <fcntl.h>
#include <sodium.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/crypto/recipient_list.hpp"
#include "tipline/crypto/secret_buffer.hpp"
#include "tipline/crypto/stream.hpp"
#include "tipline/crypto/tip_document.hpp"

namespace crypto = tipline::crypto;

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kib = 1024;
constexpr std::uint64_t mib = 1024 * kib;

// The baseline pushes chunks of the envelope's own size, so both sides make the same number of AEAD
// calls.
constexpr std::size_t chunk_size = crypto::envelope_chunk_size;
constexpr std::size_t stream_abytes = crypto_secretstream_xchacha20poly1305_ABYTES;
constexpr std::size_t stream_header_bytes = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr std::size_t stream_key_bytes = crypto_secretstream_xchacha20poly1305_KEYBYTES;

// Past this, inputs for open go to a temp file: holding several 256 MiB buffers would be the very
// growth this benchmark exists to rule out.
constexpr std::uint64_t max_in_memory_size = 16 * mib;
constexpr std::uint64_t quick_max_size = 16 * mib;

constexpr double min_run_seconds = 0.2;
// Calibration only needs a run long enough that timer granularity is negligible.
constexpr double calibration_seconds = 0.03;
constexpr int full_runs = 7;
constexpr int quick_runs = 3;

constexpr double target_ratio = 0.8;
constexpr std::uint64_t target_min_size = mib;
constexpr double bytes_per_mb = 1e6;

// A prime period, so no two 64 KiB chunks carry the same plaintext and a misordered or shifted
// chunk fails verification instead of passing unnoticed.
constexpr std::size_t pattern_period = 65521;
constexpr std::uint64_t pattern_seed = 0x7469706c696e6521;  // "tipline!"

constexpr char temp_template[] = "/tmp/tipline-bench-XXXXXX";
constexpr int child_failed_exit = 1;
constexpr int usage_error_exit = 2;

// Small enough that the warm-up allocates nothing a child would inherit as resident memory worth
// noting.
constexpr std::uint64_t warm_up_size = kib;

struct SizeCase {
    std::uint64_t bytes;
    const char* label;
};

constexpr std::array<SizeCase, 5> all_sizes{{
    {kib, "1 KiB"},
    {64 * kib, "64 KiB"},
    {mib, "1 MiB"},
    {16 * mib, "16 MiB"},
    {256 * mib, "256 MiB"},
}};

[[noreturn]] void throw_errno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

void check(std::error_code ec, const char* what) {
    if (ec) throw std::system_error(ec, what);
}

// splitmix64: cheap, and good enough that the plaintext is not a trivially compressible run.
const std::vector<unsigned char>& pattern_table() {
    static const std::vector<unsigned char> table = [] {
        std::vector<unsigned char> bytes(pattern_period);
        std::uint64_t state = pattern_seed;
        for (unsigned char& b : bytes) {
            state += 0x9e3779b97f4a7c15;
            std::uint64_t z = state;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
            z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
            b = static_cast<unsigned char>(z ^ (z >> 31));
        }
        return bytes;
    }();
    return table;
}

// Content of any length from a fixed table, so memory stays flat and generation costs only a
// memcpy.
class PatternSource final : public crypto::ByteSource {
  public:
    explicit PatternSource(std::uint64_t length) noexcept : left_(length) {}

    std::size_t read(std::span<unsigned char> out) override {
        const std::vector<unsigned char>& table = pattern_table();
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), left_));
        std::size_t done = 0;
        while (done < n) {
            const std::size_t piece = std::min(n - done, pattern_period - phase_);
            std::memcpy(out.data() + done, table.data() + phase_, piece);
            done += piece;
            phase_ = (phase_ + piece) % pattern_period;
        }
        left_ -= n;
        return n;
    }

  private:
    std::uint64_t left_;
    std::size_t phase_ = 0;
};

class CountingSink final : public crypto::ByteSink {
  public:
    void write(std::span<const unsigned char> bytes) override { count_ += bytes.size(); }
    std::uint64_t count() const noexcept { return count_; }

  private:
    std::uint64_t count_ = 0;
};

// Compares what open produces with the pattern, so a fast but wrong path cannot report a good
// number.
class VerifyingSink final : public crypto::ByteSink {
  public:
    explicit VerifyingSink(std::uint64_t length) : expected_(length), length_(length) {}

    void write(std::span<const unsigned char> bytes) override {
        scratch_.resize(std::max(scratch_.size(), bytes.size()));
        const auto want = std::span(scratch_).first(bytes.size());
        if (crypto::read_fully(expected_, want) != bytes.size() ||
            std::memcmp(want.data(), bytes.data(), bytes.size()) != 0) {
            matches_ = false;
        }
        count_ += bytes.size();
    }

    bool ok() const noexcept { return matches_ && count_ == length_; }

  private:
    PatternSource expected_;
    std::vector<unsigned char> scratch_;
    std::uint64_t length_;
    std::uint64_t count_ = 0;
    bool matches_ = true;
};

// Unlinked as soon as it exists, so no crash or kill leaves hundreds of MiB behind in /tmp.
class TempFile {
  public:
    TempFile() {
        std::string name = temp_template;
        fd_ = ::mkstemp(name.data());
        if (fd_ < 0) throw_errno("mkstemp");
        ::unlink(name.c_str());
    }
    ~TempFile() { ::close(fd_); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    int fd() const noexcept { return fd_; }

  private:
    int fd_ = -1;
};

class FileSink final : public crypto::ByteSink {
  public:
    explicit FileSink(int fd) noexcept : fd_(fd) {}

    void write(std::span<const unsigned char> bytes) override {
        while (!bytes.empty()) {
            const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                throw_errno("write");
            }
            bytes = bytes.subspan(static_cast<std::size_t>(n));
        }
    }

  private:
    int fd_;
};

// pread keeps its own offset, so forked children can read the parent's descriptor without
// disturbing it.
class FileSource final : public crypto::ByteSource {
  public:
    explicit FileSource(int fd) noexcept : fd_(fd) {}

    std::size_t read(std::span<unsigned char> out) override {
        std::size_t filled = 0;
        while (filled < out.size()) {
            const ssize_t n =
                ::pread(fd_, out.data() + filled, out.size() - filled, static_cast<off_t>(offset_));
            if (n < 0) {
                if (errno == EINTR) continue;
                throw_errno("pread");
            }
            if (n == 0) break;
            filled += static_cast<std::size_t>(n);
            offset_ += static_cast<std::uint64_t>(n);
        }
        return filled;
    }

  private:
    int fd_;
    std::uint64_t offset_ = 0;
};

// A sealed input for open or pull: in memory up to max_in_memory_size, beyond that in a temp file.
class StoredBytes {
  public:
    explicit StoredBytes(std::uint64_t expected_size) {
        if (expected_size > max_in_memory_size) file_.emplace();
    }

    crypto::ByteSink& sink() {
        if (file_) return file_sink_.emplace(file_->fd());
        return memory_;
    }

    template <typename Fn>
    void read(Fn&& fn) {
        if (file_) {
            FileSource source(file_->fd());
            fn(source);
        } else {
            crypto::MemorySource source(memory_.bytes());
            fn(source);
        }
    }

  private:
    std::optional<TempFile> file_;
    std::optional<FileSink> file_sink_;
    crypto::VectorSink memory_;
};

using StreamKey = std::array<unsigned char, stream_key_bytes>;

// The baseline for seal: the same source and sink, with nothing but secretstream in between.
void raw_push(const StreamKey& key, std::uint64_t length, crypto::ByteSource& in,
              crypto::ByteSink& out) {
    crypto_secretstream_xchacha20poly1305_state state;
    std::array<unsigned char, stream_header_bytes> header{};
    crypto_secretstream_xchacha20poly1305_init_push(&state, header.data(), key.data());
    out.write(header);

    std::vector<unsigned char> plain(chunk_size);
    std::vector<unsigned char> cipher(chunk_size + stream_abytes);
    std::uint64_t remaining = length;
    while (remaining > 0) {
        const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, chunk_size));
        if (crypto::read_fully(in, std::span(plain).first(len)) < len)
            throw std::runtime_error("source ended early");
        remaining -= len;
        const unsigned char tag = remaining == 0
                                      ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                                      : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
        unsigned long long cipher_len = 0;
        crypto_secretstream_xchacha20poly1305_push(&state, cipher.data(), &cipher_len, plain.data(),
                                                   len, nullptr, 0, tag);
        out.write(std::span(cipher).first(static_cast<std::size_t>(cipher_len)));
    }
}

// The baseline for open. Like open, it checks every tag and the final one.
void raw_pull(const StreamKey& key, std::uint64_t length, crypto::ByteSource& in,
              crypto::ByteSink& out) {
    std::array<unsigned char, stream_header_bytes> header{};
    if (crypto::read_fully(in, header) < header.size())
        throw std::runtime_error("raw stream truncated");
    crypto_secretstream_xchacha20poly1305_state state;
    if (crypto_secretstream_xchacha20poly1305_init_pull(&state, header.data(), key.data()) != 0) {
        throw std::runtime_error("raw stream header rejected");
    }

    std::vector<unsigned char> plain(chunk_size);
    std::vector<unsigned char> cipher(chunk_size + stream_abytes);
    std::uint64_t remaining = length;
    while (remaining > 0) {
        const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, chunk_size));
        const std::size_t cipher_len = len + stream_abytes;
        if (crypto::read_fully(in, std::span(cipher).first(cipher_len)) < cipher_len) {
            throw std::runtime_error("raw stream truncated");
        }
        remaining -= len;
        unsigned long long plain_len = 0;
        unsigned char tag = 0;
        if (crypto_secretstream_xchacha20poly1305_pull(&state, plain.data(), &plain_len, &tag,
                                                       cipher.data(), cipher_len, nullptr,
                                                       0) != 0) {
            throw std::runtime_error("raw stream chunk rejected");
        }
        const unsigned char expected_tag = remaining == 0
                                               ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                                               : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
        if (tag != expected_tag) throw std::runtime_error("raw stream tag out of place");
        out.write(std::span(plain).first(static_cast<std::size_t>(plain_len)));
    }
}

void seal_pattern(const crypto::BoxPublicKey& recipient, std::uint64_t length,
                  crypto::ByteSink& out) {
    PatternSource content(length);
    check(crypto::seal_envelope(std::span<const crypto::BoxPublicKey>(&recipient, 1), length,
                                content, out),
          "seal_envelope");
}

void open_one(const crypto::BoxKeyPair& identity, crypto::ByteSource& in, crypto::ByteSink& out) {
    const std::array<const crypto::BoxKeyPair*, 1> identities{&identity};
    check(crypto::open_envelope(identities, in, out), "open_envelope");
}

// ---- Peak RSS ----

long max_rss_kib() {
    rusage usage{};
    if (::getrusage(RUSAGE_SELF, &usage) != 0) throw_errno("getrusage");
    return usage.ru_maxrss;  // Linux reports kilobytes
}

struct ChildReport {
    long rss_at_start_kib = 0;
    long peak_rss_kib = 0;
};

// Runs work in a forked child so ru_maxrss covers one operation, not the parent's benchmark
// buffers. This phase runs before any large allocation, because a child inherits the parent's
// resident pages. libsodium was already initialised in the parent; its default randombytes
// (getrandom or an inherited /dev/urandom descriptor) keeps no user-space state, so every child
// still draws fresh randomness.
template <typename Fn>
ChildReport measure_in_child(Fn&& work) {
    std::array<int, 2> fds{};
    if (::pipe(fds.data()) != 0) throw_errno("pipe");
    // Flushed first so nothing buffered before the fork can be written twice, whichever way a child
    // exits.
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork");
    if (pid == 0) {
        ::close(fds[0]);
        ChildReport report;
        int status = 0;
        try {
            report.rss_at_start_kib = max_rss_kib();
            work();
            report.peak_rss_kib = max_rss_kib();
            if (::write(fds[1], &report, sizeof report) != static_cast<ssize_t>(sizeof report)) {
                status = child_failed_exit;
            }
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child: %s\n", e.what());
            status = child_failed_exit;
        }
        // _exit: the child must not run the parent's destructors or atexit handlers a second time.
        ::_exit(status);
    }
    ::close(fds[1]);
    ChildReport report;
    ssize_t got = 0;
    do {
        got = ::read(fds[0], &report, sizeof report);
    } while (got < 0 && errno == EINTR);
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw_errno("waitpid");
    }
    if (got != static_cast<ssize_t>(sizeof report) || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        throw std::runtime_error("RSS child failed");
    }
    return report;
}

struct RssResult {
    long seal_kib = 0;
    long open_kib = 0;
    long start_kib = 0;  // largest RSS a child had before doing any work
};

RssResult measure_rss(const SizeCase& size, const crypto::BoxKeyPair& identity) {
    RssResult result;
    const ChildReport seal = measure_in_child([&] {
        CountingSink sink;
        seal_pattern(identity.public_key, size.bytes, sink);
        if (sink.count() != crypto::envelope_size(size.bytes, 1))
            throw std::runtime_error("seal wrote wrong size");
    });

    // Every size goes through a file here, so the open child holds no copy of the envelope at all.
    TempFile envelope;
    FileSink envelope_sink(envelope.fd());
    seal_pattern(identity.public_key, size.bytes, envelope_sink);
    const ChildReport open = measure_in_child([&] {
        FileSource source(envelope.fd());
        CountingSink sink;
        open_one(identity, source, sink);
        if (sink.count() != size.bytes) throw std::runtime_error("open produced wrong size");
    });

    result.seal_kib = seal.peak_rss_kib;
    result.open_kib = open.peak_rss_kib;
    result.start_kib = std::max(seal.rss_at_start_kib, open.rss_at_start_kib);
    return result;
}

// ---- Throughput ----

double time_calls(const std::function<void()>& call, std::uint64_t calls) {
    const Clock::time_point start = Clock::now();
    for (std::uint64_t i = 0; i < calls; ++i) call();
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// One operation under test: how many calls make a run of at least min_run_seconds, and its best
// run.
struct Timed {
    std::function<void()> call;
    std::uint64_t calls_per_run = 1;
    double best_seconds = std::numeric_limits<double>::infinity();

    void calibrate() {
        for (std::uint64_t calls = 1;; calls *= 2) {
            const double seconds = time_calls(call, calls);
            if (seconds >= calibration_seconds) {
                const double needed =
                    std::ceil(min_run_seconds * static_cast<double>(calls) / seconds);
                calls_per_run = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(needed));
                return;
            }
        }
    }

    void run() { best_seconds = std::min(best_seconds, time_calls(call, calls_per_run)); }

    double mb_per_second(std::uint64_t bytes_per_call) const {
        return static_cast<double>(bytes_per_call) * static_cast<double>(calls_per_run) /
               best_seconds / bytes_per_mb;
    }
};

struct Throughput {
    double push = 0;
    double seal = 0;
    double pull = 0;
    double open = 0;
};

Throughput measure_throughput(const SizeCase& size, const crypto::BoxKeyPair& identity, int runs) {
    const std::uint64_t length = size.bytes;
    StreamKey key{};
    crypto_secretstream_xchacha20poly1305_keygen(key.data());

    StoredBytes envelope(length);
    seal_pattern(identity.public_key, length, envelope.sink());
    StoredBytes stream(length);
    {
        PatternSource content(length);
        raw_push(key, length, content, stream.sink());
    }

    // Checked once outside the clock: both sides must give back exactly the content that went in.
    VerifyingSink opened(length);
    envelope.read([&](crypto::ByteSource& in) { open_one(identity, in, opened); });
    VerifyingSink pulled(length);
    stream.read([&](crypto::ByteSource& in) { raw_pull(key, length, in, pulled); });
    if (!opened.ok() || !pulled.ok())
        throw std::runtime_error("decrypted content does not match what was sealed");

    Timed push{[&] {
        PatternSource content(length);
        CountingSink sink;
        raw_push(key, length, content, sink);
    }};
    Timed seal{[&] {
        CountingSink sink;
        seal_pattern(identity.public_key, length, sink);
    }};
    Timed pull{[&] {
        stream.read([&](crypto::ByteSource& in) {
            CountingSink sink;
            raw_pull(key, length, in, sink);
        });
    }};
    Timed open{[&] {
        envelope.read([&](crypto::ByteSource& in) {
            CountingSink sink;
            open_one(identity, in, sink);
        });
    }};

    const std::array<Timed*, 4> all{&push, &seal, &pull, &open};
    for (Timed* t : all) t->calibrate();
    // Interleaved rounds, so a noisy moment on a shared machine slows a baseline and its envelope
    // alike.
    for (int round = 0; round < runs; ++round) {
        for (Timed* t : all) t->run();
    }
    return {push.mb_per_second(length), seal.mb_per_second(length), pull.mb_per_second(length),
            open.mb_per_second(length)};
}

// ---- Main ----

struct Row {
    SizeCase size;
    Throughput speed;
    RssResult rss;
};

void print_table(const std::vector<Row>& rows) {
    std::printf("%-9s %10s %10s %6s %10s %10s %6s %10s %10s\n", "", "raw push", "seal", "seal",
                "raw pull", "open", "open", "seal peak", "open peak");
    std::printf("%-9s %10s %10s %6s %10s %10s %6s %10s %10s\n", "size", "MB/s", "MB/s", "ratio",
                "MB/s", "MB/s", "ratio", "RSS KiB", "RSS KiB");
    for (const Row& row : rows) {
        std::printf("%-9s %10.1f %10.1f %6.3f %10.1f %10.1f %6.3f %10ld %10ld\n", row.size.label,
                    row.speed.push, row.speed.seal, row.speed.seal / row.speed.push, row.speed.pull,
                    row.speed.open, row.speed.open / row.speed.pull, row.rss.seal_kib,
                    row.rss.open_kib);
    }
}

bool target_holds(const std::vector<Row>& rows) {
    return std::all_of(rows.begin(), rows.end(), [](const Row& row) {
        return row.size.bytes < target_min_size ||
               (row.speed.seal >= target_ratio * row.speed.push &&
                row.speed.open >= target_ratio * row.speed.pull);
    });
}

int usage(const char* program, int status) {
    std::fprintf(status == 0 ? stdout : stderr,
                 "usage: %s [--quick]\n"
                 "  --quick  sizes up to 16 MiB and one timed run each (CI smoke run)\n",
                 program);
    return status;
}

// A reply as the witness's tool opens one: the envelope opened, the document parsed (and, when
// signed, its signature checked), the attachment bytes dropped.
class DropAttachments final : public crypto::TipReceiver {
  public:
    void on_header(const crypto::TipHeader&) override {}
    void on_attachment_data(std::size_t, std::span<const unsigned char>) override {}
};

std::vector<unsigned char> sealed_reply(const crypto::BoxKeyPair& witness,
                                        const crypto::SecretIdentity* signer,
                                        std::size_t message_bytes) {
    crypto::TipHeader h;
    h.kind = crypto::TipKind::reply;
    h.reply_key = witness.public_key;
    h.message.assign(message_bytes, 'r');
    crypto::VectorSink out;
    const std::vector<crypto::BoxPublicKey> to{witness.public_key};
    check(signer ? crypto::seal_signed_reply(to, h, {}, *signer, out)
                 : crypto::seal_tip(to, h, {}, out),
          "seal reply");
    return std::move(out.bytes());
}

// The time a witness's tool spends on what pinning and signed replies add: a signed reply against
// an unsigned one of the same size, and checking a full list of 16 responders.
void measure_trust(int runs) {
    const crypto::BoxKeyPair witness = crypto::BoxKeyPair::generate();
    const crypto::SecretIdentity responder = crypto::SecretIdentity::generate();
    const crypto::SecretIdentity organisation = crypto::SecretIdentity::generate_organisation();
    const crypto::BoxKeyPair* ids[] = {&witness};
    const auto opener = [&](const std::vector<unsigned char>& envelope) {
        return [&ids, &envelope] {
            crypto::MemorySource in(envelope);
            DropAttachments drop;
            check(crypto::open_tip(ids, in, drop), "open reply");
        };
    };
    crypto::RecipientList list{{organisation.public_identity.sign}, 1, 30000, {}};
    for (std::size_t i = 0; i < crypto::recipient_list_max_entries; ++i) {
        list.recipients.push_back(crypto::SecretIdentity::generate().public_identity);
    }
    const auto list_bytes = crypto::sign_recipient_list(list, organisation);
    std::printf("\nwhat trust adds, microseconds per call (best of %d runs):\n", runs);
    double unsigned_small = 0;
    for (const std::size_t message : {std::size_t{1024}, std::size_t{1024} * 1024}) {
        const auto plain = sealed_reply(witness, nullptr, message);
        const auto signed_one = sealed_reply(witness, &responder, message);
        Timed a{opener(plain)}, b{opener(signed_one)};
        a.calibrate();
        b.calibrate();
        for (int r = 0; r < runs; ++r) a.run(), b.run();
        const double ua = a.best_seconds / static_cast<double>(a.calls_per_run) * 1e6;
        const double ub = b.best_seconds / static_cast<double>(b.calls_per_run) * 1e6;
        if (message == 1024) unsigned_small = ua;
        std::printf("  open a reply of %7zu bytes: unsigned %9.1f, signed %9.1f, ratio %.2f\n",
                    message, ua, ub, ub / ua);
    }
    Timed verify{[&] {
        crypto::RecipientList read;
        check(crypto::decode_recipient_list(list_bytes, read), "list");
    }};
    verify.calibrate();
    for (int r = 0; r < runs; ++r) verify.run();
    const double uv = verify.best_seconds / static_cast<double>(verify.calls_per_run) * 1e6;
    std::printf(
        "  check a list of 16 responders: %9.1f, ratio %.2f of opening the 1 KiB unsigned reply\n",
        uv, uv / unsigned_small);
}

// What one guess at a receipt costs, in each version of its stretching (FORMAT.md 10.3): version
// 1 as the baseline, run interleaved with version 2 in this process.
void measure_receipts(int runs) {
    const crypto::SecretBuffer digits = crypto::generate_receipt();
    crypto::DeploymentSalt salt{};
    randombytes_buf(salt.data(), salt.size());
    const auto deriving = [&](crypto::ReceiptKdf kdf) {
        return
            [&digits, &salt, kdf] { (void)crypto::derive_receipt_keys(digits.span(), salt, kdf); };
    };
    Timed v1{deriving(crypto::ReceiptKdf::v1)}, v2{deriving(crypto::ReceiptKdf::v2)};
    v1.calibrate();
    v2.calibrate();
    for (int r = 0; r < runs; ++r) v1.run(), v2.run();
    const double m1 = v1.best_seconds / static_cast<double>(v1.calls_per_run) * 1e3;
    const double m2 = v2.best_seconds / static_cast<double>(v2.calls_per_run) * 1e3;
    std::printf(
        "\nderiving a receipt's keys, milliseconds per call on one core (best of %d runs):\n",
        runs);
    std::printf(
        "  version 1 (64 MiB, 2 passes) %8.1f\n  version 2 (16 MiB, 1 pass)   %8.1f, ratio %.3f\n",
        m1, m2, m2 / m1);
}

int run(bool quick) {
    const int runs = quick ? quick_runs : full_runs;
    // Other work on the machine skews a baseline and its envelope differently, so say how busy it
    // was.
    std::array<double, 1> load_before{};
    const bool have_load = ::getloadavg(load_before.data(), 1) == 1;
    std::vector<SizeCase> sizes;
    for (const SizeCase& size : all_sizes) {
        if (!quick || size.bytes <= quick_max_size) sizes.push_back(size);
    }

    // Built before any fork, so children share the parent's table instead of each making its own.
    (void)pattern_table();
    const crypto::BoxKeyPair identity = crypto::BoxKeyPair::generate();
    // One small seal and open in the parent first, so one-time lazy setup (symbol binding,
    // first-use allocations) is inherited by every child rather than charged to whichever child
    // runs first.
    {
        crypto::VectorSink warm_envelope;
        seal_pattern(identity.public_key, warm_up_size, warm_envelope);
        crypto::MemorySource warm_source(warm_envelope.bytes());
        CountingSink warm_content;
        open_one(identity, warm_source, warm_content);
    }

    std::vector<Row> rows;
    for (const SizeCase& size : sizes) {
        std::fprintf(stderr, "peak RSS: %s\n", size.label);
        rows.push_back({size, {}, measure_rss(size, identity)});
    }
    for (Row& row : rows) {
        std::fprintf(stderr, "throughput: %s\n", row.size.label);
        row.speed = measure_throughput(row.size, identity, runs);
    }

    std::printf(
        "tipline crypto benchmark: envelope v1 (1 recipient) vs raw secretstream, %zu-byte "
        "chunks\n",
        chunk_size);
    std::printf(
        "libsodium %s; %s; throughput in content MB/s (1 MB = 10^6 bytes), best of %d run%s of >= "
        "%.1f s\n",
        sodium_version_string(), quick ? "quick mode" : "full mode", runs, runs == 1 ? "" : "s",
        min_run_seconds);
    if (have_load) {
        std::printf("1-minute load average before the run: %.2f on %ld CPUs\n", load_before[0],
                    ::sysconf(_SC_NPROCESSORS_ONLN));
    }
    std::printf("\n");
    print_table(rows);
    long start_kib = 0;
    for (const Row& row : rows) start_kib = std::max(start_kib, row.rss.start_kib);
    std::printf(
        "\npeak RSS: ru_maxrss of a forked child doing one seal or open; children start at <= %ld "
        "KiB\n",
        start_kib);
    std::printf("target: seal and open >= %.1fx raw at >= %llu MiB: %s\n", target_ratio,
                static_cast<unsigned long long>(target_min_size / mib),
                target_holds(rows) ? "PASS" : "FAIL");
    measure_trust(runs);
    measure_receipts(runs);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    const std::span<char*> args(argv, static_cast<std::size_t>(argc));
    const char* program = args.empty() ? "tipline-bench-crypto" : args[0];
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        if (arg == "--quick") {
            quick = true;
        } else if (arg == "--help" || arg == "-h") {
            return usage(program, 0);
        } else {
            return usage(program, usage_error_exit);
        }
    }
    try {
        return run(quick);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tipline-bench-crypto: %s\n", e.what());
        return 1;
    }
}
