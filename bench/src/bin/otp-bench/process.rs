//! What a process used: its connections and requests, CPU time, memory, and its zip's size.

use super::*;

pub(crate) fn connections(before: &Traffic, after: &Traffic) -> usize {
    after.connections - before.connections
}

pub(crate) fn requests(before: &Traffic, after: &Traffic) -> Vec<String> {
    after.requests[before.requests.len().min(after.requests.len())..].to_vec()
}

/// user + system CPU time of a process so far (all its threads, live or ended).
pub(crate) fn cpu_time(pid: u32) -> Result<Duration, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| e.to_string())?;
    let fields: Vec<&str> = stat.rsplit_once(") ").ok_or("unreadable /proc stat")?.1.split(' ').collect();
    // utime and stime are fields 14 and 15 of the whole line, so 12 and 13 after `comm`.
    let ticks: u64 = fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0);
    // SAFETY: sysconf reads a constant of the system.
    let per_second = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).unwrap_or(100);
    Ok(Duration::from_nanos(ticks * 1_000_000_000 / per_second))
}

pub(crate) fn status_kib(pid: u32, field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':')?.trim().strip_suffix(" kB")?.parse().ok())
        .ok_or(format!("no {field} in /proc/{pid}/status"))
}

/// The size of the deployment zip, compressed as SAM and cargo-lambda compress it (deflate).
pub(crate) fn zip_size(file: &Path, name: &str) -> Result<u64, String> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import io, sys, zipfile\n\
             buf = io.BytesIO()\n\
             with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z: z.write(sys.argv[1], sys.argv[2])\n\
             print(len(buf.getvalue()))",
        ])
        .arg(file)
        .arg(name)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    String::from_utf8_lossy(&out.stdout).trim().parse().map_err(|_| format!("could not zip {}", file.display()))
}
