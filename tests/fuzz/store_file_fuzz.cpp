// A case store file (FORMAT.md section 20.2), opened with the fixed responder's store key as the
// kind and id its header names, as a reader that wants that file would. A file that opens is
// exactly the size sealing its content gives.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "fixture.hpp"
#include "tipline/crypto/errors.hpp"
#include "tipline/crypto/store_file.hpp"

namespace {

using namespace tipline;
using fuzz::require;

const crypto::SecretBuffer& store_key() {
    static const crypto::SecretBuffer key = crypto::derive_store_key(fuzz::responder().box);
    return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const unsigned char> input(data, size);
    const auto kind = size > 10 && data[10] == 1 ? crypto::StoreFileKind::database
                                                 : crypto::StoreFileKind::attachment;
    crypto::StoreFileId id{};
    if (size >= 27) std::copy_n(data + 11, id.size(), id.begin());
    crypto::MemorySource in(input);
    crypto::VectorSink content;
    const std::error_code ec = crypto::open_store_file(store_key().span(), kind, id, in, content);
    if (!ec) {
        require(crypto::store_file_size(content.bytes().size()) == size);
    } else {
        require(ec.category() == crypto::error_category());
    }
    return 0;
}
