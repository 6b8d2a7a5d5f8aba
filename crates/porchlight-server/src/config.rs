//! The service's settings, from an optional TOML file overridden by `PORCHLIGHT_*` environment
//! variables, checked at start-up so a mistake is reported before anything listens.

use crate::throttle::LoginLimits;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// The service role's connection (`porchlight_service` member), used by `serve` and the admin commands.
    pub database_url: String,
    /// The owner's connection, used by `migrate` only; defaults to `database_url`.
    pub migrate_database_url: Option<String>,
    pub bind: SocketAddr,
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Where clients reach the service (e.g. behind a load balancer); informative.
    pub public_base_url: Option<String>,
    pub pool_size: usize,
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    pub max_photo_bytes: usize,
    pub trust_forwarded_for: bool,
    pub login: LoginLimits,
    /// zstd level of sync answers, 1 (fastest) to 19 (smallest).
    pub sync_compression_level: i32,
    /// zstd level of pull pages made ahead while a device applies the page before.
    pub sync_prefetch_compression_level: i32,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid: {message}")]
    Parse { path: String, message: String },
    #[error("{key}: {message}")]
    Invalid { key: &'static str, message: String },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    migrate_database_url: Option<String>,
    bind: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    public_base_url: Option<String>,
    pool_size: Option<usize>,
    request_timeout_secs: Option<u64>,
    max_body_bytes: Option<usize>,
    max_photo_bytes: Option<usize>,
    trust_forwarded_for: Option<bool>,
    login_account_free: Option<i32>,
    login_address_free: Option<i32>,
    login_base_delay_ms: Option<u64>,
    login_max_delay_secs: Option<u64>,
    sync_compression_level: Option<i32>,
    sync_prefetch_compression_level: Option<i32>,
}

fn env_or<T: std::str::FromStr>(
    env: &dyn Fn(&str) -> Option<String>,
    key: &'static str,
    file: Option<T>,
) -> Result<Option<T>, ConfigError> {
    let var = format!("PORCHLIGHT_{}", key.to_ascii_uppercase());
    match env(&var) {
        Some(text) if !text.is_empty() => {
            text.parse().map(Some).map_err(|_| ConfigError::Invalid {
                key,
                message: format!("{var}={text:?} is not a valid value"),
            })
        }
        _ => Ok(file),
    }
}

