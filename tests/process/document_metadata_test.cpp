// tipline-submit removes the metadata of documents, recordings and videos with the real mat2 in a
// real bubblewrap sandbox; the files go through a real tiplined and tipline-responder, and exiftool
// reads what is left.
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "server_process.hpp"
#include "support.hpp"

using namespace tipline::test;
namespace fs = std::filesystem;

namespace {

// What the files are made to give away; none of it may reach the responder.
const std::vector<std::string> planted = {"Jane Witness", "SecretWriter", "Acme Secret Unit",
                                          "SN-4242",      "2024-01-02",   "2024:01:02"};
// The page text, the paragraph, the samples: what must still be there.
const std::string paragraph = "The shipment left at night";

std::string text(const Bytes& b) { return {b.begin(), b.end()}; }

// A one-page PDF: a black rectangle over the left half, a line of Helvetica, and an Info
// dictionary with author, creator, producer and dates.
Bytes tagged_pdf(const std::string& marker = "") {
    const std::string stream =
        "0 0 0 rg 0 0 200 200 re f BT /F1 24 Tf 220 100 Td (" + paragraph + ") Tj ET";
    const std::vector<std::string> objects = {
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 200] /Contents 4 0 R "
        "/Resources << /Font << /F1 6 0 R >> >> >>",
        "<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream + "\nendstream",
        "<< /Author (Jane Witness" + marker +
            ") /Creator (SecretWriter 9) /Producer (Acme Secret Unit PDF) "
            "/CreationDate (D:20240102030405Z) /ModDate (D:20240102030405Z) /Title (SN-4242) >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
    std::string pdf = "%PDF-1.4\n";
    std::vector<std::size_t> offsets;
    for (std::size_t i = 0; i < objects.size(); ++i) {
        offsets.push_back(pdf.size());
        pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
    }
    const std::size_t xref = pdf.size();
    pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
    for (const std::size_t o : offsets) {
        const std::string n = std::to_string(o);
        pdf += std::string(10 - n.size(), '0') + n + " 00000 n \n";
    }
    pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
           " /Root 1 0 R /Info 5 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
    return {pdf.begin(), pdf.end()};
}

std::uint32_t crc32(const std::string& data) {
    std::uint32_t crc = 0xFFFFFFFFU;
    for (const char c : data) {
        crc ^= static_cast<unsigned char>(c);
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320U & (0U - (crc & 1U)));
    }
    return ~crc;
}

void put16(std::string& s, std::uint32_t v) {
    s += static_cast<char>(v & 0xFF);
    s += static_cast<char>((v >> 8) & 0xFF);
}
void put32(std::string& s, std::uint32_t v) {
    put16(s, v & 0xFFFF);
    put16(s, v >> 16);
}

// A zip of stored (uncompressed) members, in order.
Bytes stored_zip(const std::vector<std::pair<std::string, std::string>>& members) {
    std::string zip, directory;
    for (const auto& [name, data] : members) {
        const auto offset = static_cast<std::uint32_t>(zip.size());
        const std::uint32_t crc = crc32(data), size = static_cast<std::uint32_t>(data.size());
        const auto name_size = static_cast<std::uint32_t>(name.size());
        put32(zip, 0x04034b50);
        put16(zip, 20);
        put16(zip, 0);
        put16(zip, 0);                                      // stored
        put32(zip, (44U << 25) | (1U << 21) | (2U << 16));  // 2024-01-02, 00:00
        put32(zip, crc);
        put32(zip, size);
        put32(zip, size);
        put16(zip, name_size);
        put16(zip, 0);
        zip += name + data;
        put32(directory, 0x02014b50);
        put16(directory, 20);
        put16(directory, 20);
        put16(directory, 0);
        put16(directory, 0);
        put32(directory, (44U << 25) | (1U << 21) | (2U << 16));
        put32(directory, crc);
        put32(directory, size);
        put32(directory, size);
        put16(directory, name_size);
        put16(directory, 0);
        put16(directory, 0);
        put16(directory, 0);
        put16(directory, 0);
        put32(directory, 0);
        put32(directory, offset);
        directory += name;
    }
    const auto at = static_cast<std::uint32_t>(zip.size());
    zip += directory;
    put32(zip, 0x06054b50);
    put16(zip, 0);
    put16(zip, 0);
    put16(zip, static_cast<std::uint32_t>(members.size()));
    put16(zip, static_cast<std::uint32_t>(members.size()));
    put32(zip, static_cast<std::uint32_t>(directory.size()));
    put32(zip, at);
    put16(zip, 0);
    return {zip.begin(), zip.end()};
}

