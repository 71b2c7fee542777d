//! The machine the run is on, as the report names it.

use std::fmt::Write as _;

pub(crate) fn now_utc() -> String {
    command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
}

pub(crate) fn command_line(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(if o.stdout.is_empty() { &o.stderr } else { &o.stdout }).trim().to_owned())
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "not found".to_owned())
}

pub(crate) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse::<u64>().unwrap_or(0)))
        .unwrap_or(0);
    let mut out = String::from("## Machine\n\n");
    writeln!(out, "- CPU: {cpu}, {cores} cores; memory {:.1} GiB", memory as f64 / 1_048_576.0).unwrap();
    writeln!(out, "- OS: {}", command_line("uname", &["-sr"])).unwrap();
    for (name, program, flag) in [
        ("rustc", "rustc", "--version"),
        ("Chromium", "/usr/bin/chromium", "--version"),
        ("wrk", "wrk", "--version"),
        ("twiggy", "twiggy", "--version"),
    ] {
        writeln!(out, "- {name}: {}", command_line(program, &[flag])).unwrap();
    }
    out.push('\n');
    out
}
