//! The blog server, built from the generated `blog` crate the way a user would: `blog-app serve --http
//! 127.0.0.1:8090 --dir ./pb_data`.

fn main() -> std::process::ExitCode {
    pbgen_runtime::codegen::main(&blog::app::APP)
}
