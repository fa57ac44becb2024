// Storage benchmark for the responders' offline case store (bench/README.md, "Case store"): the
// system SQLite held in memory, written back after each change as one sealed file
// (sqlite3_serialize, then an envelope sealed to the responder's own key, FORMAT.md section 8, then
// installed as the tools install files: tooling::write_new_file, write, fsync, rename), against
// two baselines measured in the same run: the same bytes written unsealed the same way, and one
// committed row in an on-disk SQLite database in WAL mode (what an encrypted-page store such as
// SQLCipher would do per change, before its own encryption). Also: loading the store, its sizes,
// and full-text search with FTS5's trigram tokenizer in Korean, Chinese and English, including
// two-character words, which trigrams cannot index.
//
//   tipline-bench-store [--tips N] [--dir DIR]
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "tipline/crypto/envelope.hpp"
#include "tipline/crypto/keys.hpp"
#include "tipline/crypto/secret_buffer.hpp"
#include "tipline/crypto/stream.hpp"
#include "tipline/tooling/file_io.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void check(int rc, sqlite3* db, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
    }
}

void exec(sqlite3* db, const char* sql) {
    check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), db, sql);
}

std::string utf8(char32_t c) {
    std::string out;
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xc0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3f));
    } else {
        out += static_cast<char>(0xe0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (c & 0x3f));
    }
    return out;
}

// Words of each language, made up but shaped like the real ones: Korean of 2 or 3 Hangul
// syllables, Chinese of 2 to 4 common ideographs, English of 4 to 9 letters.
struct Vocabulary {
    std::vector<std::string> korean, chinese, english;
};

Vocabulary make_vocabulary(std::mt19937& rng, std::size_t per_language) {
    Vocabulary v;
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    for (std::size_t i = 0; i < per_language; ++i) {
        std::string k, c, e;
        for (int n = pick(2, 3); n > 0; --n)
            k += utf8(static_cast<char32_t>(pick(0xac00, 0xac00 + 2000)));
        for (int n = pick(2, 4); n > 0; --n)
            c += utf8(static_cast<char32_t>(pick(0x4e00, 0x4e00 + 3000)));
        for (int n = pick(4, 9); n > 0; --n) e += static_cast<char>(pick('a', 'z'));
        v.korean.push_back(k);
        v.chinese.push_back(c);
        v.english.push_back(e);
    }
    return v;
}

// A message of about `bytes` bytes in one language, words separated by spaces and punctuation.
std::string message(std::mt19937& rng, const std::vector<std::string>& words, std::size_t bytes) {
    std::string out;
    std::uniform_int_distribution<std::size_t> pick(0, words.size() - 1);
    while (out.size() < bytes) {
        out += words[pick(rng)];
        out += (out.size() % 7 == 0) ? ". " : " ";
    }
    return out;
}

const char* const schema = R"(
CREATE TABLE message(id INTEGER PRIMARY KEY, conversation INTEGER NOT NULL, day INTEGER NOT NULL,
                     kind TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE attachment(id INTEGER PRIMARY KEY, message INTEGER NOT NULL, name TEXT NOT NULL,
                        size INTEGER NOT NULL, sealed_file TEXT NOT NULL);
CREATE TABLE conversation(id INTEGER PRIMARY KEY, status TEXT NOT NULL, assignee TEXT, note TEXT);
CREATE VIRTUAL TABLE search USING fts5(body, content='message', content_rowid='id', tokenize='trigram');
)";

struct Store {
    sqlite3* db = nullptr;
    ~Store() { sqlite3_close(db); }
};

std::span<const unsigned char> bytes_of(const unsigned char* data, std::size_t size) {
    return {data, size};
}

