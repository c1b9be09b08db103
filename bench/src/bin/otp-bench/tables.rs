//! The tables the benchmark prints.

use super::*;

pub(crate) fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted.get(rank).copied().unwrap_or_default()
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub(crate) fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

pub(crate) fn mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1_000_000.0)
}

/// A zip's size, or a dash in the quick run.
pub(crate) fn zip_mb(bytes: Option<u64>) -> String {
    bytes.map_or("–".into(), mb)
}

/// Both functions' figures side by side, with the targets.
pub(crate) fn print_functions_table(options: &Options, figures: &HashMap<&str, Figures>, empty_function: Duration) {
    let (r, v) = (&figures["request-otp"], &figures["verify-otp"]);
    let row = |name: &str, target: &str, get: &dyn Fn(&Figures) -> String| {
        println!("| {name} | {} | {} | {target} |", get(r), get(v));
    };
    println!("\n| x86_64, this machine | request-otp | verify-otp | target |");
    println!("|---|---|---|---|");
    row("`bootstrap`", "", &|f| mb(f.bootstrap_bytes));
    row("zip (deflate)", "≤ 3 MB", &|f| zip_mb(f.zip_bytes));
    let cold = options.cold + 1;
    row(&format!("init, median of {cold} cold starts"), "≤ 20 ms", &|f| ms(percentile(&f.init, 50.0)));
    row("init, slowest", "", &|f| ms(percentile(&f.init, 100.0)));
    row(&format!("first invocation, median of {cold}"), "", &|f| ms(percentile(&f.first, 50.0)));
    row(&format!("warm invocation, median of {}", options.warm), "", &|f| ms(percentile(&f.warm, 50.0)));
    row("warm invocation, p99", "", &|f| ms(percentile(&f.warm, 99.0)));
    row("warm invocation less backend time, median / p99", "", &|f| {
        format!("{} / {}", ms(percentile(&f.warm_own, 50.0)), ms(percentile(&f.warm_own, 99.0)))
    });
    row("CPU per warm invocation (user + sys)", "≥ 3× less than the peer", &|f| {
        format!("{} µs", f.cpu_per_warm.as_micros())
    });
    row("… of which lambda_runtime's own (an empty function's)", "", &|_| {
        format!("{} µs", empty_function.as_micros())
    });
    row(&format!("peak RSS after {} warm invocations", options.warm), "≤ 24 MiB", &|f| mib(f.peak_rss_kib));
    row("RSS after 10% / 50% / 100% of them", "flat", &|f| {
        f.rss_kib.iter().map(|kib| mib(*kib)).collect::<Vec<_>>().join(" / ")
    });
    row("connections opened during init (DynamoDB, Vonage)", "1, 1", &|f| {
        format!("{}, {}", f.connections_at_init.0, f.connections_at_init.1)
    });
    row("Secrets Manager requests during init", "0, 1", &|f| {
        format!("{} ({})", f.secrets_at_init.len(), f.secrets_at_init.join(", "))
    });
    row("connections opened by the first invocation", "0, 0", &|f| {
        format!("{}, {}", f.connections_in_first_call.0, f.connections_in_first_call.1)
    });
    row("DynamoDB round trips per call", "≤ 3, ≤ 3", &|f| {
        format!("{} ({})", f.dynamodb_calls.len(), f.dynamodb_calls.join(", "))
    });
    row("Vonage round trips per call", "", &|f| {
        let lines: Vec<String> = f.vonage_calls.iter().map(|l| l.trim_end_matches(" HTTP/1.1").to_owned()).collect();
        format!("{} ({})", lines.len(), lines.join(", "))
    });
}

/// Ours beside the peer's (the tutorial's stack on Node.js), measured in the same run, interleaved,
/// with how many times more the peer takes: the figures that hold from one run to the next.
pub(crate) fn print_peer_table(options: &Options, figures: &HashMap<&str, Figures>) {
    println!("\nAgainst the tutorial's stack as a Node.js Lambda (bench/node-peer), same run, interleaved:");
    let targets = Targets { zip: "smaller", init: "≥ 10×", cpu: "≥ 3×", rss: "≥ 4×", calls: "equal" };
    print_comparison(options, figures, ("Node.js peer", "peer ÷ ours"), "Node.js", &targets);
}

/// Ours beside the baseline build's (`--baseline`), measured in the same run, interleaved.
pub(crate) fn print_baseline_table(options: &Options, figures: &HashMap<&str, Figures>) {
    println!("\nAgainst the baseline build (--baseline), same run, interleaved:");
    let targets = Targets { zip: "", init: "", cpu: "", rss: "", calls: "" };
    print_comparison(options, figures, ("baseline", "baseline ÷ ours"), "baseline", &targets);
}

/// The targets of a comparison's rows, if any.
pub(crate) struct Targets {
    pub(crate) zip: &'static str,
    pub(crate) init: &'static str,
    pub(crate) cpu: &'static str,
    pub(crate) rss: &'static str,
    pub(crate) calls: &'static str,
}

