//! Harness for the end-to-end tests: a companion in sandbox mode serving the
//! built app (`dist/`), and headless Chromium driven through chromedriver.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

pub use fantoccini::{Client, Locator};
pub use pelm_companion::faults::{AppFaults, ScriptedAnswer};
use pelm_companion::Config;
use serde_json::json;
use tokio::process::{Child, Command};

/// How long any single wait in a test may take before it fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A build `./dev test` makes, where `variable` says, else at `fallback`
/// (relative to the workspace).
fn built(variable: &str, fallback: &str, what: &str) -> PathBuf {
    let dir = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(fallback));
    assert!(
        dir.join("index.html").is_file(),
        "no {what} at {}: run `./dev test` so the end-to-end tests have something to load",
        dir.display()
    );
    dir
}

/// The app built for serving under `/energy/` (`trunk build --public-url /energy/`).
pub fn subpath_dist_dir() -> PathBuf {
    built("PELM_DIST_SUBPATH", "target/dist-energy", "sub-path build")
}

/// The example host site (`examples/host`), built for `/example/`.
pub fn example_dist_dir() -> PathBuf {
    built("PELM_DIST_EXAMPLE", "target/dist-example", "example site build")
}

/// The built app (`dist/`).
pub fn dist_dir() -> PathBuf {
    built("PELM_DIST", "dist", "built app")
}

/// What a browser downloads from a build: its wasm, JS glue and stylesheet,
/// sorted by name (not index.html, nor the compressed copies beside them).
pub fn app_files(dist: &std::path::Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dist)
        .unwrap_or_else(|err| panic!("{}: {err}", dist.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "wasm" || ext == "js" || ext == "css"))
        .collect();
    files.sort();
    files
}

/// The parts of a build that load later (`src/pages/later.rs`): every wasm
/// file but the first part, which wasm-bindgen names `*_bg.wasm`.
pub fn is_later_part(file: &std::path::Path) -> bool {
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    name.ends_with(".wasm") && !name.ends_with("_bg.wasm")
}

/// Where screenshots go: target/e2e-artifacts.
pub fn artifacts_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/e2e-artifacts"));
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir
}

/// A companion in sandbox mode on 127.0.0.1:0 with its own database, serving the app.
pub struct Demo {
    pub url: String,
    pub state: pelm_companion::AppState,
    _dir: tempfile::TempDir,
}

impl Demo {
    /// The Pelm sandbox the companion mounts, to move it into a state.
    pub fn sandbox(&self) -> &pelm_companion::Sandbox {
        self.state.mounted_sandbox().expect("the demo runs in sandbox mode")
    }

    /// The companion's scripted answers to the app, and its log of API calls.
    pub fn app_faults(&self) -> &AppFaults {
        self.state.app_faults().expect("the demo runs in sandbox mode")
    }
}

pub async fn spawn_demo(configure: impl FnOnce(&mut Config)) -> Demo {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_tests(format!("sqlite://{}", dir.path().join("companion.db").display()));
    config.dist = Some(dist_dir());
    configure(&mut config);
    let application = pelm_companion::Application::build(config).await.expect("companion");
    let demo = Demo { url: application.url(), state: application.state().clone(), _dir: dir };
    tokio::spawn(application.run_until_stopped());
    demo
}

/// Headless Chromium through its own chromedriver, closed when dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// Killing chromedriver alone leaves its Chromium running: end the whole
    /// process group, which also covers a test that panicked.
    fn drop(&mut self) {
        if let Some(pid) = self.driver.id() {
            // "--" keeps kill from reading the negative group id as an option;
            // without it kill exits 0 and signals nothing.
            let group = format!("-{pid}");
            let _ = std::process::Command::new("kill").args(["-s", "KILL", "--", &group]).status();
        }
    }
}

pub async fn start_browser() -> Browser {
    start_browser_with(&[]).await
}

/// Headless Chromium with `extra` command-line flags besides the harness's own.
pub async fn start_browser_with(extra: &[&str]) -> Browser {
    start_chromium(extra, serde_json::Map::new()).await
}

/// Headless Chromium as a phone `width` CSS pixels wide: touch, a device
/// pixel ratio of 2, and dark mode.
pub async fn start_phone(width: u32) -> Browser {
    let mut options = serde_json::Map::new();
    let metrics = json!({ "width": width, "height": 800, "pixelRatio": 2.0, "touch": true });
    options.insert("mobileEmulation".to_owned(), json!({ "deviceMetrics": metrics }));
    start_chromium(&["--force-dark-mode", "--blink-settings=preferredColorScheme=0"], options).await
}

