// mimalloc: every request allocates and frees many small buffers across two runtime
// threads, where glibc's malloc showed up at ~12% of a profile of API reads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // No transparent huge pages: mimalloc asks for them, and with them every fresh or
    // reused 2 MiB of heap was zeroed whole on first touch (~4% of a crawl's CPU in the
    // kernel's clear_page). Without them the crawl bench ran ~5% faster at ~15 MB less
    // peak RSS. Best effort: a kernel without the setting runs as before.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    trawl::cli::run()
}
