// The submit form's token: the receipt a no-JavaScript submission will get, sealed under a key that
// exists only in this process's memory. A form sent twice (a reload, a retry after a lost answer)
// then gets the same receipt, so the second copy finds its mailbox taken and is not stored again,
// and the witness sees the receipt again instead of losing it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tipline/crypto/secret_buffer.hpp"

namespace tipline::server {

class FormTokens {
  public:
    FormTokens();  // a fresh random key; tokens do not survive a restart

    // A token for a new form: a fresh receipt, sealed with the day it was issued.
    std::string issue() const;
    // The receipt's 20 digits, if the token is one this process issued today or yesterday.
    std::optional<crypto::SecretBuffer> redeem(std::string_view token) const;

  private:
    crypto::SecretBuffer key_;
};

}  // namespace tipline::server
