// Safe copies (bench/README.md): responder::make_safe_copy on a 12-megapixel JPEG and on a scanned
// PDF of A4 pages, against the same converters run directly on files outside any sandbox, in the
// same run: what the two sandboxes, the pipes and the strict pixel check cost.
//   tipline-bench-safe-copy [--runs N] [--pages N]
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "tipline/responder/safe_copy.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

int shell(const std::string& command) {
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void write_all(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
}

std::vector<unsigned char> read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

struct Case {
    std::string name;
    fs::path input;
    tipline::responder::SafeCopyInput kind;
    std::string direct;  // the same conversion, straight on files: {in} and {dir}
};

std::string filled(std::string text, const fs::path& in, const fs::path& dir) {
    for (auto [slot, value] :
         {std::pair<std::string, std::string>{"{in}", in.string()}, {"{dir}", dir.string()}}) {
        for (auto at = text.find(slot); at != std::string::npos; at = text.find(slot))
            text.replace(at, slot.size(), value);
    }
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    int runs = 5;
    int pages = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--runs") runs = std::max(1, std::atoi(argv[i + 1]));
        if (flag == "--pages") pages = std::max(1, std::atoi(argv[i + 1]));
    }
    std::string missing;
    if (!tipline::responder::safe_copies_available(missing)) {
        std::cerr << "safe copies need " << missing << " (scripts/install-deps)\n";
        return 2;
    }
    char pattern[] = "/tmp/tipline-bench-safe-copy.XXXXXX";
    const fs::path dir = ::mkdtemp(pattern);
    // A photo about the size a phone takes (a fractal compresses much as a photo does), and a scan
    // of A4 pages.
    if (shell("gm convert -size 4000x3000 plasma:fractal -quality 90 " +
              (dir / "photo.jpg").string()) != 0) {
        std::cerr << "gm could not make the photo\n";
        return 1;
    }
    std::string scan = "gm convert -density 150";
    for (int p = 0; p < pages; ++p)
        scan += " -size 1240x1754 'gradient:white-#d8d8d0' +noise Uniform";
    if (shell(scan + " -compress JPEG -quality 80 " + (dir / "scan.pdf").string()) != 0) {
        std::cerr << "gm could not make the PDF\n";
        return 1;
    }
    std::vector<Case> cases = {
        {"JPEG, 4000x3000", dir / "photo.jpg", tipline::responder::SafeCopyInput::jpeg,
         "djpeg -pnm {in} | pnmtopng > {dir}/direct.png"},
        {"PDF, " + std::to_string(pages) + " A4 pages", dir / "scan.pdf",
         tipline::responder::SafeCopyInput::pdf,
         "pdftoppm -scale-to 1600 {in} {dir}/p && cat {dir}/p-*.ppm | gm convert -units "
         "PixelsPerInch -density 100x100 pnm:- -compress JPEG -quality 85 pdf:{dir}/direct.pdf "
         "&& rm -f {dir}/p-*.ppm"},
    };
    // A letter of a few pages in Word's format, where LibreOffice is installed: it is converted by
    // LibreOffice in the sandbox, as directly, with a profile of its own each time.
    if (tipline::responder::office_copies_available()) {
        std::string letter;
        for (int p = 0; p < 3; ++p) {
            for (int line = 0; line < 40; ++line)
                letter += "A witness's letter, line " + std::to_string(line) + " of page " +
                          std::to_string(p + 1) + ": 두만강 건너 女性.\n";
            letter += "\f";
        }
        write_all(dir / "letter.txt", letter);
        if (shell("cd " + dir.string() + " && HOME=" + dir.string() +
                  " soffice --headless --norestore -env:UserInstallation=file://" + dir.string() +
                  "/profile --convert-to docx letter.txt >/dev/null 2>&1") != 0) {
            std::cerr << "soffice could not make the letter\n";
            return 1;
        }
        cases.push_back(
            {"Word, 3 pages", dir / "letter.docx", tipline::responder::SafeCopyInput::office,
             "rm -rf {dir}/lo {dir}/out && HOME={dir} soffice --headless --norestore "
             "-env:UserInstallation=file://{dir}/lo --convert-to pdf --outdir {dir}/out {in} "
             ">/dev/null 2>&1 && pdftoppm -scale-to 1600 {dir}/out/letter.pdf {dir}/p && cat "
             "{dir}/p-*.ppm | gm convert -units PixelsPerInch -density 100x100 pnm:- -compress "
             "JPEG -quality 85 pdf:{dir}/direct.pdf && rm -f {dir}/p-*.ppm"});
    } else {
        std::printf("Word: skipped, LibreOffice is not installed\n");
    }
    std::printf("%-20s %10s %12s %12s %8s %12s %12s\n", "input", "bytes", "safe copy ms",
                "direct ms", "ratio", "copy bytes", "pages");
    int failures = 0;
    for (const Case& c : cases) {
        const std::vector<unsigned char> original = read_all(c.input);
        std::vector<double> safe_ms, direct_ms;
        tipline::responder::SafeCopy copy;
        for (int r = 0; r < runs; ++r) {
            // Alternated, so that a slower moment of the machine falls on both.
            auto start = Clock::now();
            copy = tipline::responder::make_safe_copy(original, c.kind);
            safe_ms.push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - start).count());
            start = Clock::now();
            if (shell(filled(c.direct, c.input, dir)) != 0) ++failures;
            direct_ms.push_back(
                std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        }
        const double s = median(safe_ms), d = median(direct_ms);
        std::printf("%-20s %10zu %12.0f %12.0f %8.2f %12zu %12u\n", c.name.c_str(), original.size(),
                    s, d, s / d, copy.bytes.size(), copy.pages);
    }
    fs::remove_all(dir);
    if (failures > 0) {
        std::cerr << "the direct conversion failed " << failures << " times\n";
        return 1;
    }
    return 0;
}
