// Import benchmark for the responders' case store (bench/README.md, "Case store import"): a bundle
// of N tips with an attachment each, sealed in this process, imported into a fresh case store
// (responder::import_bundle: each envelope opened, its attachment sealed into the store, the
// database written back once), against opening the same bundle into folders as 'open' does
// (client::open_bundle_to_folders), measured in the same run. Each runs in a child process of
// its own, so that its peak memory is its own. Then the store's size, its loading, and search
// latency over it (p50, p99) for English, Korean and Chinese words, two-character ones included.
//
//   tipline-bench-import [--tips N] [--attachment-bytes B] [--dir DIR]
#include <sodium.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tipline/client/tip_folder.hpp"
#include "tipline/crypto/bundle.hpp"
#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/fd_stream.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/receipt.hpp"
#include "tipline/crypto/tip_document.hpp"
#include "tipline/responder/case_store.hpp"
#include "tipline/responder/conversations.hpp"
#include "tipline/tooling/file_io.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tipline;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

long peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

const char* const sentences[] = {
    "Three women were taken across the river near the checkpoint at night. ",
    "두만강을 건넌 여성들이 국경 마을에서 팔려 갔다고 이웃이 말했습니다. ",
    "她们在边境被卖到农村，邻居们都知道这件事。",
    "The broker uses a phone number that changes every month. ",
    "탈북 여성 두 명이 공장에서 일하고 있습니다. ",
    "村里的人说，经纪人每个月都会来一次。",
};

std::string message_for(std::size_t i) {
    std::string text = "Report " + std::to_string(i) + ". ";
    // Three of the six sentences, a different choice for each tip.
    for (std::size_t k = 0; k < 3; ++k) text += sentences[(i * 5 + k * 2) % std::size(sentences)];
    return text;
}

// Writes the bundle: tips, a third of them follow-ups in an earlier tip's conversation.
void write_bundle(const fs::path& file, std::size_t tips, std::size_t attachment_bytes,
                  const crypto::BoxPublicKey& recipient) {
    std::vector<crypto::BundleEntry> entries;
    std::vector<std::vector<unsigned char>> envelopes;
    std::vector<crypto::BoxPublicKey> reply_keys;
    for (std::size_t i = 0; i < tips; ++i) {
        crypto::TipHeader h;
        h.created_at = 1764000000 + static_cast<std::int64_t>(i) * 600;
        h.language = i % 3 == 0 ? "en" : i % 3 == 1 ? "ko" : "zh-Hans";
        h.message = message_for(i);
        if (i % 3 == 2 && !reply_keys.empty()) {
            h.kind = crypto::TipKind::follow_up;
            h.reply_key = reply_keys[i % reply_keys.size()];
        } else {
            h.reply_key = crypto::BoxKeyPair::generate().public_key;
            reply_keys.push_back(*h.reply_key);
        }
        std::vector<unsigned char> attachment(attachment_bytes);
        for (std::size_t b = 0; b < attachment.size(); ++b)
            attachment[b] = static_cast<unsigned char>((b * 31 + i) & 0xff);
        h.attachments.push_back(
            {"photo-" + std::to_string(i) + ".jpg", "image/jpeg", attachment.size()});
        crypto::MemorySource source(attachment);
        crypto::ByteSource* sources[] = {&source};
        crypto::VectorSink sealed;
        if (crypto::seal_tip(std::span(&recipient, 1), h, sources, sealed))
            throw std::runtime_error("sealing failed");
        crypto::BundleEntry e;
        randombytes_buf(e.id.data(), e.id.size());
        e.day = static_cast<std::uint32_t>(20400 + i / 30);
        e.size = sealed.bytes().size();
        entries.push_back(e);
        envelopes.push_back(std::move(sealed.bytes()));
    }
    tooling::PendingFile pending(file, 0600);
    crypto::FdSink sink(pending.fd(), "the bundle");
    crypto::write_bundle_manifest(sink, entries);
    for (const auto& e : envelopes) sink.write(e);
    tooling::PendingFile* files[] = {&pending};
    tooling::install_files(files, true);
}

std::uint64_t bytes_under(const fs::path& dir) {
    std::uint64_t total = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) total += e.file_size();
    return total;
}

