// Heap settings for training loops. Every batch allocates and frees the same large activation
// tensors (tens of MB); glibc serves each from a fresh mmap and returns it with munmap, so every
// batch pays page faults for memory it just gave back — 35% of a TinyConv SC epoch on the 2-core
// VM of docs/performance.md. keep_freed_memory raises the mmap threshold to glibc's largest
// (32 MiB) and stops trimming the heap top, so freed blocks are reused. Peak RSS still reflects
// the largest live set; memory freed after the peak is kept by the process until it exits.
#pragma once

namespace ax {

// Applies the settings above (a no-op outside glibc). Returns whether they took.
bool keep_freed_memory();

}  // namespace ax
