//! Starting and stopping the server: open and migrate the store, create the
//! `admin` account and scope, start the janitor, serve until SIGINT or
//! SIGTERM, then drain in-flight requests and flush pending writes.

use crate::app::App;
use crate::config::{Config, ServeArgs};
use crate::oauth::metadata::{INTROSPECT_PATH, METADATA_PATH, REVOKE_PATH, TOKEN_PATH};
use crate::{janitor, store, web};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A server running in this process.
pub struct Server {
    pub addr: SocketAddr,
    pub app: Arc<App>,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("cannot open the store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("cannot prepare the store: {0}")]
    Bootstrap(#[from] crate::domain::DomainError),
    #[error("cannot prepare the store: {0} (--no-migrate is set: run `flowgate migrate` first)")]
    NotMigrated(crate::domain::DomainError),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

impl Server {
    /// Opens the store, bootstraps it and starts serving on `config.listen`
    /// (port 0 picks a free port; see [`Server::addr`]).
    pub async fn start(config: Config) -> Result<Server, StartError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Listen {
                    addr: config.listen,
                    source,
                })?;
        Self::start_on(listener, config).await
    }

    /// Like [`Server::start`], on a listener the caller bound.
    pub async fn start_on(listener: TcpListener, config: Config) -> Result<Server, StartError> {
        // A bad certificate or key is found before anything else happens.
        let tls = match &config.tls {
            Some((cert, key)) => Some(crate::tls::load(cert, key)?),
            None => None,
        };
        // Install the metrics recorder before anything records.
        let _ = web::ops::prometheus();
        let store = store::open_with(
            &config.database_url,
            config.migrate,
            config.database_max_connections,
        )
        .await?;
        let mut settings = config.settings.clone();
        if config.public_url_from_listen
            && config.listen.port() == 0
            && let Ok(bound) = listener.local_addr()
        {
            // With port 0 only the bound listener knows the real port.
            settings.public_url = crate::config::default_public_url(bound, settings.tls);
        }
        let app = Arc::new(App::new(store, settings));
        app.follow_changes();
        let unmigrated = |e| match config.migrate {
            true => StartError::Bootstrap(e),
            false => StartError::NotMigrated(e),
        };
        app.ensure_admin_scope().await.map_err(unmigrated)?;
        if let Some(generated) = app.ensure_admin_user(config.admin_password.clone()).await? {
            // Shown once, on the terminal only, never in the log stream.
            println!(
                "\nCreated the administrator account.\n  user:     admin\n  password: {}\nStore it now: it is not shown again. Set FLOWGATE_ADMIN_PASSWORD to choose it.\n",
                generated.expose()
            );
        }
        if config.demo {
            let client = crate::demo::seed(&app).await?;
            // Holds the client secret: the terminal only, never the log.
            println!(
                "{}",
                crate::demo::walkthrough(&app.settings.public_url, &client)
            );
        }
        let addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
        let (stop, stopped) = watch::channel(false);
        if !config.janitor_interval.is_zero() {
            tokio::spawn(janitor::run(
                app.clone(),
                config.janitor_interval,
                config.janitor_batch,
                stopped.clone(),
            ));
        }
        tokio::spawn(upkeep(app.clone(), stopped.clone()));
        let router = web::router(app.clone(), config.max_body_bytes, config.demo);
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let mut shutdown = stopped;
        let task = match tls {
            None => tokio::spawn(async move {
                axum::serve(listener, service)
                    .with_graceful_shutdown(async move {
                        let _ = shutdown.wait_for(|s| *s).await;
                    })
                    .await
            }),
            Some(tls) => {
                let listener = listener.into_std().map_err(|source| StartError::Listen {
                    addr: config.listen,
                    source,
                })?;
                let server = axum_server::from_tcp_rustls(listener, tls).map_err(|source| {
                    StartError::Listen {
                        addr: config.listen,
                        source,
                    }
                })?;
                let handle = axum_server::Handle::new();
                let stopper = handle.clone();
                tokio::spawn(async move {
                    let _ = shutdown.wait_for(|s| *s).await;
                    stopper.graceful_shutdown(None);
                });
                tokio::spawn(server.handle(handle).serve(service))
            }
        };
        Ok(Server {
            addr,
            app,
            stop,
            task,
        })
    }

    /// Stops accepting connections, waits for in-flight requests, and
    /// flushes the store.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.stop.send(true);
        let result = match self.task.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        };
        self.app.store.close().await;
        result
    }
}

/// Every few seconds: the metrics exporter's upkeep, and dropping the
/// rate-limit state of quiet clients and addresses (it would otherwise grow
/// with every address ever seen).
async fn upkeep(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
            _ = stop.changed() => return,
        }
        if let Some(h) = web::ops::prometheus() {
            h.run_upkeep();
        }
        app.limiter.tidy();
    }
}

/// `flowgate serve`.
pub async fn run(args: ServeArgs) -> ExitCode {
    let config = match Config::resolve(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config);
    let server = match Server::start(config.clone()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "flowgate could not start");
            return ExitCode::FAILURE;
        }
    };
    let base = server.app.settings.public_url.clone();
    tracing::info!(
        listen = %server.addr,
        database = %store::redact_url(&config.database_url),
        "flowgate is serving"
    );
    tracing::info!("metadata:      {base}{METADATA_PATH}");
    tracing::info!("token:         {base}{TOKEN_PATH}");
    tracing::info!("introspection: {base}{INTROSPECT_PATH}");
    tracing::info!("revocation:    {base}{REVOKE_PATH}");
    tracing::info!("admin API:     {base}/admin/api/v1/");
    shutdown_signal().await;
    tracing::info!("shutting down: draining in-flight requests");
    match server.stop().await {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "server error");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if config.log_json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
