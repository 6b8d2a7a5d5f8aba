//! The harness that drives the real Porchlight app: it finds the app binary already built, runs
//! tauri-driver (and the WebKitWebDriver it starts) in a process group of its own that is always
//! torn down, and offers the waits and inputs a scenario needs, addressed by `data-testid`. It
//! builds nothing and starts no display: the test scripts do both.

use fantoccini::elements::Element;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use std::fmt;
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long any one thing the user would wait for may take before the test gives up.
pub const PATIENCE: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);

/// A step of a scenario that did not happen, in words that say which.
#[derive(Debug)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

pub type Step<T = ()> = Result<T, Failure>;

fn fail<E: fmt::Display>(doing: impl fmt::Display) -> impl FnOnce(E) -> Failure {
    move |e| Failure(format!("{doing}: {e}"))
}

/// Whether there is a display to open the window on. Without one, a developer's run skips with a
/// loud notice, but CI fails: there the scripts always start Xvfb, so a missing display is a bug.
pub fn display_or_skip(test: &str) -> bool {
    if std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty()) {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: DISPLAY is not set, and CI=true requires the end-to-end test to run; start Xvfb (scripts/test.sh does) and export DISPLAY.");
    }
    eprintln!();
    eprintln!("************************************************************************");
    eprintln!("* SKIPPED {test}: DISPLAY is not set, so the app window cannot open.");
    eprintln!("* Run `bash scripts/test.sh` (it starts Xvfb), or `Xvfb :99 & DISPLAY=:99 cargo test -p porchlight-e2e`.");
    eprintln!("************************************************************************");
    eprintln!();
    false
}

/// The repository root, two levels above this crate.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root exists")
}

/// The cargo target directory: `CARGO_TARGET_DIR` when set (relative to the repository root if
/// relative), else `<repo>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => repo_root().join(dir),
        None => repo_root().join("target"),
    }
}

/// The app binary to test: `PORCHLIGHT_APP_BIN`, else the debug build in the target directory.
/// The test builds nothing itself, so a missing binary is reported with the command that makes it.
pub fn app_binary() -> PathBuf {
    let path = match std::env::var_os("PORCHLIGHT_APP_BIN").filter(|p| !p.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => target_dir().join("debug/porchlight-app"),
    };
    match path.canonicalize() {
        Ok(abs) if abs.is_file() => abs,
        _ => panic!(
            "the app binary {} does not exist. Build it first: `npm --prefix ui run build && cargo build -p porchlight-app` \
             (with the same CARGO_TARGET_DIR), or point PORCHLIGHT_APP_BIN at it.",
            path.display()
        ),
    }
}

/// Where screenshots go: `PORCHLIGHT_SHOTS`, else `<target>/e2e-shots`.
pub fn shots_dir() -> PathBuf {
    let dir = match std::env::var_os("PORCHLIGHT_SHOTS").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => target_dir().join("e2e-shots"),
    };
    fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create the screenshot folder {}: {e}", dir.display()));
    dir
}

/// The `porchlight` command-line binary: `PORCHLIGHT_CLI_BIN`, else the debug build in the
/// target directory. Like the app, it is built by the scripts, never by the test.
pub fn cli_binary() -> PathBuf {
    let path = match std::env::var_os("PORCHLIGHT_CLI_BIN").filter(|p| !p.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => target_dir().join("debug/porchlight"),
    };
    match path.canonicalize() {
        Ok(abs) if abs.is_file() => abs,
        _ => panic!(
            "the CLI binary {} does not exist. Build it first: `cargo build -p porchlight-cli` \
             (with the same CARGO_TARGET_DIR), or point PORCHLIGHT_CLI_BIN at it.",
            path.display()
        ),
    }
}

/// How long one `porchlight` command may run before the test kills it and fails: a command
/// stuck (on a service that never answers, say) must not hang CI, and a scenario's own time
/// limit cannot interrupt a call that blocks.
pub const CLI_PATIENCE: Duration = Duration::from_secs(240);