impl Config {
    /// Reads `file` (when given) and the environment through `env`.
    pub fn load(
        file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let f: FileConfig = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?
            }
            None => FileConfig::default(),
        };
        let database_url = env_or(env, "database_url", f.database_url)?.ok_or(ConfigError::Invalid {
            key: "database_url",
            message: "not set: set PORCHLIGHT_DATABASE_URL to the service role's URL, e.g. postgres://porchlight_app:PASSWORD@127.0.0.1:55432/porchlight".into(),
        })?;
        let migrate_database_url = env_or(env, "migrate_database_url", f.migrate_database_url)?;
        let bind_text = env_or(env, "bind", f.bind)?.unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = bind_text.parse().map_err(|_| ConfigError::Invalid {
            key: "bind",
            message: format!("{bind_text:?} is not an address; use HOST:PORT such as 0.0.0.0:8443"),
        })?;
        let tls = match (
            env_or(env, "tls_cert", f.tls_cert)?,
            env_or(env, "tls_key", f.tls_key)?,
        ) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid {
                    key: "tls_cert",
                    message: "give both the TLS certificate and its key, or neither".into(),
                })
            }
        };
        let public_base_url = env_or(env, "public_base_url", f.public_base_url)?;
        if let Some(url) = &public_base_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(ConfigError::Invalid {
                    key: "public_base_url",
                    message: format!("{url:?} must start with https://"),
                });
            }
        }
        let defaults = LoginLimits::default();
        let login = LoginLimits {
            account_free: env_or(env, "login_account_free", f.login_account_free)?
                .unwrap_or(defaults.account_free),
            address_free: env_or(env, "login_address_free", f.login_address_free)?
                .unwrap_or(defaults.address_free),
            base_delay: env_or(env, "login_base_delay_ms", f.login_base_delay_ms)?
                .map(Duration::from_millis)
                .unwrap_or(defaults.base_delay),
            max_delay: env_or(env, "login_max_delay_secs", f.login_max_delay_secs)?
                .map(Duration::from_secs)
                .unwrap_or(defaults.max_delay),
            window: defaults.window,
        };
        if login.account_free < 1 || login.address_free < 1 {
            return Err(ConfigError::Invalid {
                key: "login_account_free",
                message: "allow at least 1 failed login".into(),
            });
        }
        let pool_size = env_or(env, "pool_size", f.pool_size)?.unwrap_or(16);
        if pool_size == 0 {
            return Err(ConfigError::Invalid {
                key: "pool_size",
                message: "use at least 1 connection".into(),
            });
        }
        let level = |key: &'static str,
                     file: Option<i32>,
                     default: i32|
         -> Result<i32, ConfigError> {
            let level = env_or(env, key, file)?.unwrap_or(default);
            if (1..=19).contains(&level) {
                Ok(level)
            } else {
                Err(ConfigError::Invalid {
                    key,
                    message: format!("{level} is not a zstd level; use 1 (fastest) to 19 (smallest), e.g. {default}"),
                })
            }
        };
        let sync_compression_level = level("sync_compression_level", f.sync_compression_level, 3)?;
        let sync_prefetch_compression_level = level(
            "sync_prefetch_compression_level",
            f.sync_prefetch_compression_level,
            3,
        )?;
        Ok(Config {
            database_url,
            migrate_database_url,
            bind,
            tls,
            public_base_url,
            pool_size,
            request_timeout: Duration::from_secs(
                env_or(env, "request_timeout_secs", f.request_timeout_secs)?.unwrap_or(30),
            ),
            max_body_bytes: env_or(env, "max_body_bytes", f.max_body_bytes)?.unwrap_or(256 * 1024),
            max_photo_bytes: env_or(env, "max_photo_bytes", f.max_photo_bytes)?
                .unwrap_or(10 * 1024 * 1024),
            trust_forwarded_for: env_or(env, "trust_forwarded_for", f.trust_forwarded_for)?
                .unwrap_or(false),
            login,
            sync_compression_level,
            sync_prefetch_compression_level,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn the_environment_overrides_the_file_and_mistakes_name_the_key() {
        let dir = std::env::temp_dir().join(format!("porchlight-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("server.toml");
        std::fs::write(
            &file,
            "database_url = \"postgres://a@h/db\"\nbind = \"0.0.0.0:9000\"\npool_size = 4\n",
        )
        .unwrap();
        let c = Config::load(Some(&file), &env(&[("PORCHLIGHT_POOL_SIZE", "8")])).unwrap();
        assert_eq!(c.database_url, "postgres://a@h/db");
        assert_eq!(c.bind.port(), 9000);
        assert_eq!(c.pool_size, 8);
        assert!(c.tls.is_none());

        let e = Config::load(None, &env(&[])).unwrap_err();
        assert!(e.to_string().starts_with("database_url: not set"), "{e}");
        let e = Config::load(
            None,
            &env(&[
                ("PORCHLIGHT_DATABASE_URL", "postgres://x"),
                ("PORCHLIGHT_TLS_CERT", "/c.pem"),
            ]),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("tls_cert:"), "{e}");
        let e = Config::load(
            None,
            &env(&[
                ("PORCHLIGHT_DATABASE_URL", "postgres://x"),
                ("PORCHLIGHT_POOL_SIZE", "many"),
            ]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("PORCHLIGHT_POOL_SIZE"), "{e}");
        let e = Config::load(
            None,
            &env(&[
                ("PORCHLIGHT_DATABASE_URL", "postgres://x"),
                ("PORCHLIGHT_SYNC_COMPRESSION_LEVEL", "30"),
            ]),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("sync_compression_level:"), "{e}");
        std::fs::write(&file, "database_ur = \"x\"\n").unwrap();
        let e = Config::load(Some(&file), &env(&[])).unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
    }
}