/// Headless Chromium with `extra` flags and `options` beside the harness's
/// own in `goog:chromeOptions`.
async fn start_chromium(extra: &[&str], options: serde_json::Map<String, serde_json::Value>) -> Browser {
    let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned());
    let chromium = std::env::var("PELM_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let driver = Command::new(&chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group, so dropping the Browser can end Chromium too.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {chromedriver}: {err} (./setup.sh installs it)"));
    let profile = tempfile::tempdir().expect("profile dir");
    let mut capabilities = serde_json::Map::new();
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-background-networking".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--window-size=1200,900".to_owned(),
        format!("--user-data-dir={}", profile.path().display()),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let mut chrome = options;
    chrome.insert("binary".to_owned(), json!(chromium));
    chrome.insert("args".to_owned(), json!(args));
    capabilities.insert("goog:chromeOptions".to_owned(), serde_json::Value::Object(chrome));
    let started = Instant::now();
    let client = loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match fantoccini::ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => break client,
            Err(err) if started.elapsed() > PATIENCE => {
                panic!("chromedriver did not start a session: {err}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    Browser { client, driver, _profile: profile }
}

/// A DevTools command through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp(&'static str, serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "cmd": self.0, "params": self.1 }).to_string()))
    }
}

impl Browser {
    /// Runs a DevTools command (`Network.setBlockedURLs`, ...) and returns its result.
    pub async fn cdp(&self, cmd: &'static str, params: serde_json::Value) -> serde_json::Value {
        self.client.issue_cmd(Cdp(cmd, params)).await.unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }

