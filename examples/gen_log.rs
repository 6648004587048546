//! Generates a realistic debug-level baton connector log (zap JSON lines) of about `SIZE_MB`
//! megabytes, deterministically from a seed: sync progress, HTTP request lines, connector call
//! lines, pushed actions with page tokens, retries, a few failures. Used by bench/run.sh.
//! With `info` the same syncs are written as `--log-level info` writes them: zap drops the
//! debug lines (requests, pushed actions, call lines), so the log holds more, shorter syncs.
//!
//!     cargo run --release --example gen_log -- OUT.log [SIZE_MB] [SEED] [debug|info]

use std::io::{BufWriter, Write};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const TYPES: [&str; 4] = ["user", "group", "role", "app"];
const HOSTS: [&str; 3] = ["acme.okta.com", "api.github.com", "acme.my.salesforce.com"];

fn main() -> std::process::ExitCode {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "bench.log".into());
    match generate() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_log: cannot write {out}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn generate() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| "bench.log".into());
    let size_mb: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1024);
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(7);
    let info = args.next().is_some_and(|l| l == "info");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out)?);
    let target = size_mb * 1_000_000;
    let mut written = 0u64;
    let mut ts = 1_755_896_663.409_112_f64;
    let mut action = 1u64;
    let mut line = String::with_capacity(1024);
    let emit = |w: &mut BufWriter<std::fs::File>,
                line: &mut String,
                written: &mut u64|
     -> std::io::Result<()> {
        if info && line.starts_with(r#"{"level":"debug""#) {
            line.clear();
            return Ok(());
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
        *written += line.len() as u64;
        line.clear();
        Ok(())
    };
    while written < target {
        // One sync: banners, pages of resources, grants per resource with requests.
        line.push_str(&format!(r#"{{"level":"info","ts":{ts:.6},"caller":"sync/syncer.go:1278","msg":"Syncing resource types..."}}"#));
        emit(&mut w, &mut line, &mut written)?;
        for rt in TYPES {
            let host = HOSTS[rng.gen_range(0..HOSTS.len())];
            let pages = rng.gen_range(5..40);
            for page in 0..pages {
                ts += rng.gen_range(0.001..0.05);
                let token = format!("eyJwYWdlIjo{page}{}", rng.gen_range(1000..9999));
                line.push_str(&format!(r#"{{"level":"debug","ts":{ts:.6},"caller":"sync/state.go:650","msg":"pushed action","action":{{"id":"{action:010}","operation":"list-resources","page_token":"{token}","resource_type_id":"{rt}"}}}}"#));
                action += 1;
                emit(&mut w, &mut line, &mut written)?;
                line.push_str(&format!(r#"{{"level":"debug","ts":{ts:.6},"caller":"ratelimit/grpc.go:118","msg":"beginning ratelimit check for request","method":"/c1.connector.v2.ResourcesService/ListResources"}}"#));
                emit(&mut w, &mut line, &mut written)?;
                let per_page = rng.gen_range(1..6);
                for _ in 0..per_page {
                    ts += rng.gen_range(0.01..0.3);
                    let id: u32 = rng.r#gen();
                    let status = if rng.gen_ratio(1, 400) { 429 } else { 200 };
                    let msg = if status == 200 {
                        "HTTP request complete"
                    } else {
                        "HTTP request client error"
                    };
                    line.push_str(&format!(r#"{{"level":"debug","ts":{ts:.6},"caller":"uhttp/transport.go:354","msg":"{msg}","http.method":"GET","http.url_details.host":"{host}","http.url_details.path":"/api/v1/{rt}s/{id:08x}","http.url_details.query":"limit=200&after={token}","duration":{:.6},"http.status_code":{status},"http.headers":{{"X-Ratelimit-Limit":["5000"],"X-Ratelimit-Remaining":["{}"]}}}}"#, rng.gen_range(0.02..0.4), rng.gen_range(0..5000)));
                    emit(&mut w, &mut line, &mut written)?;
                    if status == 429 {
                        line.push_str(&format!(r#"{{"level":"warn","ts":{ts:.6},"caller":"uhttp/wrapper.go:586","msg":"base-http-client: HTTP error status","status_code":429,"status":"429 Too Many Requests","headers":{{"Retry-After":["2"],"X-Ratelimit-Remaining":["0"]}}}}"#));
                        emit(&mut w, &mut line, &mut written)?;
                        line.push_str(&format!(r#"{{"level":"warn","ts":{ts:.6},"caller":"retry/retry.go:125","msg":"retrying operation","error":"sync-grants-for-resource: error listing grants: rpc error: code = Unavailable desc = error: listing grants for resource {rt}/{id} failed: rpc error: code = Unavailable desc = 429 Too Many Requests","wait":2.0}}"#));
                        emit(&mut w, &mut line, &mut written)?;
                    }
                }
                line.push_str(&format!(r#"{{"level":"debug","ts":{ts:.6},"caller":"ugrpc/logging.go:38","msg":"finished unary call with code OK","grpc.start_time":"2025-08-22T14:04:23-07:00","grpc.service":"c1.connector.v2.ResourcesService","grpc.method":"ListResources","grpc.code":"OK","grpc.time_ms":{:.3}}}"#, rng.gen_range(10.0..900.0)));
                emit(&mut w, &mut line, &mut written)?;
            }
            line.push_str(&format!(r#"{{"level":"info","ts":{ts:.6},"caller":"progresslog/progresslog.go:203","msg":"Synced resources","resource_type_id":"{rt}","count":{}}}"#, pages * 50));
            emit(&mut w, &mut line, &mut written)?;
        }
        if rng.gen_ratio(1, 20) {
            line.push_str(&format!(r#"{{"level":"error","ts":{ts:.6},"caller":"ugrpc/logging.go:38","msg":"finished unary call with code Internal","grpc.method":"ListGrants","error":"listing grants for resource group/00g1 failed: next page token unchanged - likely a connector bug","grpc.code":"Internal"}}"#));
            emit(&mut w, &mut line, &mut written)?;
        }
        line.push_str(&format!(r#"{{"level":"info","ts":{ts:.6},"caller":"sync/syncer.go:1161","msg":"Sync complete."}}"#));
        emit(&mut w, &mut line, &mut written)?;
        ts += 60.0;
    }
    w.flush()?;
    eprintln!("wrote {written} bytes to {out}");
    Ok(())
}
