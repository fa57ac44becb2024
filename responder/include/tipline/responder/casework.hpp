// What both the command line and the inbox do with a conversation: describe it as text, export it
// for a partner organisation, and seal a reply to its witness.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "tipline/crypto/keys.hpp"
#include "tipline/responder/case_store.hpp"
#include "tipline/responder/conversations.hpp"

namespace tipline::responder {

// "follow-up" for follow_up; the other kinds as they are.
std::string kind_text(const std::string& kind);

// The conversation as plain text, every text from the witness escaped for a terminal.
std::string describe_conversation(const Conversation& conversation);

// ToolError (usage) unless out is absent or an empty folder: where an export may go.
void check_export_folder(const std::filesystem::path& out);

// Writes conversation.txt and every attachment (an original that has a safe copy as NAME.UNSAFE,
// the copy as NAME.safe.pdf or .png), decrypted, into out, a new or empty folder (0700); the one
// place the store writes plaintext. Returns how many attachment files it wrote. ToolError (usage)
// when out exists and is not an empty folder.
std::size_t export_conversation(CaseStore& store, const Conversation& conversation,
                                const std::filesystem::path& out);

struct SafeCopyOutcome {
    std::string name;  // the attachment's name, as the witness gave it
    enum Kind { had_one, made, unsupported, failed } kind = made;
    std::string detail;  // made: type and pages; failed: what failed
};

// Makes a safe copy (safe_copy.hpp) of each of the conversation's attachments that has none yet,
// and writes the store back when it made any. Errors other than a file that cannot be copied are
// thrown.
std::vector<SafeCopyOutcome> make_safe_copies(CaseStore& store, const Conversation& conversation);

// Writes bytes into outbox (created 0700 when missing) as PREFIX-RANDOM.EXTENSION, a new file of
// mode 0600 flushed to disk, and returns its path. The name says nothing of when.
std::filesystem::path write_outbox_file(const std::filesystem::path& outbox,
                                        const std::string& prefix, std::string_view extension,
                                        std::span<const unsigned char> bytes);

// A signed reply to the witness of reply_key, sealed to the witness, this responder and each of cc,
// as a reply file (docs/FORMAT.md section 14) that 'push' sends. ToolError (usage) for a language
// that is not a tag or too many colleagues.
std::vector<unsigned char> seal_reply_file(const crypto::BoxPublicKey& reply_key,
                                           const crypto::SecretIdentity& identity,
                                           const std::string& message, const std::string& language,
                                           std::span<const crypto::BoxPublicKey> cc);

}  // namespace tipline::responder
