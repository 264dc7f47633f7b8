//! The real `flowgate` binary as a child process: started on port 0, its
//! address read back from its JSON log, and killed when dropped, so a
//! failing test leaves no server behind.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A `flowgate serve` child on port 0, the address it bound read back from
/// its JSON log (no guessed port another test could take), and the plain
/// lines it printed before it was ready. Killed on drop if still running.
pub(crate) struct Child {
    pub(crate) process: std::process::Child,
    pub(crate) addr: String,
    pub(crate) printed: Vec<String>,
    /// Every line it writes to standard output after the address line; the
    /// channel closes when the child closes its output (exits).
    pub(crate) output: std::sync::Mutex<std::sync::mpsc::Receiver<String>>,
}

impl Drop for Child {
    fn drop(&mut self) {
        if let Ok(None) = self.process.try_wait() {
            let _ = self.process.kill();
            let _ = self.process.wait();
        }
    }
}

/// Starts `flowgate serve --listen 127.0.0.1:0 --log-json` in `dir`, after
/// `configure` has added its arguments and environment, and waits (at most
/// 30 s) until it logs the address it listens on.
pub(crate) fn spawn_serve(dir: &Path, configure: impl FnOnce(&mut Command)) -> Child {
    spawn_serve_bin(Path::new(env!("CARGO_BIN_EXE_flowgate")), dir, configure)
}

/// [`spawn_serve`] with the `flowgate` binary at `bin`.
pub(crate) fn spawn_serve_bin(
    bin: &Path,
    dir: &Path,
    configure: impl FnOnce(&mut Command),
) -> Child {
    let mut cmd = Command::new(bin);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--log-json"])
        .current_dir(dir)
        .env_remove("FLOWGATE_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    configure(&mut cmd);
    let mut process = cmd.spawn().unwrap();
    let stdout = process.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Keeps reading after the address is known, so the server never
        // writes its log into a closed pipe.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut printed = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            if let Some(status) = process.try_wait().unwrap() {
                panic!("flowgate exited with {status}: {printed:?}");
            }
            continue;
        };
        let listen = serde_json::from_str::<serde_json::Value>(&line)
            .ok()
            .and_then(|v| v["fields"]["listen"].as_str().map(str::to_owned));
        match listen {
            Some(addr) => {
                return Child {
                    process,
                    addr,
                    printed,
                    output: std::sync::Mutex::new(rx),
                };
            }
            None => printed.push(line),
        }
    }
    let _ = process.kill();
    let _ = process.wait();
    panic!("flowgate never logged its address: {printed:?}");
}

/// Sends SIGTERM and waits (at most 15 s) for the child to exit.
pub(crate) fn terminate(child: &mut std::process::Child) -> ExitStatus {
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "flowgate did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