const std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>";

// A minimal Word document whose core and app properties name its author, company and software.
Bytes tagged_docx() {
    return stored_zip({
        {"[Content_Types].xml",
         xml + "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
               "<Default Extension=\"rels\" "
               "ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
               "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
               "<Override PartName=\"/word/document.xml\" ContentType=\"application/"
               "vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
               "<Override PartName=\"/docProps/core.xml\" "
               "ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>"
               "<Override PartName=\"/docProps/app.xml\" ContentType=\"application/"
               "vnd.openxmlformats-officedocument.extended-properties+xml\"/></Types>"},
        {"_rels/.rels",
         xml + "<Relationships "
               "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
               "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/"
               "2006/relationships/officeDocument\" Target=\"word/document.xml\"/>"
               "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/"
               "relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>"
               "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/"
               "2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/>"
               "</Relationships>"},
        {"word/document.xml",
         xml +
             "<w:document "
             "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>"
             "<w:p><w:r><w:t>" +
             paragraph + "</w:t></w:r></w:p></w:body></w:document>"},
        {"docProps/core.xml",
         xml + "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/"
               "metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
               "xmlns:dcterms=\"http://purl.org/dc/terms/\" "
               "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
               "<dc:creator>Jane Witness</dc:creator><cp:lastModifiedBy>Jane Witness"
               "</cp:lastModifiedBy><dcterms:created xsi:type=\"dcterms:W3CDTF\">"
               "2024-01-02T03:04:05Z</dcterms:created></cp:coreProperties>"},
        {"docProps/app.xml",
         xml + "<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/"
               "extended-properties\"><Application>SecretWriter 9</Application>"
               "<Company>Acme Secret Unit</Company></Properties>"},
    });
}

// A minimal OpenDocument text whose meta.xml names its author, generator and creation date.
Bytes tagged_odt() {
    const std::string office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
    return stored_zip({
        {"mimetype", "application/vnd.oasis.opendocument.text"},
        {"META-INF/manifest.xml",
         xml + "<manifest:manifest "
               "xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" "
               "manifest:version=\"1.2\"><manifest:file-entry manifest:full-path=\"/\" "
               "manifest:media-type=\"application/vnd.oasis.opendocument.text\"/>"
               "<manifest:file-entry manifest:full-path=\"content.xml\" "
               "manifest:media-type=\"text/xml\"/><manifest:file-entry "
               "manifest:full-path=\"meta.xml\" manifest:media-type=\"text/xml\"/>"
               "</manifest:manifest>"},
        {"content.xml", xml + "<office:document-content xmlns:office=\"" + office +
                            "\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" "
                            "office:version=\"1.2\"><office:body><office:text><text:p>" +
                            paragraph +
                            "</text:p></office:text></office:body></office:document-content>"},
        {"meta.xml",
         xml + "<office:document-meta xmlns:office=\"" + office +
             "\" xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\" "
             "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" office:version=\"1.2\"><office:meta>"
             "<meta:initial-creator>Jane Witness</meta:initial-creator>"
             "<dc:creator>Jane Witness</dc:creator>"
             "<meta:creation-date>2024-01-02T03:04:05</meta:creation-date>"
             "<meta:generator>SecretWriter 9</meta:generator></office:meta>"
             "</office:document-meta>"},
    });
}

// 8-bit mono PCM at 8 kHz, one second of a pattern, with a LIST/INFO chunk naming the artist, the
// date, the software and a serial number.
Bytes samples() {
    Bytes s(8000);
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<unsigned char>((i * 7) % 251);
    return s;
}

