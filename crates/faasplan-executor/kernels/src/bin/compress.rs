//! DEFLATE-compresses its input (level 6); each downstream part is one complete stream.

fn main() -> std::process::ExitCode {
    faasplan_kernels::run(|inputs, parts| {
        let data: Vec<u8> = inputs.into_iter().flat_map(|i| i.data).collect();
        faasplan_kernels::chunks(&data, parts)
            .iter()
            .map(|chunk| miniz_oxide::deflate::compress_to_vec(chunk, 6))
            .collect()
    })
}