/// Runs the real `porchlight` command on `workspace` with `passphrase` and returns what it
/// printed; a failure is a step that did not happen, with everything the command said.
pub fn porchlight(workspace: &Path, passphrase: &str, args: &[&str]) -> Step<String> {
    porchlight_with(workspace, passphrase, &[], args)
}

/// Runs the real `porchlight` command as `porchlight` does, with `env` set as well (the sync
/// password of `porchlight enrol`, say). It is killed after `CLI_PATIENCE`.
pub fn porchlight_with(
    workspace: &Path,
    passphrase: &str,
    env: &[(&str, &str)],
    args: &[&str],
) -> Step<String> {
    let cli = cli_binary();
    let mut command = Command::new(&cli);
    if std::env::var_os("USER").is_none_or(|u| u.is_empty()) {
        command.env("USER", "e2e-case-manager");
    }
    let child = command
        .envs(env.iter().copied())
        .args(args)
        .env("PORCHLIGHT_WORKSPACE", workspace)
        .env("PORCHLIGHT_PASSPHRASE", passphrase)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(fail(format!("starting {}", cli.display())))?;
    // The output is collected on a thread of its own, so both pipes are drained while this one
    // keeps the time.
    let pid = child.id() as libc::pid_t;
    let (done, finished) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let output = match finished.recv_timeout(CLI_PATIENCE) {
        Ok(output) => output,
        Err(_) => {
            // SAFETY: kill only signals the child this function started, which has not been
            // reaped (its waiter is still waiting), so the pid is still its own.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            let _ = reader.join();
            return Err(Failure(format!(
                "`porchlight {}` did not finish within {} s and was killed",
                args.join(" "),
                CLI_PATIENCE.as_secs()
            )));
        }
    };
    let _ = reader.join();
    let output = output.map_err(fail(format!("running `porchlight {}`", args.join(" "))))?;
    if !output.status.success() {
        return Err(Failure(format!(
            "`porchlight {}` failed ({}):\n{}{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    String::from_utf8(output.stdout)
        .map_err(fail(format!("reading `porchlight {}`", args.join(" "))))
}

/// Scenarios share one display, and two apps at once on a small machine make each other's
/// waits flaky: each scenario holds this for its whole run.
pub async fn one_app_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static SCREEN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    SCREEN.lock().await
}

/// The names of the top-level windows on the X display, from `xwininfo` (x11-utils); `None`
/// when the tool is missing. Native dialogs are windows of their own, outside the webview that
/// WebDriver sees, so this is how a test knows one opened.
pub fn x_window_names() -> Option<Vec<String>> {
    let output = Command::new("xwininfo")
        .args(["-root", "-tree"])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Some(
        text.lines()
            .filter_map(|line| {
                let start = line.find('"')?;
                let end = start + 1 + line[start + 1..].find('"')?;
                Some(line[start + 1..end].to_string())
            })
            .collect(),
    )
}

/// Saves a PNG of the whole X display (native dialogs included) as `<shots>/<name>.png`, with
/// ImageMagick's `import`.
pub fn screen_shot(name: &str) -> Step<PathBuf> {
    let path = shots_dir().join(format!("{name}.png"));
    let status = Command::new("import")
        .args(["-window", "root"])
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(fail(
            "starting ImageMagick's import for a screenshot of the display",
        ))?;
    if !status.success() {
        return Err(Failure(format!(
            "import could not capture the display ({status})"
        )));
    }
    Ok(path)
}

/// tauri-driver: `TAURI_DRIVER` when set, else the one on PATH, else `~/.cargo/bin/tauri-driver`.
fn tauri_driver() -> PathBuf {
    if let Some(p) = std::env::var_os("TAURI_DRIVER").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let on_path = std::env::var_os("PATH").map(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("tauri-driver"))
            .find(|p| p.is_file())
    });
    if let Some(Some(p)) = on_path {
        return p;
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let cargo_bin = home.join(".cargo/bin/tauri-driver");
    if cargo_bin.is_file() {
        return cargo_bin;
    }
    panic!("tauri-driver is not installed; run `bash scripts/setup.sh` (or `cargo install tauri-driver --version ^2 --locked`).");
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free local port");
    listener.local_addr().expect("the port just bound").port()
}

/// A running tauri-driver. It and everything it starts (WebKitWebDriver, the app) share one
/// process group, which `Drop` kills as a whole: a WebKitWebDriver left behind would keep the
/// test's output pipe open and make `cargo test` hang after the test itself has finished.
pub struct Driver {
    child: Child,
    port: u16,
    native_port: u16,
    log: PathBuf,
}

impl Driver {
    /// Starts tauri-driver with the app's workspace in `PORCHLIGHT_WORKSPACE` (the app inherits
    /// it) and waits until it accepts connections. Its output goes to `log`, not to the test's.
    pub fn start(workspace: &Path, log: PathBuf) -> Driver {
        let port = free_port();
        let native_port = free_port();
        let out = fs::File::create(&log).expect("the driver log can be created");
        let err = out.try_clone().expect("the driver log can be shared");
        let program = tauri_driver();
        let mut command = Command::new(&program);
        // The app names the person in the history after the system user; a bare CI container
        // has none, and the screenshots would read "unknown".
        if std::env::var_os("USER").is_none_or(|u| u.is_empty()) {
            command.env("USER", "e2e-case-manager");
        }
        let child = command
            .arg("--port")
            .arg(port.to_string())
            .arg("--native-port")
            .arg(native_port.to_string())
            .env("PORCHLIGHT_WORKSPACE", workspace)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let mut driver = Driver {
            child,
            port,
            native_port,
            log,
        };
        driver.wait_until_listening();
        driver
    }

    /// tauri-driver starts WebKitWebDriver on the native port beside its own, and forwards the
    /// first session request there at once; on a loaded machine WebKitWebDriver can still be
    /// starting, and the session request then fails with a connect error. Both must listen.
    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && TcpStream::connect(("127.0.0.1", self.native_port)).is_ok()
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "tauri-driver exited ({status}) before listening:\n{}",
                    self.log_tail()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "tauri-driver and WebKitWebDriver did not listen on ports {} and {} within 30 s:\n{}",
                    self.port,
                    self.native_port,
                    self.log_tail()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Opens a WebDriver session, which starts the app, and returns it once its page has loaded.
    /// A session request that tauri-driver could not forward (WebKitWebDriver between two
    /// sessions, or still starting) started no app, so it is asked again, a few times.
    pub async fn launch(&self, app: &Path) -> Step<App> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.wait_for_native().await;
            let mut caps = Capabilities::new();
            caps.insert("browserName".into(), "wry".into());
            caps.insert(
                "tauri:options".into(),
                serde_json::json!({ "application": app }),
            );
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps)
                .connect(&format!("http://127.0.0.1:{}", self.port))
                .await
            {
                Ok(client) => return Ok(App { client }),
                Err(e) if attempt < 4 && e.to_string().contains("did not respond") => {
                    tokio::time::sleep(Duration::from_millis(500 * attempt)).await;
                }
                Err(e) => {
                    return Err(Failure(format!(
                        "starting the app through tauri-driver (attempt {attempt}): {e}\n{}",
                        self.log_tail()
                    )))
                }
            }
        }
    }

    /// Waits (up to 30 s) for WebKitWebDriver to accept connections on the native port.
    async fn wait_for_native(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.native_port)).is_ok() {
                return;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The last lines the driver and the app wrote, for failure messages.
    pub fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = fs::File::open(&self.log) {
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            let _ = file.seek(SeekFrom::Start(len.saturating_sub(6000)));
            let _ = file.read_to_string(&mut text);
        }
        format!(
            "--- tauri-driver / app log ({}) ---\n{text}",
            self.log.display()
        )
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = self.child.id() as libc::pid_t;
        // SAFETY: killpg only sends a signal to the group this driver leads; no memory is shared.
        unsafe { libc::killpg(group, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(POLL);
        }
        // Whatever ignored SIGTERM (WebKitWebDriver, a stuck app) goes now.
        // SAFETY: as above.
        unsafe { libc::killpg(group, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

fn by_testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

/// The app window as the user sees it, addressed by `data-testid`.
pub struct App {
    client: Client,
}

impl App {
    /// Polls until `ready` yields a value or `PATIENCE` runs out; `what` names the awaited thing.
    async fn poll<T, F, Fut>(&self, what: &str, mut ready: F) -> Step<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(value) = ready().await {
                return Ok(value);
            }
            if Instant::now() > deadline {
                return Err(Failure(format!(
                    "waited {} s for {what}",
                    PATIENCE.as_secs()
                )));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn visible(&self, id: &str) -> Option<Element> {
        let el = self.client.find(Locator::Css(&by_testid(id))).await.ok()?;
        el.is_displayed().await.ok()?.then_some(el)
    }

    /// Waits until the element with this test id is on screen.
    pub async fn wait_for(&self, id: &str) -> Step<Element> {
        self.poll(&format!("[data-testid={id}] to appear"), || {
            self.visible(id)
        })
        .await
    }

    /// Waits until the element with test id `inner` is on screen inside the one with test id
    /// `outer` (a button in the case header, not its twin in the hidden list behind).
    pub async fn wait_for_inside(&self, outer: &str, inner: &str) -> Step<Element> {
        let css = format!("{} {}", by_testid(outer), by_testid(inner));
        self.poll(
            &format!("[data-testid={inner}] inside [data-testid={outer}]"),
            || {
                let css = css.clone();
                async move {
                    let el = self.client.find(Locator::Css(&css)).await.ok()?;
                    el.is_displayed().await.ok()?.then_some(el)
                }
            },
        )
        .await
    }

    /// Waits until the element with this test id is on screen with attribute `attr` equal to
    /// `value` (a state the page states in a `data-` attribute, say), and returns it.
    pub async fn wait_for_attr(&self, id: &str, attr: &str, value: &str) -> Step<Element> {
        let what = format!("[data-testid={id}] with {attr}={value:?}");
        // What the attribute held at the last look, for the failure message.
        let last = std::sync::Mutex::new(None::<String>);
        let found = self
            .poll(&what, || async {
                let el = self.visible(id).await?;
                let now = el.attr(attr).await.ok()?;
                let matched = now.as_deref() == Some(value);
                if let Ok(mut seen) = last.lock() {
                    *seen = now;
                }
                matched.then_some(el)
            })
            .await;
        let seen = last.lock().map(|s| s.clone()).unwrap_or_default();
        found.map_err(|Failure(why)| Failure(format!("{why} (it has {attr}={seen:?})")))
    }

    /// Whether the element is on screen right now.
    pub async fn shows(&self, id: &str) -> bool {
        self.visible(id).await.is_some()
    }

    /// Waits until the element shows some text, and returns it.
    pub async fn wait_for_text(&self, id: &str) -> Step<String> {
        self.poll(
            &format!("[data-testid={id}] to show a message"),
            || async move {
                let text = self.visible(id).await?.text().await.ok()?;
                (!text.trim().is_empty()).then_some(text)
            },
        )
        .await
    }

    pub async fn click(&self, id: &str) -> Step {
        let el = self.wait_for(id).await?;
        el.click()
            .await
            .map_err(fail(format!("clicking [data-testid={id}]")))
    }

    /// Puts `value` in a field the way a person would: typing into text fields, choosing the
    /// option of a select. Date and time fields have no keyboard model in WebKitGTK's driver, so
    /// their value is set and the same `input` and `change` events a picker sends are fired.
    pub async fn fill(&self, id: &str, value: &str) -> Step {
        let el = self.wait_for(id).await?;
        let doing = format!("filling [data-testid={id}] with {value:?}");
        let tag = el
            .tag_name()
            .await
            .map_err(fail(&doing))?
            .to_ascii_lowercase();
        let kind = el
            .attr("type")
            .await
            .map_err(fail(&doing))?
            .unwrap_or_default();
        if tag == "select" {
            el.select_by_value(value).await.map_err(fail(&doing))?;
        } else if matches!(kind.as_str(), "date" | "time" | "datetime-local" | "month") {
            let script =
                "const el = document.querySelector(arguments[0]); el.value = arguments[1]; \
                          el.dispatchEvent(new Event('input', { bubbles: true })); \
                          el.dispatchEvent(new Event('change', { bubbles: true }));";
            self.client
                .execute(script, vec![by_testid(id).into(), value.into()])
                .await
                .map_err(fail(&doing))?;
        } else {
            el.clear().await.map_err(fail(&doing))?;
            el.send_keys(value).await.map_err(fail(&doing))?;
        }
        let now = el
            .prop("value")
            .await
            .map_err(fail(&doing))?
            .unwrap_or_default();
        if now != value {
            return Err(Failure(format!("{doing}: the field holds {now:?} instead")));
        }
        Ok(())
    }

    /// Waits until some element with test id `id` contains every one of `words`, and returns how
    /// many elements with that id there are then.
    pub async fn wait_for_row(&self, id: &str, words: &[&str]) -> Step<usize> {
        let what = format!("a [data-testid={id}] containing {words:?}");
        self.poll(&what, || async move {
            let rows = self
                .client
                .find_all(Locator::Css(&by_testid(id)))
                .await
                .ok()?;
            for row in &rows {
                let text = row.text().await.ok()?;
                if words.iter().all(|w| text.contains(w)) {
                    return Some(rows.len());
                }
            }
            None
        })
        .await
    }

    /// How many elements with this test id are on the page now.
    pub async fn count(&self, id: &str) -> usize {
        self.client
            .find_all(Locator::Css(&by_testid(id)))
            .await
            .map_or(0, |all| all.len())
    }

    /// Waits until there are exactly `n` elements with this test id.
    pub async fn wait_for_count(&self, id: &str, n: usize) -> Step {
        self.poll(&format!("{n} [data-testid={id}]"), || async move {
            (self.count(id).await == n).then_some(())
        })
        .await
    }

    /// Waits for the first element with test id `id` that contains every one of `words`.
    pub async fn row(&self, id: &str, words: &[&str]) -> Step<Element> {
        let what = format!("a [data-testid={id}] containing {words:?}");
        self.poll(&what, || async move {
            let rows = self
                .client
                .find_all(Locator::Css(&by_testid(id)))
                .await
                .ok()?;
            for row in rows {
                let text = row.text().await.ok()?;
                if words.iter().all(|w| text.contains(w)) {
                    return Some(row);
                }
            }
            None
        })
        .await
    }

    /// Waits for the element with test id `id` whose `data-id` is `record` (a case or record id).
    pub async fn record_row(&self, id: &str, record: &str) -> Step<Element> {
        let css = format!("{}[data-id=\"{record}\"]", by_testid(id));
        self.poll(&format!("the [data-testid={id}] of {record}"), || {
            let css = css.clone();
            async move {
                let el = self.client.find(Locator::Css(&css)).await.ok()?;
                el.is_displayed().await.ok()?.then_some(el)
            }
        })
        .await
    }

    /// Clicks the element with test id `inner` inside `row` (e.g. the edit button of a note).
    pub async fn click_in(&self, row: &Element, inner: &str) -> Step {
        let doing = format!("clicking [data-testid={inner}] in a row");
        let el = row
            .find(Locator::Css(&by_testid(inner)))
            .await
            .map_err(fail(&doing))?;
        el.click().await.map_err(fail(&doing))
    }

    /// Presses Escape where the focus is, as a person closing a dialog would.
    pub async fn escape(&self) -> Step {
        let el = self
            .client
            .active_element()
            .await
            .map_err(fail("finding the focused element"))?;
        el.send_keys("\u{E00C}")
            .await
            .map_err(fail("pressing Escape"))
    }

    /// Sets a checkbox to `on` by clicking it when it is not already so.
    pub async fn check(&self, id: &str, on: bool) -> Step {
        let el = self.wait_for(id).await?;
        let doing = format!("setting [data-testid={id}] to {on}");
        let now = el.is_selected().await.map_err(fail(&doing))?;
        if now != on {
            el.click().await.map_err(fail(&doing))?;
        }
        Ok(())
    }

    /// Runs a script in the page with `args` and returns its result. An asynchronous script
    /// gets a callback as its last argument and answers by calling it.
    pub async fn script(
        &self,
        script: &str,
        args: Vec<serde_json::Value>,
        asynchronous: bool,
    ) -> Step<serde_json::Value> {
        let ran = if asynchronous {
            self.client.execute_async(script, args).await
        } else {
            self.client.execute(script, args).await
        };
        ran.map_err(fail("running a script in the page"))
    }

    /// Drops a file onto the element with this test id as a person dragging it from the file
    /// manager would: `dragenter`, `dragover` and `drop` events carrying a `File` with `bytes`.
    /// (The window leaves drops to the page, so these are the events the page gets.)
    pub async fn drop_file(&self, id: &str, name: &str, mime: &str, bytes: &[u8]) -> Step {
        use base64::Engine;
        self.wait_for(id).await?;
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        let script = "const [css, name, mime, data] = arguments;
            const zone = document.querySelector(css);
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, { type: mime }));
            for (const type of ['dragenter', 'dragover', 'drop']) {
              zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
            }
            return dt.files.length;";
        let dropped = self
            .script(
                script,
                vec![by_testid(id).into(), name.into(), mime.into(), data.into()],
                false,
            )
            .await?;
        if dropped != serde_json::json!(1) {
            return Err(Failure(format!(
                "dropping {name} onto [data-testid={id}] carried {dropped} files"
            )));
        }
        Ok(())
    }

    /// Waits until no element with this test id is on screen.
    pub async fn poll_until_gone(&self, id: &str) -> Step {
        self.poll(&format!("[data-testid={id}] to go away"), || async move {
            (!self.shows(id).await).then_some(())
        })
        .await
    }

    /// Waits until the canvas with this test id has been drawn on: some pixel is not blank.
    pub async fn poll_for_drawn_canvas(&self, id: &str) -> Step {
        let script = "const c = document.querySelector(arguments[0]);
            if (!c || !c.width || !c.height) return false;
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let i = 0; i < d.length; i += 4 * 97) { if (d[i + 3] !== 0 && (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250)) return true; }
            return false;";
        self.poll(&format!("[data-testid={id}] to be drawn"), || async move {
            let drawn = self
                .client
                .execute(script, vec![by_testid(id).into()])
                .await
                .ok()?;
            (drawn == serde_json::Value::Bool(true)).then_some(())
        })
        .await
    }

    /// Saves a PNG of the window as `<shots>/<name>.png`.
    pub async fn shot(&self, name: &str) -> Step<PathBuf> {
        let png = self
            .client
            .screenshot()
            .await
            .map_err(fail(format!("screenshot {name}")))?;
        let path = shots_dir().join(format!("{name}.png"));
        fs::write(&path, png).map_err(fail(format!("writing {}", path.display())))?;
        Ok(path)
    }

    /// Ends the WebDriver session, which closes the app as a user quitting it would.
    pub async fn quit(self) -> Step {
        self.client
            .close()
            .await
            .map_err(fail("ending the session (quitting the app)"))
    }
}
