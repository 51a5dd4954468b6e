//! For tests: a global allocator that watches for a secret in memory being
//! given back. Every freed block (and every block a reallocation leaves)
//! is scanned for the watched bytes before it returns to the system; a
//! test loads a configuration, decrypts a key, … drops everything, and
//! expects no block to have held the secret unwiped. Built only with the
//! `alloc-probe` feature (the test suites turn it on).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

/// The allocator; install it with `#[global_allocator]` in a test binary.
#[derive(Debug, Default)]
pub struct ScanningAllocator;

const MAX: usize = 64;
static NEEDLE: [AtomicU8; MAX] = [const { AtomicU8::new(0) }; MAX];
static NEEDLE_LEN: AtomicUsize = AtomicUsize::new(0);
static HITS: AtomicUsize = AtomicUsize::new(0);

/// Starts watching for `needle` (8 to 64 bytes), with the count at zero.
pub fn watch(needle: &[u8]) {
    assert!((8..=MAX).contains(&needle.len()), "a needle of 8 to {MAX} bytes");
    NEEDLE_LEN.store(0, Ordering::SeqCst);
    for (slot, b) in NEEDLE.iter().zip(needle) {
        slot.store(*b, Ordering::SeqCst);
    }
    HITS.store(0, Ordering::SeqCst);
    NEEDLE_LEN.store(needle.len(), Ordering::SeqCst);
}

/// Stops watching; the number of freed blocks that held the needle.
pub fn stop() -> usize {
    NEEDLE_LEN.store(0, Ordering::SeqCst);
    HITS.load(Ordering::SeqCst)
}

fn holds_needle(block: &[u8], n: usize) -> bool {
    let first = NEEDLE[0].load(Ordering::Relaxed);
    block.windows(n).any(|w| w[0] == first && w.iter().zip(&NEEDLE[..n]).all(|(b, s)| *b == s.load(Ordering::Relaxed)))
}

// SAFETY: every call is forwarded to the system allocator with the same
// arguments; the only addition is reading a block before it is freed.
unsafe impl GlobalAlloc for ScanningAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as given.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let n = NEEDLE_LEN.load(Ordering::Relaxed);
        if n > 0 && layout.size() >= n {
            // SAFETY: `ptr` is a live block of `layout.size()` bytes that
            // this allocator handed out and the caller is giving back.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            if holds_needle(block, n) {
                HITS.fetch_add(1, Ordering::SeqCst);
            }
        }
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) }
    }
}