// The store as an envelope sealed to the responder's own box key.
std::vector<unsigned char> seal(const tipline::crypto::BoxPublicKey& key,
                                std::span<const unsigned char> image) {
    tipline::crypto::MemorySource in(image);
    tipline::crypto::VectorSink out;
    const tipline::crypto::BoxPublicKey recipients[] = {key};
    if (tipline::crypto::seal_envelope(recipients, image.size(), in, out))
        throw std::runtime_error("seal failed");
    return std::move(out.bytes());
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

long peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "the offline case store's storage, sealed whole after each change, against baselines"};
    std::size_t tips = 1000;
    std::string dir_option;
    app.add_option("--tips", tips,
                   "tips in the store, each with a follow-up and a reply (default 1000)");
    app.add_option("--dir", dir_option,
                   "folder for the files written (default: a new one under /tmp)");
    CLI11_PARSE(app, argc, argv);
    tipline::crypto::ensure_sodium();

    std::filesystem::path dir = dir_option;
    if (dir.empty()) {
        char tmpl[] = "/tmp/tipline-bench-store.XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) return 1;
        dir = tmpl;
    }
    std::mt19937 rng(20261204);
    const Vocabulary words = make_vocabulary(rng, 3000);

    // The store: per tip a conversation of three messages (tip, follow-up, reply) in one of the
    // three languages, of about 1.5 KB, 300 and 600 bytes, and two attachments' names.
    Store store;
    check(sqlite3_open(":memory:", &store.db), store.db, "open");
    exec(store.db, schema);
    const auto built = Clock::now();
    exec(store.db, "BEGIN");
    sqlite3_stmt* put = nullptr;
    check(sqlite3_prepare_v2(store.db,
                             "INSERT INTO message(conversation, day, kind, body) VALUES(?,?,?,?)",
                             -1, &put, nullptr),
          store.db, "prepare");
    for (std::size_t t = 0; t < tips; ++t) {
        const auto& lang = t % 3 == 0 ? words.korean : t % 3 == 1 ? words.chinese : words.english;
        const std::pair<const char*, std::size_t> parts[] = {
            {"tip", 1500}, {"follow_up", 300}, {"reply", 600}};
        for (const auto& [kind, bytes] : parts) {
            const std::string body = message(rng, lang, bytes);
            sqlite3_bind_int64(put, 1, static_cast<sqlite3_int64>(t));
            sqlite3_bind_int64(put, 2, 20000 + static_cast<sqlite3_int64>(t / 5));
            sqlite3_bind_text(put, 3, kind, -1, SQLITE_STATIC);
            sqlite3_bind_text(put, 4, body.c_str(), static_cast<int>(body.size()),
                              SQLITE_TRANSIENT);
            check(sqlite3_step(put), store.db, "insert");
            sqlite3_reset(put);
        }
        exec(store.db,
             ("INSERT INTO conversation VALUES(" + std::to_string(t) + ", 'new', NULL, NULL)")
                 .c_str());
    }
    sqlite3_finalize(put);
    exec(store.db, "INSERT INTO search(search) VALUES('rebuild')");
    exec(store.db, "COMMIT");
    const double build_ms = ms_since(built);

    const auto responder = tipline::crypto::BoxKeyPair::generate();

    // One change, then the whole store written back: serialize, seal, write durably.
    constexpr int saves = 20;
    std::vector<double> sealed_ms, plain_ms, wal_ms;
    sqlite3_int64 db_bytes = 0;
    std::size_t sealed_bytes = 0;
    for (int i = 0; i < saves; ++i) {
        exec(store.db,
             ("UPDATE conversation SET status = 'read' WHERE id = " + std::to_string(i)).c_str());
        const auto start = Clock::now();
        unsigned char* image = sqlite3_serialize(store.db, "main", &db_bytes, 0);
        if (image == nullptr) throw std::runtime_error("serialize failed");
        const auto image_bytes = bytes_of(image, static_cast<std::size_t>(db_bytes));
        const std::vector<unsigned char> sealed = seal(responder.public_key, image_bytes);
        tipline::tooling::write_new_file(dir / "store.sealed", sealed, 0600, true);
        sealed_ms.push_back(ms_since(start));
        sealed_bytes = sealed.size();
        // Baseline 1: the same serialized bytes written the same way, unsealed.
        const auto plain = Clock::now();
        tipline::tooling::write_new_file(dir / "store.plain", image_bytes, 0600, true);
        plain_ms.push_back(ms_since(plain));
        sqlite3_free(image);
    }

    // Baseline 2: the same store on disk in WAL mode, one committed row per change.
    {
        Store disk;
        const auto path = dir / "store.db";
        std::filesystem::remove(path);
        check(sqlite3_open(path.c_str(), &disk.db), disk.db, "open disk");
        sqlite3_backup* copy = sqlite3_backup_init(disk.db, "main", store.db, "main");
        sqlite3_backup_step(copy, -1);
        sqlite3_backup_finish(copy);
        exec(disk.db, "PRAGMA journal_mode=WAL");
        exec(disk.db, "PRAGMA synchronous=FULL");
        for (int i = 0; i < saves; ++i) {
            const auto start = Clock::now();
            exec(disk.db,
                 ("UPDATE conversation SET status = 'answered' WHERE id = " + std::to_string(i))
                     .c_str());
            wal_ms.push_back(ms_since(start));
        }
    }

    // Loading: read the sealed file, open it, and deserialize into a fresh in-memory database.
    std::vector<double> load_ms;
    for (int i = 0; i < 5; ++i) {
        const auto start = Clock::now();
        const auto sealed = tipline::tooling::read_small_file(
            dir / "store.sealed", std::filesystem::file_size(dir / "store.sealed"));
        tipline::crypto::MemorySource in(sealed);
        tipline::crypto::VectorSink opened;
        const tipline::crypto::BoxKeyPair* identities[] = {&responder};
        if (tipline::crypto::open_envelope(identities, in, opened))
            throw std::runtime_error("the store does not open");
        const std::size_t out = opened.bytes().size();
        auto* image = static_cast<unsigned char*>(sqlite3_malloc64(out));
        std::copy(opened.bytes().begin(), opened.bytes().end(), image);
        Store loaded;
        check(sqlite3_open(":memory:", &loaded.db), loaded.db, "open");
        check(sqlite3_deserialize(loaded.db, "main", image, static_cast<sqlite3_int64>(out),
                                  static_cast<sqlite3_int64>(out),
                                  SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE),
              loaded.db, "deserialize");
        sqlite3_stmt* count = nullptr;
        check(sqlite3_prepare_v2(loaded.db, "SELECT count(*) FROM message", -1, &count, nullptr),
              loaded.db, "count");
        sqlite3_step(count);
        const auto rows = sqlite3_column_int64(count, 0);
        sqlite3_finalize(count);
        if (rows != static_cast<sqlite3_int64>(tips * 3))
            throw std::runtime_error("the loaded store lost rows");
        load_ms.push_back(ms_since(start));
    }

    // Search: a word of each language, by MATCH where it has three characters or more (trigrams
    // index it), and by LIKE on the message table for two-character words (a scan).
    std::vector<double> match_ms, like_ms;
    std::size_t found = 0;
    sqlite3_stmt* match = nullptr;
    sqlite3_stmt* like = nullptr;
    check(sqlite3_prepare_v2(store.db, "SELECT count(*) FROM search WHERE search MATCH ?", -1,
                             &match, nullptr),
          store.db, "prepare match");
    check(sqlite3_prepare_v2(store.db, "SELECT count(*) FROM message WHERE body LIKE ?", -1, &like,
                             nullptr),
          store.db, "prepare like");
    std::uniform_int_distribution<std::size_t> pick(0, words.korean.size() - 1);
    for (int q = 0; q < 300; ++q) {
        const auto& lang = q % 3 == 0 ? words.korean : q % 3 == 1 ? words.chinese : words.english;
        const std::string& word = lang[pick(rng)];
        const std::size_t chars = q % 3 == 2 ? word.size() : word.size() / 3;
        const bool indexed = chars >= 3;
        sqlite3_stmt* s = indexed ? match : like;
        const std::string term = indexed ? "\"" + word + "\"" : "%" + word + "%";
        const auto start = Clock::now();
        sqlite3_bind_text(s, 1, term.c_str(), static_cast<int>(term.size()), SQLITE_TRANSIENT);
        check(sqlite3_step(s), store.db, "search");
        found += static_cast<std::size_t>(sqlite3_column_int64(s, 0));
        sqlite3_reset(s);
        (indexed ? match_ms : like_ms).push_back(ms_since(start));
    }
    sqlite3_finalize(match);
    sqlite3_finalize(like);

    std::printf("case store: %zu tips, %zu messages, SQLite %s\n", tips, tips * 3,
                sqlite3_libversion());
    std::printf("  built in memory with its trigram index in %.0f ms; peak RSS %ld KiB\n", build_ms,
                peak_rss_kib());
    std::printf("  database %lld bytes, sealed file %zu bytes\n", static_cast<long long>(db_bytes),
                sealed_bytes);
    std::printf(
        "  one change written back (median of %d): sealed whole %.1f ms; the same bytes unsealed "
        "%.1f ms "
        "(ratio %.2f); one WAL commit on disk %.1f ms (ratio %.1f)\n",
        saves, percentile(sealed_ms, 0.5), percentile(plain_ms, 0.5),
        percentile(sealed_ms, 0.5) / percentile(plain_ms, 0.5), percentile(wal_ms, 0.5),
        percentile(sealed_ms, 0.5) / percentile(wal_ms, 0.5));
    std::printf("  loading the sealed store (median of 5): %.1f ms\n", percentile(load_ms, 0.5));
    std::printf("  search, %zu indexed (3+ characters, MATCH): p50 %.2f ms, p99 %.2f ms\n",
                match_ms.size(), percentile(match_ms, 0.5), percentile(match_ms, 0.99));
    std::printf("  search, %zu two-character words (LIKE, a scan): p50 %.2f ms, p99 %.2f ms\n",
                like_ms.size(), percentile(like_ms, 0.5), percentile(like_ms, 0.99));
    std::printf("  (%zu matches in all)\n", found);
    if (dir_option.empty()) std::filesystem::remove_all(dir);
    return 0;
}