// Runs one phase in a child process; its last line is "<ms> <peak RSS KiB>".
std::pair<double, long> in_child(const std::function<void()>& phase) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        const auto start = Clock::now();
        phase();
        const double ms = ms_since(start);
        const std::string line = std::to_string(ms) + " " + std::to_string(peak_rss_kib());
        if (::write(fds[1], line.data(), line.size()) < 0) _exit(2);
        _exit(0);
    }
    ::close(fds[1]);
    char buffer[128] = {};
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer - 1);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (n <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("a phase failed");
    double ms = 0;
    long rss = 0;
    std::sscanf(buffer, "%lf %ld", &ms, &rss);
    return {ms, rss};
}

std::pair<double, double> percentiles(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const auto at = [&](double p) {
        return v[std::min(v.size() - 1,
                          static_cast<std::size_t>(p * static_cast<double>(v.size())))];
    };
    return {at(0.5), at(0.99)};
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Case store import benchmark"};
    std::size_t tips = 1000, attachment_bytes = 256 * 1024;
    fs::path dir;
    app.add_option("--tips", tips, "tips in the bundle");
    app.add_option("--attachment-bytes", attachment_bytes, "bytes of each tip's attachment");
    app.add_option("--dir", dir,
                   "a folder for the bundle and the store (default: a new one in /tmp)");
    CLI11_PARSE(app, argc, argv);
    if (dir.empty()) {
        std::string pattern = "/tmp/tipline-bench-import-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) return 2;
        dir = pattern;
    }
    ::umask(077);
    const crypto::SecretIdentity identity = crypto::SecretIdentity::generate();
    const fs::path bundle = dir / "all.bundle";
    write_bundle(bundle, tips, attachment_bytes, identity.public_identity.box);
    const std::uint64_t bundle_size = fs::file_size(bundle);
    std::printf("case store import: %zu tips with a %zu-byte attachment each, bundle %.1f MB\n",
                tips, attachment_bytes, static_cast<double>(bundle_size) / 1e6);

    const auto open_folders = in_child([&] {
        tooling::UniqueFd fd = tooling::open_for_reading(bundle);
        crypto::FdSource in(fd.get(), "the bundle");
        const crypto::BoxKeyPair* ids[] = {&identity.box};
        client::BundleReport report;
        if (client::open_bundle_to_folders(ids, in, bundle_size, dir / "folders", report) ||
            report.opened.size() != tips)
            _exit(3);
    });
    // Imports the bundle into the store, which must then count these as new and as present.
    const auto import_phase = [&](std::size_t added, std::size_t already) {
        return in_child([&] {
            responder::CaseStore store(dir / "store", identity);
            tooling::UniqueFd fd = tooling::open_for_reading(bundle);
            crypto::FdSource in(fd.get(), "the bundle");
            responder::ImportReport report;
            if (responder::import_bundle(store, in, bundle_size, report) || report.added != added ||
                report.already != already)
                _exit(3);
        });
    };
    const auto import = import_phase(tips, 0);
    const auto reimport = import_phase(0, tips);
    std::printf("  open into folders (baseline): %.0f ms, peak RSS %ld KiB\n", open_folders.first,
                open_folders.second);
    std::printf("  import into the store:        %.0f ms (ratio %.2f), peak RSS %ld KiB\n",
                import.first, import.first / open_folders.first, import.second);
    std::printf("  import again (all present):   %.0f ms\n", reimport.first);
    std::printf(
        "  store on disk: %.1f MB (database %.1f MB), folders: %.1f MB\n",
        static_cast<double>(bytes_under(dir / "store")) / 1e6,
        static_cast<double>(fs::file_size(dir / "store" / responder::database_file_name)) / 1e6,
        static_cast<double>(bytes_under(dir / "folders")) / 1e6);

    const auto start = Clock::now();
    responder::CaseStore store(dir / "store", identity);
    std::printf("  open and load the store: %.0f ms\n", ms_since(start));
    std::size_t conversations = responder::list_conversations(store, {}).size();
    std::printf("  %zu conversations\n", conversations);
    for (const char* word :
         {"checkpoint", "broker", "두만강", "탈북", "边境", "农村", "Report 17."}) {
        std::vector<double> times;
        std::size_t found = 0;
        for (int i = 0; i < 100; ++i) {
            const auto t = Clock::now();
            responder::ConversationFilter filter;
            filter.search = word;
            found = responder::list_conversations(store, filter).size();
            times.push_back(ms_since(t));
        }
        const auto [p50, p99] = percentiles(times);
        std::printf("  search %-12s %4zu conversations, p50 %.2f ms, p99 %.2f ms\n", word, found,
                    p50, p99);
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    return 0;
}