Bytes tagged_wav() {
    const auto chunk = [](const std::string& id, const std::string& data) {
        std::string c = id;
        put32(c, static_cast<std::uint32_t>(data.size()));
        c += data;
        if (data.size() % 2 != 0) c += '\0';
        return c;
    };
    const std::string info = "INFO" + chunk("IART", std::string("Jane Witness\0", 13)) +
                             chunk("ICRD", std::string("2024-01-02\0", 11)) +
                             chunk("ISFT", std::string("SecretWriter 9\0", 15)) +
                             chunk("ICMT", std::string("SN-4242\0", 8));
    std::string format;
    put16(format, 1);
    put16(format, 1);
    put32(format, 8000);
    put32(format, 8000);
    put16(format, 1);
    put16(format, 8);
    const Bytes pcm = samples();
    const std::string body = "WAVE" + chunk("fmt ", format) + chunk("LIST", info) +
                             chunk("data", std::string(pcm.begin(), pcm.end()));
    std::string wav = "RIFF";
    put32(wav, static_cast<std::uint32_t>(body.size()));
    wav += body;
    return {wav.begin(), wav.end()};
}

// exiftool's JSON for a file, every tag with its group, without the file system's own (name,
// dates, permissions of the copy on this disk).
std::string exiftool_json(const fs::path& file) {
    const auto r = run_command("exiftool -j -a -G1 " + q(file));
    if (r.exit_code != 0) throw std::runtime_error("exiftool failed: " + r.err);
    std::string kept;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        if (!contains(line, "\"System:")) kept += line + "\n";
    }
    return kept;
}

// Every member of a zip, inflated, one after another (Debian's Python reads what mat2 writes).
std::string zip_members(const fs::path& file) {
    const auto r = run_command(
        "/usr/bin/python3 -c 'import sys, zipfile\n"
        "z = zipfile.ZipFile(sys.argv[1])\n"
        "for n in z.namelist(): sys.stdout.write(n + \"\\n\" + z.read(n).decode(\"latin-1\") + "
        "\"\\n\")' " +
        q(file));
    if (r.exit_code != 0) throw std::runtime_error("cannot read the zip: " + r.err);
    return r.out;
}

// Renders the first page with Debian's poppler: "PAGES WIDTH HEIGHT DARK_LEFT DARK_RIGHT", the
// share of dark pixels (in percent) in the left and the right half.
std::string render_pdf(const fs::path& file) {
    const auto r = run_command(
        "/usr/bin/python3 -c 'import sys, gi\n"
        "gi.require_version(\"Poppler\", \"0.18\")\n"
        "from gi.repository import Poppler\n"
        "import cairo\n"
        "d = Poppler.Document.new_from_file(\"file://\" + sys.argv[1], None)\n"
        "p = d.get_page(0)\n"
        "w, h = p.get_size()\n"
        "s = cairo.ImageSurface(cairo.FORMAT_RGB24, int(w), int(h))\n"
        "c = cairo.Context(s)\n"
        "c.set_source_rgb(1, 1, 1)\n"
        "c.paint()\n"
        "p.render(c)\n"
        "s.flush()\n"
        "data, stride = s.get_data(), s.get_stride()\n"
        "def dark(x0, x1):\n"
        "    n = sum(1 for y in range(int(h)) for x in range(x0, x1) if data[y * stride + 4 * x] "
        "< 128)\n"
        "    return 100 * n // ((x1 - x0) * int(h))\n"
        "print(d.get_n_pages(), int(w), int(h), dark(0, int(w) // 2), dark(int(w) // 2, "
        "int(w)))' " +
        q(file) + " 2>/dev/null");
    return r.out;
}

// The one tip in the deployment, exported and opened; the path of its attachment called name.
fs::path opened_attachment(const Deployment& d, const std::string& name) {
    const auto [ids, opened] = export_and_open(d, "export");
    REQUIRE(ids.size() == 1);
    REQUIRE(opened == 1);
    for (const auto& e : fs::recursive_directory_iterator(d.dir / "export-opened")) {
        if (e.path().filename() == name) return e.path();
    }
    FAIL("no attachment called " << name);
    return {};
}

