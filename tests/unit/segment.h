// Test code only: a stand-in for a shared-memory segment, for the core types that live in
// caller-provided memory (inventory, history).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

// 8-byte aligned, `bytes` long, zero-filled.
class Segment {
  public:
    explicit Segment(std::size_t bytes) : words_((bytes + 7) / 8, 0), bytes_(bytes) {}
    void *data() { return words_.data(); }
    std::size_t bytes() const { return bytes_; }
    void fill(int value) { std::memset(words_.data(), value, words_.size() * 8); }

  private:
    std::vector<std::uint64_t> words_;
    std::size_t bytes_;
};
