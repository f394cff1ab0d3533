fn main() -> std::process::ExitCode {
    mmprov::run(std::env::args_os())
}