struct Sent {
    CommandResult result;
    fs::path file;
};

// tipline-submit send of one file with the deployment's key, from an empty working folder and with
// an empty TMPDIR of its own.
Sent send_file(const Deployment& d, const ServerProcess& server, const std::string& name,
               const Bytes& bytes, const std::string& extra = "") {
    const fs::path witness = d.dir / "witness", work = d.dir / "work", tmp = d.dir / "tmp";
    fs::create_directories(witness);
    fs::create_directories(work);
    fs::create_directories(tmp);
    write_file(witness / name, bytes);
    write_file(witness / "message.txt", std::string("see the attached file\n"));
    const auto r =
        run_command("cd " + q(work) + " && TMPDIR=" + q(tmp) + " " + submit() + " send --server " +
                    server.url() + " --to " + q(d.pub) + " --message-file " +
                    q(witness / "message.txt") + " --file " + q(witness / name) + " " + extra);
    CHECK(fs::is_empty(work));
    CHECK(fs::is_empty(tmp));
    return {r, witness / name};
}

void check_nothing_planted(const std::string& what, const std::string& where) {
    for (const std::string& p : planted) {
        INFO(where << " still holds \"" << p << "\"");
        CHECK_FALSE(contains(what, p));
    }
}

// The names exiftool gives to metadata that could identify a witness.
void check_no_identifying_tags(const std::string& json) {
    INFO("exiftool: " << json);
    for (const std::string tag :
         {"Author\"", "Creator\"", "CreatorTool\"", "Initial-creator\"", "LastModifiedBy\"",
          "Company\"", "Application\"", "Generator\"", "Producer\"", "Artist\"", "Software\"",
          "Comment\"", "Encoder\"", "SerialNumber\"", "GPS", "DateCreated\"", "CreationDate\"",
          "ModifyDate\": \"2", "CreateDate\": \"2"}) {
        CHECK_FALSE(contains(json, tag));
    }
}

}  // namespace

TEST_CASE("a PDF loses its author, software and dates and keeps its page", "[documents]") {
    Deployment d;
    ServerProcess server(d.data);
    const Bytes pdf = tagged_pdf();
    write_file(d.dir / "original.pdf", pdf);
    const std::string original = exiftool_json(d.dir / "original.pdf");
    REQUIRE(contains(original, "\"Jane Witness\""));  // the file really carries them
    REQUIRE(contains(original, "SecretWriter 9"));

    const Sent sent = send_file(d, server, "report.pdf", pdf);
    INFO("stderr: " << sent.result.err);
    REQUIRE(sent.result.exit_code == 0);
    CHECK(contains(sent.result.err, "removed from '" + sent.file.string() + "': "));
    for (const std::string field : {"author", "creator", "producer", "creation-date"})
        CHECK(contains(sent.result.err, field));
    CHECK_FALSE(contains(sent.result.err, "Jane Witness"));  // names only, never values

    const fs::path got = opened_attachment(d, "report.pdf");
    const Bytes cleaned = read_file(got);
    CHECK(text(cleaned).starts_with("%PDF-"));
    check_nothing_planted(text(cleaned), "the cleaned file");
    const std::string json = exiftool_json(got);
    check_nothing_planted(json, "exiftool's reading");
    check_no_identifying_tags(json);
    // The page is still there: same size, black on the left, white on the right but for the text.
    const std::string page = render_pdf(got);
    INFO("page: " << page);
    std::istringstream in(page);
    int pages = 0, width = 0, height = 0, left = 0, right = 0;
    in >> pages >> width >> height >> left >> right;
    CHECK(pages == 1);
    CHECK(width == 400);
    CHECK(height == 200);
    CHECK(left > 95);
    CHECK(right > 0);  // the line of text
    CHECK(right < 30);
}

