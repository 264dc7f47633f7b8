//! A database outage during traffic: 503 answers, no hang, and recovery
//! without a restart, with no token answered 200 lost.

use super::{Cluster, TOKEN, json_of, str_of, until};
use crate::support::TestClient;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// A TCP proxy in front of PostgreSQL that the outage test stops and
/// starts: stopping closes every connection through it and refuses new
/// ones, as a stopped server does.
struct DbProxy {
    addr: SocketAddr,
    target: String,
    task: Option<JoinHandle<()>>,
}

impl DbProxy {
    async fn start(target: String) -> DbProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut proxy = DbProxy {
            addr,
            target,
            task: None,
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: TcpListener) {
        let target = self.target.clone();
        self.task = Some(tokio::spawn(async move {
            // Dropped with this task, which aborts every pipe.
            let mut pipes = JoinSet::new();
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                let target = target.clone();
                pipes.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                while pipes.try_join_next().is_some() {}
            }
        }));
    }

    /// "Stops the database".
    async fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    /// "Starts" it again, at the same address.
    async fn restart(&mut self) {
        self.serve(TcpListener::bind(self.addr).await.unwrap());
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// What one token request of the background traffic got.
#[derive(Debug)]
enum Answer {
    Token(String),
    Error(u16, Value),
    /// No answer within the client's 10 s, or not JSON.
    Broken(String),
}

/// Each answer with how long it took.
type Log = Arc<Mutex<Vec<(Duration, Answer)>>>;

/// Client credentials requests to A, one after another, until `stop`.
async fn traffic(n: Arc<Cluster>, c: TestClient, log: Log, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let form = [("grant_type", "client_credentials")];
        let asked = Instant::now();
        let sent = n
            .http
            .post(n.a.url(TOKEN))
            .basic_auth(&c.id, c.secret.as_deref());
        let answer = match sent.form(&form).send().await {
            Err(e) => Answer::Broken(format!("{e:?}")),
            Ok(r) => {
                let status = r.status().as_u16();
                let text = r.text().await.unwrap_or_default();
                match serde_json::from_str::<Value>(&text) {
                    Ok(v) if status == 200 => Answer::Token(str_of(&v, "access_token").to_owned()),
                    Ok(v) => Answer::Error(status, v),
                    Err(_) => Answer::Broken(format!("{status} {text}")),
                }
            }
        };
        log.lock().unwrap().push((asked.elapsed(), answer));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Tokens and errors answered so far.
fn tally(log: &Log) -> (usize, usize) {
    let log = log.lock().unwrap();
    let tokens = log
        .iter()
        .filter(|a| matches!(a.1, Answer::Token(_)))
        .count();
    (tokens, log.len() - tokens)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_answered_with_503_and_survived_without_restart() {
    let Some((url, _schema)) = crate::pg::pg_test_url().await else {
        return;
    };
    // Stopping the PostgreSQL server would fail every other test using it
    // (and needs rights a test does not have): node A reaches it through a
    // proxy the test stops and starts instead, B directly.
    let mut through_proxy = url::Url::parse(&url).unwrap();
    let host = through_proxy.host_str().unwrap().to_owned();
    let mut db = DbProxy::start(format!("{host}:{}", through_proxy.port().unwrap_or(5432))).await;
    through_proxy.set_host(Some("127.0.0.1")).unwrap();
    through_proxy.set_port(Some(db.addr.port())).unwrap();
    let n = Arc::new(Cluster::start_on(through_proxy.as_str(), &url, &[]).await);
    let c = n.client(json!({})).await;
    let log = Log::default();
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|_| tokio::spawn(traffic(n.clone(), c.clone(), log.clone(), stop.clone())))
        .collect();
    until(Instant::now(), "tokens before the outage", async || {
        tally(&log).0 >= 5
    })
    .await;

    db.stop().await;
    let down = Instant::now();
    until(down, "A not ready", async || {
        n.status(&n.a, "/readyz").await == 503
    })
    .await;
    assert_eq!(n.status(&n.b, "/readyz").await, 200, "B has its own way in");
    let errors = tally(&log).1;
    until(down, "failed requests", async || {
        tally(&log).1 >= errors + 2
    })
    .await;
    let asked = Instant::now();
    let r = n
        .post(&n.a, TOKEN, &c, &[("grant_type", "client_credentials")])
        .await;
    let status = r.status();
    let body = json_of(r).await;
    eprintln!(
        "during the outage: {status} {body} after {:?}",
        asked.elapsed()
    );
    assert!(
        status.is_server_error() && body["error"].is_string(),
        "{status} {body}"
    );

    db.restart().await;
    let up = Instant::now();
    let took = until(up, "A ready again", async || {
        n.status(&n.a, "/readyz").await == 200
    })
    .await;
    eprintln!("A ready {took:?} after the database came back");
    let tokens = tally(&log).0;
    until(up, "tokens after the outage", async || {
        tally(&log).0 >= tokens + 5
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }

    let log = std::mem::take(&mut *log.lock().unwrap());
    let mut issued = Vec::new();
    for (_, answer) in &log {
        match answer {
            Answer::Token(t) => issued.push(t),
            Answer::Error(status, body) => {
                assert!(
                    *status >= 500 && body["error"].is_string(),
                    "{status} {body}"
                );
            }
            Answer::Broken(e) => panic!("a token request got no proper answer: {e}"),
        }
    }
    let slowest = log.iter().map(|(took, _)| *took).max().unwrap();
    let errors = log.len() - issued.len();
    eprintln!(
        "{} tokens, {errors} errors, slowest answer {slowest:?}",
        issued.len()
    );
    // No token answered 200 was lost: B reads them from the database.
    for t in issued {
        assert!(n.active(&n.b, &c, t).await, "token {t} lost");
    }
}