/// Each of our functions beside the same function of `other` (the label's suffix), with how many
/// times more the other takes.
pub(crate) fn print_comparison(
    options: &Options,
    figures: &HashMap<&str, Figures>,
    (column, ratio): (&str, &str),
    other: &str,
    targets: &Targets,
) {
    let pairs: Vec<_> = FUNCTIONS
        .iter()
        .map(|function| (&figures[function], &figures[format!("{function} ({other})").as_str()]))
        .collect();
    println!("| x86_64, this machine | request-otp | {column} | {ratio} | verify-otp | {column} | {ratio} | target |");
    println!("|---|---|---|---|---|---|---|---|");
    let row = |name: &str, target: &str, get: &dyn Fn(&Figures) -> f64, show: &dyn Fn(f64) -> String| {
        let cells: Vec<String> = pairs
            .iter()
            .map(|(ours, theirs)| {
                let (a, b) = (get(ours), get(theirs));
                format!("{} | {} | {:.1}×", show(a), show(b), b / a)
            })
            .collect();
        println!("| {name} | {} | {target} |", cells.join(" | "));
    };
    let millis = |d: Duration| d.as_secs_f64() * 1000.0;
    let show_ms = |v: f64| format!("{v:.2} ms");
    let cold = options.cold + 1;
    if !options.quick {
        row("zip (deflate)", targets.zip, &|f| f.zip_bytes.unwrap_or(0) as f64, &|v| mb(v as u64));
    }
    row(&format!("init, median of {cold}"), targets.init, &|f| millis(percentile(&f.init, 50.0)), &show_ms);
    row(&format!("first invocation, median of {cold}"), "", &|f| millis(percentile(&f.first, 50.0)), &show_ms);
    row(&format!("warm invocation, median of {}", options.warm), "", &|f| millis(percentile(&f.warm, 50.0)), &show_ms);
    row("warm invocation, p99", "", &|f| millis(percentile(&f.warm, 99.0)), &show_ms);
    row("warm less backend time, median", "", &|f| millis(percentile(&f.warm_own, 50.0)), &show_ms);
    row("CPU per warm invocation", targets.cpu, &|f| f.cpu_per_warm.as_secs_f64() * 1e6, &|v| format!("{v:.0} µs"));
    let rss = format!("peak RSS after {} warm invocations", options.warm);
    row(&rss, targets.rss, &|f| f.peak_rss_kib as f64, &|v| mib(v as u64));
    // The same work: the same calls on the same wires.
    let calls = |f: &Figures| format!("{} + {}", f.dynamodb_calls.len(), f.vonage_calls.len());
    let cells: Vec<String> =
        pairs.iter().map(|(ours, theirs)| format!("{} | {} | =", calls(ours), calls(theirs))).collect();
    println!("| DynamoDB + Vonage round trips per call | {} | {} |", cells.join(" | "), targets.calls);
}

/// The local server's table: latency of a whole verification and of each endpoint, throughput.
pub(crate) fn print_local_table(options: &Options, local: &Local) {
    println!(
        "\nLocal server (otp-local, in-memory store, in-process simulator), {} verifications at concurrency {}:",
        options.flows, options.concurrency
    );
    println!("| | p50 | p99 |");
    println!("|---|---|---|");
    let row = |name: &str, samples: &[Duration]| {
        println!("| {name} | {} | {} |", ms(percentile(samples, 50.0)), ms(percentile(samples, 99.0)));
    };
    row("whole flow (request-otp, read the code, verify-otp)", &local.flow);
    row("POST /api/request-otp", &local.request_otp);
    row("POST /api/verify-otp", &local.verify_otp);
    println!("\n{:.0} verifications/s ({:.0} API requests/s)", local.flows_per_second, local.flows_per_second * 2.0);
}

/// What the secret read costs in AWS beyond what moto shows: moto serves Secrets Manager over
/// plain HTTP on loopback, so the init figures above hold no TLS handshake for it.
pub(crate) fn print_secret_read(handshakes: &Handshakes) {
    println!(
        "\nverify-otp's init above includes its sign-in secret's read (one GetSecretValue, the SDK over plain HTTP to moto)."
    );
    println!(
        "In AWS that read also opens a TLS connection to Secrets Manager. One TLS 1.3 handshake, TCP connect included, \
         to a local rustls server with an RSA-2048 chain (client and server on this machine, no network):"
    );
    println!("| | first | median of {} | slowest |", handshakes.samples.len());
    println!("|---|---|---|---|");
    println!(
        "| TLS handshake (ring) | {} | {} | {} |",
        ms(handshakes.samples[0]),
        ms(percentile(&handshakes.samples, 50.0)),
        ms(percentile(&handshakes.samples, 100.0))
    );
    println!("plus, in AWS, two round trips to the region's Secrets Manager endpoint (TCP, then TLS 1.3).");
}
