//! The `porchlight-server` binary: `serve` runs the central service; the other commands are the
//! operator's administration tools. Parsing only; the work is in the library.

/// Sync applies thousands of records made of small maps and strings; mimalloc serves those
/// faster than the system allocator (about 15% off a first sync and a push, see ARCHITECTURE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use porchlight_domain::Moment;
use porchlight_server::people::Role;
use porchlight_server::{cli, db, AppState, Config, Listener};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "porchlight-server",
    version,
    about = "The Porchlight central service and its administration commands."
)]
struct Args {
    /// A TOML settings file; PORCHLIGHT_* environment variables override it.
    #[arg(long, env = "PORCHLIGHT_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API until SIGTERM or Ctrl-C.
    Serve,
    /// Apply pending schema migrations (uses PORCHLIGHT_MIGRATE_DATABASE_URL, the owner's URL, when set).
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage offices.
    #[command(subcommand)]
    Office(OfficeCommand),
    /// Assign a case (id or case number) to a case manager, replacing the current assignee.
    Assign { case: String, user: String },
    /// List, revoke and wipe devices.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account; the password is read from the first line of standard input.
    Add {
        username: String,
        #[arg(long)]
        role: String,
        /// The person's name as shown to colleagues.
        #[arg(long)]
        name: String,
        /// The office's name (required for supervisors, case managers and volunteers).
        #[arg(long)]
        office: Option<String>,
    },
    /// Disable an account and revoke its devices.
    Disable { username: String },
    /// Set a new password (read from standard input) and revoke the account's devices.
    ResetPassword { username: String },
    /// Give an account another role; its devices give back what the new role may not see.
    Role {
        username: String,
        role: String,
        /// The office's name, for a role that works for one (the account's own when left out).
        #[arg(long)]
        office: Option<String>,
    },
}

#[derive(Subcommand)]
enum OfficeCommand {
    /// Add an office in a region.
    Add {
        name: String,
        #[arg(long)]
        region: String,
    },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// List devices, all or one user's.
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a device's token: its next request is refused.
    Revoke { id: String },
    /// Flag a device for remote wipe.
    Wipe { id: String },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and report any changed or missing entry.
    Verify {
        /// SEQ:HASH printed by an earlier verify, to detect entries cut from the end since.
        #[arg(long)]
        expect_head: Option<String>,
    },
}

fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err("give the password on standard input, e.g. `printf '%s\\n' \"$PW\" | porchlight-server user add ...`".into());
    }
    Ok(password)
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "porchlight_server=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = match Config::load(args.config.as_deref(), &|k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("porchlight-server: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(args.command, config)) {
        Ok(out) => {
            if !out.is_empty() {
                println!("{out}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("porchlight-server: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> Result<String, String> {
    let now = Moment::now().utc;
    let wait = Duration::from_secs(10);
    if let Command::Migrate = command {
        let url = config
            .migrate_database_url
            .as_deref()
            .unwrap_or(&config.database_url);
        let pool = db::pool(url, 1, wait).map_err(|e| e.to_string())?;
        return cli::migrate(&pool).await.map_err(|e| e.to_string());
    }
    let pool = db::pool(&config.database_url, config.pool_size, wait).map_err(|e| e.to_string())?;
    let issuer = "Porchlight";
    let result = match command {
        Command::Migrate => unreachable!("handled above"),
        Command::Serve => return serve(config, pool).await.map(|_| String::new()),
        Command::User(UserCommand::Add {
            username,
            role,
            name,
            office,
        }) => {
            let role = Role::parse(&role).ok_or_else(|| format!("--role {role:?}: use one of admin, supervisor, case_manager, poster_staff, volunteer"))?;
            let password = read_password()?;
            cli::add_user(
                &pool,
                &username,
                &name,
                role,
                office.as_deref(),
                &password,
                issuer,
                now,
            )
            .await
        }
        Command::User(UserCommand::Disable { username }) => {
            cli::disable_user(&pool, &username, now).await
        }
        Command::User(UserCommand::Role {
            username,
            role,
            office,
        }) => {
            let role = Role::parse(&role).ok_or_else(|| format!("role {role:?}: use one of admin, supervisor, case_manager, poster_staff, volunteer"))?;
            cli::set_role(&pool, &username, role, office.as_deref(), issuer, now).await
        }
        Command::User(UserCommand::ResetPassword { username }) => {
            let password = read_password()?;
            cli::reset_password(&pool, &username, &password, now).await
        }
        Command::Office(OfficeCommand::Add { name, region }) => {
            cli::add_office(&pool, &name, &region, now).await
        }
        Command::Assign { case, user } => cli::assign(&pool, &case, &user, now).await,
        Command::Device(DeviceCommand::List { user }) => {
            cli::device_list(&pool, user.as_deref()).await
        }
        Command::Device(DeviceCommand::Revoke { id }) => cli::device_revoke(&pool, &id, now).await,
        Command::Device(DeviceCommand::Wipe { id }) => cli::device_wipe(&pool, &id, now).await,
        Command::Audit(AuditCommand::Verify { expect_head }) => {
            cli::audit_verify(&pool, expect_head.as_deref()).await
        }
    };
    result.map_err(|e| e.to_string())
}

async fn serve(config: Config, pool: db::Pool) -> Result<(), String> {
    let tcp = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    let listener = match &config.tls {
        Some((cert, key)) => {
            let tls = porchlight_server::tls_config(cert, key).map_err(|e| e.to_string())?;
            Listener::tls(tcp, tls).map_err(|e| e.to_string())?
        }
        None => Listener::plain(tcp),
    };
    let mut state = AppState::new(pool);
    state.login_limits = config.login;
    state.trust_forwarded_for = config.trust_forwarded_for;
    state.request_timeout = config.request_timeout;
    state.max_body_bytes = config.max_body_bytes;
    state.max_photo_bytes = config.max_photo_bytes;
    state.compression_level = config.sync_compression_level;
    state.prefetch_compression_level = config.sync_prefetch_compression_level;
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(address = %config.bind, scheme, public = config.public_base_url.as_deref().unwrap_or("-"), "porchlight-server listening");
    if config.tls.is_none() {
        tracing::warn!("TLS is off: run behind a TLS-terminating proxy, or set PORCHLIGHT_TLS_CERT and PORCHLIGHT_TLS_KEY");
    }
    porchlight_server::serve(listener, state, porchlight_server::shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}
