// mimalloc: every request allocates and frees many small buffers across two runtime
// threads, where glibc's malloc showed up at ~12% of a profile of API reads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    trawl::cli::run()
}
