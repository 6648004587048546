//! Plain text lines: the raw error line a connector prints on exit, shell prompts, curl output,
//! tables, and Go panics / runtime fatal errors whose goroutine traces span many lines.

/// True when `line` starts a Go panic or runtime fatal error report.
pub fn starts_panic(line: &str) -> bool {
    line.starts_with("panic: ") || line.starts_with("fatal error: ")
}

/// True when `line` can belong to a goroutine trace that is being read.
pub fn continues_panic(line: &str) -> bool {
    let t = line.trim_end();
    if t.is_empty() {
        return true;
    }
    let first = t.as_bytes()[0];
    if first == b'\t' || first == b' ' {
        // Frame location lines (`\t/path/file.go:42 +0x1d`), tab-expanded pastes, `...`.
        return true;
    }
    t.starts_with("goroutine ")
        || t.starts_with("panic: ")
        || t.starts_with("panic(")
        || t.starts_with("[signal ")
        || t.starts_with("created by ")
        || t.starts_with("runtime stack:")
        || t.starts_with("runtime: ")
        || t.starts_with("fatal error: ")
        || t.starts_with("exit status ")
        || t.starts_with("...")
        || is_frame_function(t)
}

/// `pkg/path.(*Type).Method(0xc000…, …)` or `main.main()`: a frame's function line.
fn is_frame_function(t: &str) -> bool {
    t.ends_with(')')
        && t.contains('(')
        && !t.contains(": ")
        && t.split('(')
            .next()
            .is_some_and(|f| f.contains('.') && !f.contains(' '))
}

/// What a panic's trace says about where it happened.
#[derive(Debug, Default, PartialEq)]
pub struct PanicInfo {
    /// The panic value / fatal error text (after `panic: ` / `fatal error: `).
    pub message: String,
    /// The first frame that is neither Go runtime nor baton-sdk / gRPC: the connector's code.
    pub frame: Option<String>,
    /// `file.go:line` of that frame.
    pub location: Option<String>,
    /// The goroutine header of the panicking goroutine, e.g. `goroutine 1 [running]:`.
    pub goroutine: Option<String>,
}

fn is_library_frame(func: &str, file: &str) -> bool {
    const LIB: [&str; 6] = [
        "runtime.",
        "panic(",
        "github.com/conductorone/baton-sdk",
        "google.golang.org/grpc",
        "github.com/grpc-ecosystem",
        "testing.",
    ];
    LIB.iter().any(|p| func.starts_with(p))
        || file.contains("/src/runtime/")
        || file.contains("/baton-sdk")
        || file.contains("google.golang.org/grpc")
}

/// `pkg.(*T).Method(0xc000…, …)` → `pkg.(*T).Method()`.
fn strip_args(func: &str) -> String {
    match func.rfind('(') {
        Some(i) if i > 0 => format!("{}()", &func[..i]),
        _ => func.to_string(),
    }
}

/// Reads a panic report's text.
pub fn panic_info(text: &str) -> PanicInfo {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("");
    let message = first
        .strip_prefix("panic: ")
        .or_else(|| first.strip_prefix("fatal error: "))
        .unwrap_or(first)
        .to_string();
    let mut info = PanicInfo {
        message,
        ..PanicInfo::default()
    };
    let mut pending_func: Option<&str> = None;
    let mut fallback: Option<(String, String)> = None;
    for line in lines {
        let t = line.trim();
        if t.starts_with("goroutine ") && info.goroutine.is_none() {
            info.goroutine = Some(t.to_string());
            continue;
        }
        if let Some(func) = pending_func.take() {
            if line.starts_with('\t') || line.starts_with(' ') {
                let file = t.split(" +0x").next().unwrap_or(t);
                let loc = file.rsplit('/').next().unwrap_or(file).to_string();
                if fallback.is_none() {
                    fallback = Some((func.to_string(), loc.clone()));
                }
                if !is_library_frame(func, file) {
                    info.frame = Some(strip_args(func));
                    info.location = Some(loc);
                    return info;
                }
                continue;
            }
        }
        if is_frame_function(t) && !t.starts_with("created by ") {
            pending_func = Some(t);
        }
    }
    if let Some((func, loc)) = fallback {
        info.frame = Some(strip_args(&func));
        info.location = Some(loc);
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1c9a3f2]

goroutine 87 [running]:
github.com/conductorone/baton-sdk/pkg/connectorbuilder.(*builderImpl).ListResources.func1()
\t/go/pkg/mod/github.com/conductorone/baton-sdk@v0.25.0/pkg/connectorbuilder/resource_syncer.go:120 +0x1d
github.com/acme/baton-acme/pkg/connector.(*userBuilder).List(0xc0004a6000, {0x2a1b3c8, 0xc000512000}, 0x0, 0xc0001f4a80)
\t/src/baton-acme/pkg/connector/users.go:57 +0x2e4
created by google.golang.org/grpc.(*Server).serveStreams.func2 in goroutine 41
\t/go/pkg/mod/google.golang.org/grpc@v1.71.0/server.go:1029 +0x13a";

    #[test]
    fn finds_the_connector_frame() {
        let p = panic_info(TRACE);
        assert_eq!(
            p.message,
            "runtime error: invalid memory address or nil pointer dereference"
        );
        assert_eq!(
            p.frame.as_deref(),
            Some("github.com/acme/baton-acme/pkg/connector.(*userBuilder).List()")
        );
        assert_eq!(p.location.as_deref(), Some("users.go:57"));
        assert_eq!(p.goroutine.as_deref(), Some("goroutine 87 [running]:"));
    }

    #[test]
    fn trace_lines_continue_and_log_lines_do_not() {
        for l in TRACE.lines().skip(1) {
            assert!(continues_panic(l), "{l}");
        }
        assert!(!continues_panic("{\"level\":\"info\",\"msg\":\"x\"}"));
        assert!(!continues_panic("runner: error processing task: boom"));
        assert!(!continues_panic(
            "2025-08-22T14:04:23.409-0700\tINFO\tsync/syncer.go:1278\tSyncing"
        ));
    }
}
