//! Micro-benchmarks: parsing a zap JSON line, parsing a zap console line, and the full rule set
//! per event. Whole-run throughput is measured by bench/run.sh.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use baton_lint::parse::{Line, Parser};
use baton_lint::rules::load_builtin;
use baton_lint::{RuleSet, lint_text};

const JSON: &str = r#"{"level":"debug","ts":1755896671.204551,"caller":"uhttp/transport.go:354","msg":"HTTP request complete","http.method":"GET","http.url_details.host":"api.github.com","http.url_details.path":"/orgs/acme/teams/platform/members","http.url_details.query":"per_page=100","duration":0.183422511,"http.status_code":200,"http.headers":{"X-Ratelimit-Limit":["5000"],"X-Ratelimit-Remaining":["4987"],"X-Ratelimit-Reset":["1755900263"]}}"#;
const CONSOLE: &str = "2025-08-22T14:04:24.883-0700\tINFO\tprogresslog/progresslog.go:203\tSynced resources\t{\"resource_type_id\": \"team\", \"count\": 57}";

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    for (name, line) in [("json_line", JSON), ("console_line", CONSOLE)] {
        g.throughput(Throughput::Bytes(line.len() as u64));
        g.bench_function(name, |b| {
            let mut p = Parser::new();
            let mut n = 0u64;
            b.iter(|| {
                n += 1;
                p.push(
                    Line {
                        text: line,
                        number: n,
                        offset: 0,
                    },
                    &mut |ev| {
                        std::hint::black_box(ev.msg.len());
                    },
                );
            })
        });
    }
    g.finish();
}

fn engine(c: &mut Criterion) {
    let rules = RuleSet::new(load_builtin().unwrap());
    let demo = include_str!("../corpus/demo/failing-sync.log");
    let text = demo.repeat(20);
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("all_rules_demo_log", |b| {
        b.iter(|| std::hint::black_box(lint_text(&rules, &text, "bench").findings.len()))
    });
    g.finish();
}

criterion_group!(benches, parse, engine);
criterion_main!(benches);