TEST_CASE("a Word document and an OpenDocument text lose their authors and keep their text",
          "[documents]") {
    Deployment d;
    ServerProcess server(d.data);
    const bool word = GENERATE(true, false);
    const std::string name = word ? "statement.docx" : "statement.odt";
    const Bytes doc = word ? tagged_docx() : tagged_odt();
    write_file(d.dir / name, doc);
    const std::string original = exiftool_json(d.dir / name);
    REQUIRE(contains(original, "\"Jane Witness\""));
    REQUIRE(contains(original, "SecretWriter 9"));

    const Sent sent = send_file(d, server, name, doc);
    INFO("stderr: " << sent.result.err);
    REQUIRE(sent.result.exit_code == 0);
    CHECK(contains(sent.result.err, "removed from '" + sent.file.string() + "': "));
    CHECK(contains(sent.result.err, word ? "dc:creator" : "meta:initial-creator"));

    const fs::path got = opened_attachment(d, name);
    const std::string members = zip_members(got);
    CHECK(contains(members, paragraph));
    check_nothing_planted(members, "the cleaned document's members");
    const std::string json = exiftool_json(got);
    CHECK(contains(json, word ? "wordprocessingml.document" : "opendocument.text"));
    check_nothing_planted(json, "exiftool's reading");
    check_no_identifying_tags(json);
}

TEST_CASE("a WAV recording loses its tags and keeps every sample", "[documents]") {
    Deployment d;
    ServerProcess server(d.data);
    const Bytes wav = tagged_wav();
    write_file(d.dir / "original.wav", wav);
    REQUIRE(contains(exiftool_json(d.dir / "original.wav"), "\"Jane Witness\""));

    const Sent sent = send_file(d, server, "call.wav", wav);
    INFO("stderr: " << sent.result.err);
    REQUIRE(sent.result.exit_code == 0);
    CHECK(contains(sent.result.err, "Artist"));

    const fs::path got = opened_attachment(d, "call.wav");
    const std::string cleaned = text(read_file(got));
    check_nothing_planted(cleaned, "the cleaned recording");
    const Bytes pcm = samples();
    CHECK(contains(cleaned, text(pcm)));
    const std::string json = exiftool_json(got);
    check_nothing_planted(json, "exiftool's reading");
    check_no_identifying_tags(json);
    CHECK(contains(json, "SampleRate\": 8000,"));
}

TEST_CASE("a video loses its position, dates and tags and keeps its picture", "[documents]") {
    Deployment d;
    ServerProcess server(d.data);
    const fs::path made = d.dir / "made.mp4";
    const auto ff = run_command(
        "ffmpeg -loglevel error -y -f lavfi -i testsrc=duration=1:size=64x48:rate=5 "
        "-metadata artist='Jane Witness' -metadata location=+37.5665+126.9780/ "
        "-metadata creation_time=2024-01-02T03:04:05Z -metadata comment=SN-4242 "
        "-c:v mpeg4 " +
        q(made));
    REQUIRE(ff.exit_code == 0);
    const std::string original = exiftool_json(made);
    REQUIRE(contains(original, "\"Jane Witness\""));
    REQUIRE(contains(original, "GPSLatitude"));

    const Sent sent = send_file(d, server, "clip.mp4", read_file(made));
    INFO("stderr: " << sent.result.err);
    REQUIRE(sent.result.exit_code == 0);
    CHECK(contains(sent.result.err, "GPSLatitude"));
    CHECK_FALSE(contains(sent.result.err, "keeps its metadata"));

    const fs::path got = opened_attachment(d, "clip.mp4");
    check_nothing_planted(text(read_file(got)), "the cleaned video");
    const std::string json = exiftool_json(got);
    check_nothing_planted(json, "exiftool's reading");
    check_no_identifying_tags(json);
    CHECK(contains(json, "ImageWidth\": 64,"));
    CHECK(contains(json, "ImageHeight\": 48,"));
}

TEST_CASE("with --keep-metadata a document goes exactly as it is, with a warning", "[documents]") {
    Deployment d;
    ServerProcess server(d.data);
    const Bytes pdf = tagged_pdf();
    const Sent sent = send_file(d, server, "report.pdf", pdf, "--keep-metadata");
    INFO("stderr: " << sent.result.err);
    REQUIRE(sent.result.exit_code == 0);
    CHECK(contains(sent.result.err,
                   "tipline-submit: warning: '" + sent.file.string() + "' keeps its metadata"));
    CHECK_FALSE(contains(sent.result.err, "removed from"));
    CHECK(read_file(opened_attachment(d, "report.pdf")) == pdf);
}

