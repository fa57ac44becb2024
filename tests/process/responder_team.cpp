// The real tools as a team of responders and their witnesses use them (responder_team.hpp).
#include "responder_team.hpp"

#include <catch2/catch.hpp>

namespace tipline::test {

namespace fs = std::filesystem;

Responder first_responder(const Deployment& d) { return {d.key, d.pub, d.pass}; }

// Another responder, added to tiplined.conf before the server starts.
Responder add_responder(const Deployment& d, const std::string& name) {
    Responder r{d.dir / name, d.dir / (name + ".pub"), d.dir / (name + ".pass")};
    write_key_pair(r.key, r.pass, "passphrase of " + name);
    std::string key_text = text_of(r.pub);
    while (!key_text.empty() && key_text.back() == '\n') key_text.pop_back();
    const fs::path conf = d.data / "tiplined.conf";
    std::string conf_text = text_of(conf);
    const auto line = conf_text.find("\nresponder = [");
    REQUIRE(line != std::string::npos);
    conf_text.insert(conf_text.find("]\n", line), ", \"" + key_text + "\"");
    write_file(conf, conf_text);
    return r;
}

SignedTeam sign_team(const fs::path& dir, const std::vector<const Responder*>& members) {
    const Responder org{dir / "org.key", dir / "org.key.pub", dir / "org.pass"};
    write_key_pair(org.key, org.pass, "organisation passphrase", true);
    const auto fingerprint = run_command(responder_tool() + " org fingerprint " + q(org.pub));
    REQUIRE(fingerprint.exit_code == 0);
    std::string who;
    for (const Responder* m : members) who += " --responder " + q(m->pub);
    const fs::path list = dir / "team.list";
    const auto signed_list =
        run_command(responder_tool() + " org sign --key " + q(org.key) + " --passphrase-file " +
                    q(org.pass) + who + " --serial 1 --out " + q(list));
    INFO(signed_list.err);
    REQUIRE(signed_list.exit_code == 0);
    return {list, fingerprint.out.substr(0, fingerprint.out.find('\n'))};
}

// tipline-responder fetch on the responder's online machine, with any further flags.
CommandResult fetch(const ServerProcess& server, const Responder& r, const fs::path& out,
                    const std::string& flags) {
    return run_command(responder_tool() + " fetch --server http://127.0.0.1:" +
                       std::to_string(server.responder_port()) + " --key " + q(r.key) +
                       " --passphrase-file " + q(r.pass) + " --out " + q(out) + " " + flags);
}

std::string store_args(const Responder& r, const fs::path& store) {
    return " --key " + q(r.key) + " --passphrase-file " + q(r.pass) + " --store " + q(store);
}

CommandResult responder_run(const std::string& command, const Responder& r, const fs::path& store,
                            const std::string& more) {
    return run_command(responder_tool() + " " + command + store_args(r, store) + " " + more);
}

CommandResult open_bundle(const Responder& r, const fs::path& bundle, const fs::path& out) {
    return run_command(responder_tool() + " open " + q(bundle) + " --key " + q(r.key) +
                       " --passphrase-file " + q(r.pass) + " --out " + q(out));
}

// The folder 'open' wrote under dir for the item whose message is message.
fs::path folder_with_message(const fs::path& dir, const std::string& message) {
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.is_directory() && text_of(e.path() / "message.txt") == message) return e.path();
    }
    FAIL("no folder in " << dir << " holds the message " << message);
    return {};
}

// A witness sends a tip with tipline-submit and keeps the receipt in dir/receipt.txt.
fs::path send_tip(const ServerProcess& server, const fs::path& dir, const std::string& message) {
    fs::create_directories(dir);
    write_file(dir / "message.txt", message);
    const auto sent =
        run_command(submit() + " send --server " + server.url() + " --message-file " +
                    q(dir / "message.txt") + " --receipt-out " + q(dir / "receipt.txt"));
    INFO("send stderr: " << sent.err);
    REQUIRE(sent.exit_code == 0);
    return dir / "receipt.txt";
}

// What tipline-submit check shows the witness who holds the receipt.
CommandResult check(const ServerProcess& server, const fs::path& receipt) {
    return run_command(submit() + " check --server " + server.url() + " --receipt-file " +
                       q(receipt));
}

// The responder opens a fetched bundle offline (once), answers the tip that says tip_message (with
// a copy for cc, a .pub, when given) and pushes the reply online.
void answer(const ServerProcess& server, const Responder& r, const fs::path& bundle,
            const std::string& tip_message, const std::string& reply_text, const fs::path& work,
            const fs::path& cc) {
    const fs::path inbox = work / ("inbox-" + bundle.stem().string());
    if (!fs::exists(inbox)) REQUIRE(open_bundle(r, bundle, inbox).exit_code == 0);
    const fs::path tip = folder_with_message(inbox, tip_message);
    const fs::path text = work / (tip.filename().string() + ".txt");
    const fs::path reply = work / (tip.filename().string() + ".reply");
    write_file(text, reply_text);
    const auto sealed =
        run_command(responder_tool() + " reply --tip " + q(tip) + " --key " + q(r.key) +
                    " --passphrase-file " + q(r.pass) + " --message-file " + q(text) + " --out " +
                    q(reply) + (cc.empty() ? std::string() : " --cc " + q(cc)));
    INFO("reply stderr: " << sealed.err);
    REQUIRE(sealed.exit_code == 0);
    const auto pushed = run_command(responder_tool() + " push --server http://127.0.0.1:" +
                                    std::to_string(server.responder_port()) + " --key " + q(r.key) +
                                    " --passphrase-file " + q(r.pass) + " " + q(reply));
    INFO("push stderr: " << pushed.err);
    REQUIRE(pushed.exit_code == 0);
}

}  // namespace tipline::test
