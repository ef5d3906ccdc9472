//! A test function that tries to leave its run's directory. It reads its inputs
//! like any function (that must work), then tries paths outside `/work`; it exits
//! with status 3 if any of them could be read, else succeeds.

fn main() -> std::process::ExitCode {
    let outside = [
        "/work/../SECRET",
        "/work/../../SECRET",
        "/SECRET",
        "/etc/hostname",
        "../SECRET",
        "SECRET",
    ];
    let escaped: Vec<&str> = outside
        .iter()
        .copied()
        .filter(|p| std::fs::read(p).is_ok())
        .collect();
    if !escaped.is_empty() {
        eprintln!("read outside the run directory: {escaped:?}");
        return std::process::ExitCode::from(3);
    }
    faasplan_kernels::run(|inputs, parts| {
        vec![inputs.iter().map(|i| i.data.len() as u8).collect(); parts]
    })
}