    /// Waits for `css` to match, and returns the first match.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|err| panic!("no element matched {css}: {err}"))
    }

    /// Waits until nothing matches `css`; panics if something still does
    /// after the usual patience.
    pub async fn gone(&self, css: &str) {
        let started = Instant::now();
        while self.client.find(Locator::Css(css)).await.is_ok() {
            assert!(started.elapsed() < PATIENCE, "{css} is still there");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap_or_else(|err| panic!("cannot click {css}: {err}"));
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        self.find(css).await.send_keys(text).await.unwrap_or_else(|err| panic!("cannot type into {css}: {err}"));
    }

    /// Waits until `css` matches an element without the `disabled` attribute.
    pub async fn click_when_enabled(&self, css: &str) {
        let started = Instant::now();
        loop {
            let element = self.find(css).await;
            if element.attr("disabled").await.unwrap_or(None).is_none() {
                element.click().await.unwrap_or_else(|err| panic!("cannot click {css}: {err}"));
                return;
            }
            assert!(started.elapsed() < PATIENCE, "{css} stayed disabled: {}", self.text("body").await);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `css` matches exactly `count` elements, and returns their texts.
    pub async fn texts(&self, css: &str, count: usize) -> Vec<String> {
        let started = Instant::now();
        loop {
            let found = self.client.find_all(Locator::Css(css)).await.unwrap_or_default();
            if found.len() == count {
                let mut texts = Vec::new();
                for element in found {
                    texts.push(element.text().await.unwrap_or_default());
                }
                return texts;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "expected {count} of {css}, found {}; page: {}",
                found.len(),
                self.text("body").await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for `css`'s text to contain `part`, and returns it.
    pub async fn text_containing(&self, css: &str, part: &str) -> String {
        let started = Instant::now();
        loop {
            let text = self.text(css).await;
            if text.contains(part) {
                return text;
            }
            assert!(started.elapsed() < PATIENCE, "{css} never said {part:?}; it says {text:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits for Connect's modal, in the page or in its frame; inside a
    /// frame, later look-ups are made in it until [`Browser::leave_connect`].
    /// Answers whether Connect is framed.
    pub async fn enter_connect(&self) -> bool {
        let modal = self.find(".pelm-sbx-overlay, iframe.pelm-sbx-frame").await;
        if modal.tag_name().await.unwrap_or_default() != "iframe" {
            return false;
        }
        modal.enter_frame().await.expect("enter Connect's frame");
        self.find(".pelm-sbx-overlay").await;
        true
    }

    /// Back to the page from Connect's frame (a no-op outside one, where
    /// the page is its own parent).
    pub async fn leave_connect(&self) {
        self.client.enter_parent_frame().await.expect("back to the page");
    }

    /// Moves the pointer to the middle of the usage chart and returns the readout's text.
    pub async fn hover_chart_middle(&self) -> String {
        self.client
            .execute(
                "const o = document.querySelector('.pe-chart-overlay'); const r = o.getBoundingClientRect();\
                 const f = document.querySelector('.pe-chart-frame');\
                 const x = r.left + Number(f.dataset.plotLeft) + Number(f.dataset.plotWidth) / 2;\
                 o.dispatchEvent(new PointerEvent('pointermove', { bubbles: true, clientX: x, clientY: r.top + 150 }));",
                vec![],
            )
            .await
            .unwrap();
        self.find(".pe-readout .pe-readout-usage").await;
        self.text(".pe-readout").await
    }

    /// Lets the page download files, into `dir`.
    pub async fn downloads_to(&self, dir: &std::path::Path) {
        let path = dir.to_str().expect("a UTF-8 path");
        self.cdp("Browser.setDownloadBehavior", json!({ "behavior": "allow", "downloadPath": path })).await;
    }

    /// Waits for a finished download ending `.ext` in `dir`; its name and text.
    pub async fn downloaded(&self, dir: &std::path::Path, ext: &str) -> (String, String) {
        let started = Instant::now();
        loop {
            let names: Vec<String> = std::fs::read_dir(dir)
                .map(|d| d.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
                .unwrap_or_default();
            if let Some(name) = names.iter().find(|n| n.ends_with(&format!(".{ext}"))) {
                let text = std::fs::read_to_string(dir.join(name)).expect("read the download");
                return (name.clone(), text);
            }
            assert!(started.elapsed() < PATIENCE * 4, "no .{ext} download in {dir:?}: {names:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a PNG of the page under target/e2e-artifacts and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let path = artifacts_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }
}

/// Opens the app and records CSP violations from then on: the companion
/// serves the app under its strict policy.
pub async fn open_app(browser: &Browser, url: &str) {
    browser.client.goto(url).await.unwrap();
    watch_csp(browser).await;
}

/// Starts recording CSP violations on the page now loaded.
pub async fn watch_csp(browser: &Browser) {
    browser
        .client
        .execute(
            "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', \
             e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));",
            vec![],
        )
        .await
        .unwrap();
}

pub async fn assert_no_csp_violations(browser: &Browser) {
    let violations = browser.client.execute("return window.__cspViolations;", vec![]).await.unwrap();
    assert_eq!(violations, serde_json::json!([]), "CSP violations during the flow");
}

/// The repository's `style/<name>.css`, as written.
pub fn style_sheet(name: &str) -> String {
    let path = format!("{}/../../style/{name}.css", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The page has adopted `style/<name>.css` (a sheet a later part brings) and
/// Chromium reads it rule for rule as it reads the file itself: what the
/// build made small (`pelm_app_logic::minified_css!`) lost nothing CSS sees.
pub async fn assert_adopted_sheet_reads_as_its_file(browser: &Browser, name: &str) {
    let source = style_sheet(name);
    // Each adopted sheet: whether it reads the same, or its first rule that
    // differs beside the file's, for the failure's message.
    let script = "const rules = sheet => [...sheet.cssRules].map(rule => rule.cssText);\
                  const file = new CSSStyleSheet(); file.replaceSync(arguments[0]); const want = rules(file);\
                  const read = document.adoptedStyleSheets.map(sheet => { const got = rules(sheet);\
                    const at = got.findIndex((rule, i) => rule !== want[i]);\
                    return got.length === want.length && at < 0 ? 'same' : [at, got[at], want[at]]; });\
                  return { rules: want.length, read };";
    let answer = browser.client.execute(script, vec![source.into()]).await.unwrap();
    assert!(answer["rules"].as_u64().unwrap() >= 5, "{name}.css: {answer}");
    let read = answer["read"].as_array().unwrap();
    assert!(read.iter().any(|sheet| sheet == "same"), "no adopted sheet reads as {name}.css: {answer}");
}

/// Presses Connect and signs in as user@pelm.com; `artifact` names the modal's screenshot.
pub async fn connect_through_the_modal(browser: &Browser, artifact: &str) {
    connect_as(browser, artifact, "user@pelm.com").await;
}

/// Presses Connect and signs in as `username` at PG&E.
pub async fn connect_as(browser: &Browser, artifact: &str, username: &str) {
    connect_at(browser, artifact, username, "1").await;
}

/// As [`connect_as`], at the utility with Pelm id `utility`.
pub async fn connect_at(browser: &Browser, artifact: &str, username: &str, utility: &str) {
    link_with(browser, "button[data-action=connect]", artifact, username, utility).await;
}

/// Presses the Connect button `button` and signs in as `username` at
/// `utility`. A new Pelm user accepts the terms first; one Pelm knows
/// (update mode) starts at utility selection.
pub async fn link_with(browser: &Browser, button: &str, artifact: &str, username: &str, utility: &str) {
    // The button enables once the token is fetched and the script is ready.
    browser.click_when_enabled(button).await;
    browser.enter_connect().await;
    let choice = format!("[data-utility-id='{utility}']");
    browser.find(&format!("[data-action=accept-terms], {choice}")).await;
    if let Ok(terms) = browser.client.find(Locator::Css("[data-action=accept-terms]")).await {
        terms.click().await.expect("accept the terms");
    }
    browser.click(&choice).await;
    browser.type_into("#pelm-sbx-username", username).await;
    browser.type_into("#pelm-sbx-password", "password").await;
    browser.screenshot(&format!("{artifact}-modal")).await;
    browser.click("[data-action=submit-credentials]").await;
    browser.leave_connect().await;
}

/// A demo whose user has connected through the modal and sees both accounts.
pub async fn connected_demo(artifact: &str) -> (Demo, Browser) {
    connected_demo_with(artifact, |_| {}).await
}

/// As [`connected_demo`], with the companion's configuration changed by `configure`.
pub async fn connected_demo_with(artifact: &str, configure: impl FnOnce(&mut Config)) -> (Demo, Browser) {
    let demo = spawn_demo(configure).await;
    let browser = start_browser().await;
    open_app(&browser, &demo.url).await;
    connect_through_the_modal(&browser, artifact).await;
    browser.texts(".pe-card", 2).await;
    (demo, browser)
}

/// Serves the built app the way another site would: `index.html` with its
/// host element rewritten by `host`, under `csp`, from `listener`; returns
/// the page's URL. The rest of `dist` is served as files.
pub async fn serve_host_page(
    listener: tokio::net::TcpListener,
    host: impl Fn(&str) -> String,
    csp: impl Fn(&str) -> String,
) -> String {
    serve_host_page_with(listener, host, csp, Vec::new()).await
}

/// As [`serve_host_page`], with the site's own `files` (path and JSON body) beside it.
pub async fn serve_host_page_with(
    listener: tokio::net::TcpListener,
    host: impl Fn(&str) -> String,
    csp: impl Fn(&str) -> String,
    files: Vec<(&'static str, String)>,
) -> String {
    use axum::http::header;
    let dist = dist_dir();
    let index = std::fs::read_to_string(dist.join("index.html")).expect("index.html");
    let tag = r#"<main id="pelm-energy" class="pelm-energy">"#;
    let page = index.replace(tag, &host(tag));
    assert_ne!(page, index, "the host element was not found in index.html");
    let policy = csp(&page);
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let html = move || {
        let (page, policy) = (page.clone(), policy.clone());
        async move { ([(header::CONTENT_TYPE, "text/html".to_owned()), (header::CONTENT_SECURITY_POLICY, policy)], page) }
    };
    let mut app = axum::Router::new().route("/", axum::routing::get(html));
    for (path, body) in files {
        app = app.route(
            path,
            axum::routing::get(move || async move { ([(header::CONTENT_TYPE, "application/json")], body) }),
        );
    }
    let app = app.fallback_service(tower_http::services::ServeDir::new(dist));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}
/// axe-core over the app as it is now, in the light and the dark theme:
/// the serious and critical violations, by rule and element.
pub async fn axe_violations(browser: &Browser, view: &str) -> Vec<String> {
    let source = std::fs::read_to_string(std::env::var("PELM_AXE").expect("PELM_AXE (setup.sh installs axe-core)"))
        .expect("axe.min.js");
    browser.client.execute(&source, vec![]).await.unwrap();
    let mut found = Vec::new();
    for scheme in ["light", "dark"] {
        browser
            .cdp(
                "Emulation.setEmulatedMedia",
                serde_json::json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
            )
            .await;
        let run = "const done = arguments[arguments.length - 1];\
            axe.run(document.querySelector('.pe-app'), { resultTypes: ['violations'] })\
              .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')\
                .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))\
              .catch(e => done(['axe failed: ' + e]));";
        let result = browser.client.execute_async(run, vec![]).await.unwrap();
        for violation in result.as_array().cloned().unwrap_or_default() {
            found.push(format!("{view}, {scheme}: {}", violation.as_str().unwrap_or_default()));
        }
    }
    found
}

/// Asserts that the element `css` is no wider than its box: nothing in it
/// spills sideways (a table too wide scrolls inside its own frame instead).
pub async fn fits(browser: &Browser, css: &str) {
    let overflow = browser
        .client
        .execute(
            "const e = document.querySelector(arguments[0]); return e.scrollWidth - e.clientWidth;",
            vec![css.into()],
        )
        .await
        .unwrap();
    assert!(overflow.as_i64().unwrap() <= 0, "{css} overflows by {overflow}px");
}

pub mod backtest;
pub mod report;

/// A demo companion, and a page on another origin it allows, under the
/// policy docs/embedding.md gives, whose host element `host` rewrites given
/// the API's URL.
pub async fn cross_origin_page(host: impl Fn(&str, &str) -> String) -> (Demo, String) {
    let page_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let allowed = format!("http://{}", page_listener.local_addr().unwrap());
    let demo = spawn_demo(move |config| config.allowed_origins = vec![allowed]).await;
    let (api, script) = (format!("{}/api", demo.url), format!("{}/sandbox/connect/pelm-connect.js", demo.url));
    let page = serve_host_page(
        page_listener,
        |main| host(main, &api),
        |html| pelm_companion::static_files::content_security_policy(html, &script),
    )
    .await;
    (demo, page)
}
