//! A small W3C WebDriver client and a tauri-driver process, enough for the end-to-end tests.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Context as _};
use serde_json::{json, Value};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running tauri-driver, killed (with its WebKitWebDriver) on drop.
pub struct Driver {
    child: Child,
    base: String,
    http: reqwest::blocking::Client,
}

impl Driver {
    pub fn start() -> anyhow::Result<Self> {
        Self::start_with_env(&[])
    }

    /// Starts tauri-driver (and so the app) with extra environment variables.
    pub fn start_with_env(env: &[(&str, String)]) -> anyhow::Result<Self> {
        if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
            bail!("no display: run the end-to-end tests through `make test-e2e`, which starts Xvfb");
        }
        let port = free_port()?;
        let native_port = free_port()?;
        let child = Command::new("tauri-driver")
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("could not start tauri-driver; install it with `cargo install tauri-driver --locked`")?;
        confab_server::install_tls_provider();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()?;
        let driver = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if driver.http.get(format!("{}/status", driver.base)).send().is_ok() {
                return Ok(driver);
            }
            thread::sleep(Duration::from_millis(100));
        }
        bail!("tauri-driver did not answer on port {port} within 20 s")
    }

    /// Launches `application` with `args` in a new WebDriver session.
    pub fn session(&self, application: &str, args: &[String]) -> anyhow::Result<Session> {
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "wry",
                "tauri:options": { "application": application, "args": args }
            } }
        });
        let answer = send(
            &self.http,
            reqwest::Method::POST,
            &format!("{}/session", self.base),
            Some(capabilities),
            None,
        )?;
        let id = answer["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no sessionId in {answer}"))?
            .to_string();
        Ok(Session {
            base: format!("{}/session/{id}", self.base),
            http: self.http.clone(),
            closed: false,
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One WebDriver command; `timeout` replaces the client's own for this request.
fn send(
    http: &reqwest::blocking::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
    timeout: Option<Duration>,
) -> anyhow::Result<Value> {
    let mut request = http.request(method.clone(), url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(timeout) = timeout {
        request = request.timeout(timeout);
    }
    let response = request.send().with_context(|| format!("{method} {url}"))?;
    let status = response.status();
    let value: Value = response.json().with_context(|| format!("{method} {url}: not JSON"))?;
    if !status.is_success() {
        bail!("{method} {url} answered {status}: {}", value["value"]);
    }
    Ok(value["value"].clone())
}

/// One app instance under WebDriver.
pub struct Session {
    base: String,
    http: reqwest::blocking::Client,
    closed: bool,
}

impl Session {
    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        send(&self.http, method, &format!("{}{path}", self.base), body, None)
    }

    /// The element for a CSS selector, if there is one now.
    pub fn find(&self, css: &str) -> anyhow::Result<Option<String>> {
        let found = self.call(
            reqwest::Method::POST,
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        )?;
        Ok(found
            .as_array()
            .and_then(|items| items.first())
            .and_then(|e| e[ELEMENT_KEY].as_str())
            .map(str::to_string))
    }

    /// Clicks the element at `css` (waiting for it), as the page's own click handler sees it.
    pub fn click(&self, css: &str) -> anyhow::Result<()> {
        self.wait_for(css, Duration::from_secs(15))?;
        let selector = serde_json::to_string(css)?;
        self.execute(&format!("document.querySelector({selector}).click();"))
            .map(|_| ())
    }

    /// Types `text` into the element at `css`; `\u{E007}` is Enter.
    pub fn type_into(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let element = self.wait_for(css, Duration::from_secs(15))?;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .map(|_| ())
    }

    /// Presses keys on whatever has focus, as a user at the keyboard (W3C actions): each
    /// chord is pressed in order and released in reverse (`&["\u{E008}", "\u{E031}"]` is
    /// Shift+F10; `\u{E009}` Ctrl, `\u{E004}` Tab, `\u{E013}` Up, `\u{E00C}` Escape).
    pub fn press(&self, chord: &[&str]) -> anyhow::Result<()> {
        let mut actions: Vec<Value> = chord.iter().map(|k| json!({ "type": "keyDown", "value": k })).collect();
        actions.extend(chord.iter().rev().map(|k| json!({ "type": "keyUp", "value": k })));
        self.keys(actions)
    }

    /// Types `text` into whatever has focus, key by key (W3C actions), as a user at the
    /// keyboard: no element is named, so nothing but the focus decides where it goes.
    pub fn type_keys(&self, text: &str) -> anyhow::Result<()> {
        let actions: Vec<Value> = text
            .chars()
            .flat_map(|c| {
                let key = c.to_string();
                [
                    json!({ "type": "keyDown", "value": key }),
                    json!({ "type": "keyUp", "value": key }),
                ]
            })
            .collect();
        self.keys(actions)
    }

    /// Performs key actions on the focused element, then releases every key.
    fn keys(&self, actions: Vec<Value>) -> anyhow::Result<()> {
        self.call(
            reqwest::Method::POST,
            "/actions",
            Some(json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] })),
        )?;
        self.call(reqwest::Method::DELETE, "/actions", None).map(|_| ())
    }

    /// Waits until an element matching `css` exists; returns it.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> anyhow::Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(element) = self.find(css)? {
                return Ok(element);
            }
            if Instant::now() > deadline {
                bail!("nothing matches `{css}` after {timeout:?}");
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until `script` (an expression) is truthy in the page; returns its value.
    pub fn wait_until(&self, what: &str, script: &str, timeout: Duration) -> anyhow::Result<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.execute(&format!("return ({script});"))?;
            let truthy = !matches!(&value, Value::Null | Value::Bool(false)) && value != json!(0) && value != json!("");
            if truthy {
                return Ok(value);
            }
            if Instant::now() > deadline {
                bail!("timed out after {timeout:?} waiting for {what}");
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// The handle of the window commands go to now.
    pub fn current_window(&self) -> anyhow::Result<String> {
        Ok(self
            .call(reqwest::Method::GET, "/window", None)?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// Waits until the app has `count` windows; returns their handles.
    pub fn wait_for_windows(&self, count: usize, timeout: Duration) -> anyhow::Result<Vec<String>> {
        let deadline = Instant::now() + timeout;
        loop {
            let handles = self.call(reqwest::Method::GET, "/window/handles", None)?;
            let handles: Vec<String> = serde_json::from_value(handles)?;
            if handles.len() == count {
                return Ok(handles);
            }
            if Instant::now() > deadline {
                bail!("the app has {} windows, not {count}, after {timeout:?}", handles.len());
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Directs the following commands at another window.
    pub fn switch_to(&self, handle: &str) -> anyhow::Result<()> {
        self.call(reqwest::Method::POST, "/window", Some(json!({ "handle": handle })))
            .map(|_| ())
    }

    /// A PNG of the window, or an error if WebKit has not drawn one within `timeout`.
    ///
    /// On a loaded machine WebKit has been seen not to answer at all (CI, 2026-12-05: nothing
    /// in 120 s), so the caller bounds the wait.
    pub fn screenshot(&self, timeout: Duration) -> anyhow::Result<Vec<u8>> {
        use base64::Engine as _;
        let encoded = send(
            &self.http,
            reqwest::Method::GET,
            &format!("{}/screenshot", self.base),
            None,
            Some(timeout),
        )?;
        Ok(base64::engine::general_purpose::STANDARD.decode(encoded.as_str().unwrap_or_default())?)
    }

    /// Runs an asynchronous script; it calls `done(value)` to finish.
    pub fn execute_async(&self, script: &str) -> anyhow::Result<Value> {
        let wrapped = format!("const done = arguments[arguments.length - 1]; {script}");
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({ "script": wrapped, "args": [] })),
        )
    }

    /// In the open emoji picker (a web component: its controls are in its shadow root), types
    /// `query` into its search field as a user would, waits for the results and clicks the
    /// first. Fails if the picker never shows its search field or finds nothing.
    pub fn pick_emoji(&self, query: &str) -> anyhow::Result<()> {
        let query = serde_json::to_string(query)?;
        let picked = self.execute_async(&format!(
            "const started = Date.now();
             const step = () => {{
               if (Date.now() - started > 15000) return done('no picker or no result');
               const picker = document.querySelector('emoji-picker');
               const search = picker && picker.shadowRoot && picker.shadowRoot.querySelector('#search');
               if (!search) return setTimeout(step, 50);
               if (search.value !== {query}) {{
                 search.focus();
                 search.value = {query};
                 search.dispatchEvent(new Event('input', {{ bubbles: true }}));
               }}
               const hit = picker.shadowRoot.querySelector('#search-results [id^=emo-]');
               if (!hit) return setTimeout(step, 50);
               hit.click();
               done(hit.id.slice(4));
             }};
             step();"
        ))?;
        anyhow::ensure!(
            picked.as_str().is_some_and(|p| p != "no picker or no result"),
            "emoji picker: {picked}"
        );
        Ok(())
    }

    /// Runs a script in the page and returns its result.
    pub fn execute(&self, script: &str) -> anyhow::Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    pub fn close(mut self) -> anyhow::Result<()> {
        self.closed = true;
        self.call(reqwest::Method::DELETE, "", None).map(|_| ())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // A test that failed midway still ends its app, so the next test starts clean.
        if !self.closed {
            let _ = self.http.delete(&self.base).send();
        }
    }
}