TEST_CASE("a damaged PDF is refused with exit 2 and nothing is stored", "[documents]") {
    Deployment d;
    ServerProcess server(d.data);
    std::string damaged = "%PDF-1.4\n1 0 obj\n<< /Author (Jane Witness) /Type /Catalog";
    damaged += std::string(4000, 'x');
    const Sent sent = send_file(d, server, "broken.pdf", Bytes(damaged.begin(), damaged.end()));
    INFO("stderr: " << sent.result.err);
    CHECK(sent.result.exit_code == 2);
    CHECK(contains(sent.result.err, "\ntipline-submit: error: cannot remove the metadata of '" +
                                        sent.file.string() + "' (PDF document)"));
    CHECK(contains(sent.result.err, "hint: nothing was sent"));
    CHECK(contains(sent.result.err, "--keep-metadata"));
    CHECK(sent.result.out.empty());
    CHECK(stored_tips(d.data) == 0);
}

TEST_CASE("a format that carries metadata mat2 cannot remove is refused", "[documents]") {
    Deployment d;
    ServerProcess server(d.data);
    // An old Word file: an OLE2 compound file, whatever its name says.
    Bytes ole = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};
    ole.resize(4096, 0);
    const Sent sent = send_file(d, server, "letter.bin", ole);
    INFO("stderr: " << sent.result.err);
    CHECK(sent.result.exit_code == 2);
    CHECK(contains(sent.result.err, "old Microsoft Office document"));
    CHECK(stored_tips(d.data) == 0);
}

TEST_CASE("plain text goes as it is, without mat2 and without a warning", "[documents]") {
    Deployment d;
    ServerProcess server(d.data);
    const std::string notes = "names and places, " + paragraph + "\n";
    const Sent sent = send_file(d, server, "notes.txt", Bytes(notes.begin(), notes.end()));
    INFO("stderr: " << sent.result.err);
    REQUIRE(sent.result.exit_code == 0);
    CHECK_FALSE(contains(sent.result.err, "removed from"));
    CHECK_FALSE(contains(sent.result.err, "warning"));
    CHECK(text(read_file(opened_attachment(d, "notes.txt"))) == notes);
}

TEST_CASE("no plaintext copy of a cleaned file is left in /tmp", "[documents]") {
    Deployment d;
    ServerProcess server(d.data);
    std::random_device random;
    const std::string marker = " " + std::to_string(random()) + std::to_string(random());
    const auto entries = [] {
        std::set<fs::path> names;
        for (const auto& e : fs::directory_iterator("/tmp")) names.insert(e.path());
        return names;
    };
    const std::set<fs::path> before = entries();
    // send_file runs with TMPDIR set to an empty folder and checks that it stays empty; mat2 and
    // the system's /tmp are checked here.
    const Sent sent = send_file(d, server, "report.pdf", tagged_pdf(marker));
    REQUIRE(sent.result.exit_code == 0);
    // Other tests may come and go in /tmp meanwhile: what vanishes while read is skipped.
    std::size_t looked_at = 0;
    for (const fs::path& p : entries()) {
        if (before.count(p) != 0) continue;
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(
                 p, fs::directory_options::skip_permission_denied, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (!it->is_regular_file(ec) || ec) continue;
            ++looked_at;
            try {
                CHECK_FALSE(contains(text(read_file(it->path())), "Jane Witness" + marker));
            } catch (const std::exception&) {
            }
        }
        if (fs::is_regular_file(p, ec)) {
            ++looked_at;
            try {
                CHECK_FALSE(contains(text(read_file(p)), "Jane Witness" + marker));
            } catch (const std::exception&) {
            }
        }
    }
    // The original, in the test's own folder, holds the marker: the search does find it there.
    CHECK(folder_contains(d.dir / "witness", "Jane Witness" + marker));
    INFO("new files looked at: " << looked_at);
}
